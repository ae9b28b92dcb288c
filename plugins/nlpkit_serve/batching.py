"""Dynamic batching: the texts of concurrent requests to one pipeline run as one batch.

Requests wait in a queue. When the pipeline is free, a batch takes every request
waiting, up to ``max_batch`` texts (a request is never split, so one larger than
``max_batch`` runs alone); if it still has room it waits up to ``max_wait_ms`` for more.
While a batch runs the next one fills, so under load batches grow by themselves and a
lone request never waits for company it will not get (``max_wait_ms = 0``, the default,
adds no latency). The pipeline runs in a worker of its own (a process, or a thread), so the event loop
keeps accepting requests meanwhile, and a model is never called from two threads at once
(see :mod:`.workers`).
A batch that fails is run again request by request, so a bad request fails alone.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple


class Pending(NamedTuple):
    """A waiting request: its texts, whether it asked for scores, and the future its results go to."""

    texts: list[str]
    scores: bool
    future: asyncio.Future


class Batcher:
    """Gathers the requests to one pipeline into batches and hands them to its ``runner``
    (:class:`~nlpkit_serve.workers.ProcessRunner` or :class:`~nlpkit_serve.workers.ThreadRunner`)."""

    def __init__(self, name: str, runner: Any, max_batch: int, max_wait_ms: float) -> None:
        self.name, self.runner = name, runner
        self.max_batch, self.max_wait = max_batch, max_wait_ms / 1000
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.batches = 0  # how many batches ran, for the batch-size figures
        self.texts = 0
        self._task: asyncio.Task | None = None
        self._held: Pending | None = None  # a request that did not fit the last batch

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.runner.close()

    async def predict(self, texts: list[str], scores: bool = False) -> list[bytes]:
        """The results of ``texts`` in order, each the JSON ``nlpkit predict -f json`` prints
        (``--scores`` with ``scores``)."""
        future = asyncio.get_running_loop().create_future()
        await self.queue.put(Pending(texts, scores, future))
        return await future

    async def _loop(self) -> None:
        while True:
            batch = await self._gather()
            await self._run(batch)

    async def _gather(self) -> list[Pending]:
        """The oldest request and those waiting behind it while the batch has room; then,
        with ``max_wait``, the ones that arrive before it has passed. A batch either computes
        scores or not: a request that asks otherwise opens the next one."""
        batch = [self._held or await self.queue.get()]
        self._held = None
        size, deadline = len(batch[0].texts), time.monotonic() + self.max_wait
        while size < self.max_batch:
            item = self.queue.get_nowait() if not self.queue.empty() else await self._next(deadline)
            if item is None:
                break
            if size + len(item.texts) > self.max_batch or item.scores != batch[0].scores:
                self._held = item  # no room, or the other kind: it opens the next batch
                break
            batch.append(item)
            size += len(item.texts)
        return batch

    async def _next(self, deadline: float) -> Pending | None:
        """The next request if one arrives before ``deadline``, else None."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            return await asyncio.wait_for(self.queue.get(), left)
        except TimeoutError:
            return None

    async def _run(self, batch: list[Pending]) -> None:
        texts = [text for request in batch for text in request.texts]
        try:
            results = await self.runner.run(texts, batch[0].scores)
        except Exception as exc:  # noqa: BLE001 - one bad request must fail alone: rerun one by one
            if len(batch) == 1:
                _settle(batch[0].future, exception=exc)
                return
            for request in batch:
                await self._run([request])
            return
        self.batches, self.texts = self.batches + 1, self.texts + len(texts)
        start = 0
        for request in batch:
            _settle(request.future, result=results[start:start + len(request.texts)])
            start += len(request.texts)


def _settle(future: asyncio.Future, result: Any = None, exception: BaseException | None = None) -> None:
    """Give a request its outcome, unless its client has gone (the future was cancelled)."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
