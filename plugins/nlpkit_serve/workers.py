"""Where a pipeline runs for the server: in a worker process of its own (pipelines given by
name or directory), or in a thread (a pipeline object an application built itself).

A pipeline is mostly Python: in a thread it would share the interpreter lock with the
event loop that parses requests and writes responses, so under load each would wait for
the other. A worker process runs the model on a core of its own, and sends each result
back already encoded as JSON, so the server only joins bytes. Workers ignore SIGINT and
SIGTERM: the server decides when they stop, after the requests in flight are answered.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

_pipeline: Any = None  # the worker process's pipeline


def encode(pipeline: Any, texts: list[str], scores: bool = False) -> list[bytes]:
    """Each text's result as the JSON ``nlpkit predict -f json`` (``--scores``) prints for it."""
    asked = {"scores": True} if scores else {}  # an application's own pipeline object may not take it
    return [json.dumps(result.to_json(), ensure_ascii=False).encode()
            for result in pipeline.pipe(texts, batch_size=max(len(texts), 1), **asked)]


def describe(pipeline: Any) -> dict[str, Any]:
    return {"task": pipeline.task.name, "meta": pipeline.meta}


class ThreadRunner:
    """A loaded pipeline, run in one thread of this process."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.executor: Executor = ThreadPoolExecutor(1, thread_name_prefix="nlpkit-pipeline")

    async def start(self) -> dict[str, Any]:
        return describe(self.pipeline)

    async def run(self, texts: list[str], scores: bool = False) -> list[bytes]:
        return await asyncio.get_running_loop().run_in_executor(self.executor, encode, self.pipeline, texts, scores)

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class ProcessRunner:
    """A pipeline loaded in a worker process of its own (started with ``spawn``: no state
    of the server's is inherited); a worker that dies is replaced, and its batch fails."""

    def __init__(self, spec: str, device: str) -> None:
        self.spec, self.device = spec, device
        self.executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_load,
                                   initargs=(self.spec, self.device))

    async def start(self) -> dict[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(self.executor, _describe)

    async def run(self, texts: list[str], scores: bool = False) -> list[bytes]:
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, _encode, texts, scores)
        except BrokenProcessPool:
            self.executor = self._new()
            raise RuntimeError("the pipeline's worker process died (out of memory, or killed); "
                               "it has been restarted") from None

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _load(spec: str, device: str) -> None:
    import signal

    import nlpkit

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    global _pipeline
    _pipeline = nlpkit.load(spec, device=device)


def _describe() -> dict[str, Any]:
    return describe(_pipeline)


def _encode(texts: list[str], scores: bool) -> list[bytes]:
    return encode(_pipeline, texts, scores)
