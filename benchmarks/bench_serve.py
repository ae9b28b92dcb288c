#!/usr/bin/env python
"""``nlpkit serve`` under load, beside in-process ``pipe`` on the same sentences.

Starts ``nlpkit serve`` on 127.0.0.1 (a subprocess, one torch thread) and sends each
pipeline ``--requests`` requests of one dev sentence each at concurrency 1, 8 and 32 (an
asyncio client holding that many requests in flight), stopping early at ``--seconds`` per
level. Reported per level: requests/s and p50 / p95 / p99 latency. Beside them, the same
sentences through ``pipeline.pipe`` in this process (one torch thread) at batch sizes 1 to
128, the best of them being the ceiling a server can approach.

Targets: at concurrency 32, throughput >= 0.7x in-process ``pipe`` at its best batch size
and >= 3x the server's own at concurrency 1 (batching works); p99 at concurrency 8 under
100 ms for single sentences. The client shares the machine's cores with the server.

    python benchmarks/bench_serve.py zh-cws en-ner --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _bench

LEVELS = (1, 8, 32)
BATCHES = (1, 8, 32, 64, 128)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help="pretrained pipelines")
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per level")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=8931)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    _bench.print_machine(_bench.machine_info(["torch", "fastapi", "uvicorn", "uvloop", "httptools"]))
    report = {}
    server = start_server(args)
    try:
        for name in args.names:
            texts = sentences(name, args.requests)
            ceiling = in_process(name, texts)
            levels = {}
            for level in LEVELS:
                before = counters(args.port, name)
                levels[level] = asyncio.run(load(args.port, name, texts, level, args.seconds))
                after = counters(args.port, name)
                levels[level]["mean_batch"] = (after[1] - before[1]) / max(after[0] - before[0], 1)
            report[name] = {"in_process": ceiling, "server": levels}
            print_report(name, ceiling, levels)
    finally:
        server.terminate()
        server.wait(timeout=60)
    _bench.write_json(args.json, report)
    return 0


def start_server(args: argparse.Namespace) -> subprocess.Popen:
    import httpx

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "nlpkit", "serve", *args.names, "--port", str(args.port), "--log-level",
               "warning", "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)]
    process = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{args.port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not become ready")


def counters(port: int, name: str) -> tuple[int, int]:
    """How many batches and texts the server has run for ``name`` so far."""
    import httpx

    listed = {p["name"]: p for p in httpx.get(f"http://127.0.0.1:{port}/v1/pipelines").json()["pipelines"]}
    return listed[name]["batches"], listed[name]["texts"]


def sentences(name: str, count: int) -> list[str]:
    """The first ``count`` non-empty dev sentences of the pipeline's corpus."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_pretrained import dev_texts

    from nlpkit.pretrained import catalog

    item = catalog().get(name)
    return [t for t in dev_texts(item.card(), item.language) if t.strip()][:count]


def in_process(name: str, texts: list[str]) -> dict[str, float]:
    """Sentences/s of ``pipeline.pipe`` at each batch size (best of 3), one torch thread."""
    import torch

    import nlpkit

    torch.set_num_threads(1)
    pipeline = nlpkit.load(name, device="cpu")
    list(pipeline.pipe(texts[:64]))
    rates = {}
    for size in BATCHES:
        best = min(_bench.time_call(lambda size=size: list(pipeline.pipe(texts, batch_size=size)))[0]
                   for _ in range(3))
        rates[str(size)] = len(texts) / best
    return rates


async def load(port: int, name: str, texts: list[str], concurrency: int, seconds: float) -> dict[str, float]:
    """``concurrency`` connections, each sending one sentence per request and waiting for its
    answer, until every text is sent or ``seconds`` pass; requests/s and latency percentiles.

    The client speaks plain HTTP/1.1 over asyncio streams (keep-alive, Content-Length):
    it shares the cores with the server, so it should spend as little of them as it can."""
    path = f"/v1/pipelines/{name}/predict"
    queue = iter(texts)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for text in queue:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                status, body = await _post(reader, writer, port, path, {"texts": [text]})
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    raise SystemExit(f"{name}: HTTP {status}: {body[:200]!r}")
        finally:
            writer.close()

    await _post(*await asyncio.open_connection("127.0.0.1", port), port, path, {"texts": texts[:1]})  # warm up
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": 1000 * cuts[49], "p95_ms": 1000 * cuts[94], "p99_ms": 1000 * cuts[98]}


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int, path: str,
                payload: dict) -> tuple[int, bytes]:
    """One HTTP/1.1 POST of ``payload`` as JSON on an open connection: ``(status, body)``."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode("latin-1").partition(":")
        if key.lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def print_report(name: str, ceiling: dict[str, float], levels: dict[int, dict[str, float]]) -> None:
    best_batch = max(ceiling, key=ceiling.get)  # type: ignore[arg-type]
    rows = [("contender", "requests", "sentences/s", "mean batch", "p50 ms", "p95 ms", "p99 ms")]
    for size, rate in ceiling.items():
        rows.append((f"in-process pipe, batch {size}", "", f"{rate:,.0f}", size, "", "", ""))
    for level, result in levels.items():
        rows.append((f"server, concurrency {level}", str(result["requests"]), f"{result['rps']:,.0f}",
                     f"{result['mean_batch']:.1f}", f"{result['p50_ms']:.1f}", f"{result['p95_ms']:.1f}",
                     f"{result['p99_ms']:.1f}"))
    _bench.print_rows(rows, f"{name}: one sentence per request")
    top, single = levels[32]["rps"], levels[1]["rps"]
    print(f"  concurrency 32 / in-process best (batch {best_batch}): {top / ceiling[best_batch]:.2f}x (target >= 0.7)")
    print(f"  concurrency 32 / concurrency 1: {top / single:.2f}x (target >= 3)")
    print(f"  p99 at concurrency 8: {levels[8]['p99_ms']:.1f} ms (target < 100)")


if __name__ == "__main__":
    sys.exit(main())
