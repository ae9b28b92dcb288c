"""Dynamic batching: the texts of concurrent requests to one pipeline run as one batch.

Requests wait in a queue; a batch starts with the oldest and takes the next ones while
it holds fewer than ``max_batch`` texts and no more than ``max_wait_ms`` have passed since
it started (a request is never split, so one larger than ``max_batch`` runs alone). The
pipeline runs in one worker thread per pipeline, so the event loop keeps accepting
requests meanwhile, and a model is never called from two threads at once. A batch that
fails is run again request by request, so a bad request fails alone.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: A waiting request: its texts and the future its results go to.
Pending = tuple[list[str], asyncio.Future]


class Batcher:
    """Gathers the requests to ``pipeline`` into batches and runs them in its own thread."""

    def __init__(self, name: str, pipeline: Any, max_batch: int, max_wait_ms: float) -> None:
        self.name, self.pipeline = name, pipeline
        self.max_batch, self.max_wait = max_batch, max_wait_ms / 1000
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"nlpkit-{name}")
        self.batches = 0  # how many batches ran, for the batch-size figures
        self.texts = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.executor.shutdown(wait=True)

    async def predict(self, texts: list[str]) -> list[dict]:
        """The JSON results of ``texts``, as ``nlpkit predict -f json`` gives them, in order."""
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future

    async def _loop(self) -> None:
        while True:
            batch = await self._gather()
            await self._run(batch)

    async def _gather(self) -> list[Pending]:
        """The oldest request, then the ones that arrive within ``max_wait`` while the batch has room."""
        batch = [await self.queue.get()]
        size, deadline = len(batch[0][0]), time.monotonic() + self.max_wait
        while size < self.max_batch:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self.queue.get(), left)
                except TimeoutError:
                    break
            if size + len(item[0]) > self.max_batch:
                self.queue.put_nowait(item)  # no room: it starts the next batch (it goes to the back)
                break
            batch.append(item)
            size += len(item[0])
        return batch

    async def _run(self, batch: list[Pending]) -> None:
        texts = [text for request, _ in batch for text in request]
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(self.executor, self._predict, texts)
        except Exception as exc:  # noqa: BLE001 - one bad request must fail alone: rerun one by one
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            for request in batch:
                await self._run([request])
            return
        self.batches, self.texts = self.batches + 1, self.texts + len(texts)
        start = 0
        for request, future in batch:
            _settle(future, result=results[start:start + len(request)])
            start += len(request)

    def _predict(self, texts: list[str]) -> list[dict]:
        return [result.to_json() for result in self.pipeline.pipe(texts, batch_size=max(len(texts), 1))]


def _settle(future: asyncio.Future, result: Any = None, exception: BaseException | None = None) -> None:
    """Give a request its outcome, unless its client has gone (the future was cancelled)."""
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
