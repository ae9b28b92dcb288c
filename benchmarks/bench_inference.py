#!/usr/bin/env python
"""Inference speed of a saved pipeline: sentences/s through ``pipeline.pipe`` at a batch
size, and the latency of one sentence at a time (p50, p95, p99).

The texts are real dev sentences (CoNLL-2003 by default, words joined by spaces, so
the pipeline's tokenizer sees them as a user's text); the whole path is timed:
tokenize, encode, model, decode, results with offsets.

    python benchmarks/bench_inference.py benchmarks/out/runs/ner-conll2003
    python benchmarks/bench_inference.py RUN --texts conll2003/dev.txt --batch-size 64 --sentences 2000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("run", help="a run folder (or its model/ folder) saved by nlpkit train")
    parser.add_argument("--texts", default="conll2003/dev.txt", help="a CoNLL file under the corpora folder")
    parser.add_argument("--sentences", type=int, default=2000, help="how many sentences to time")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args()

    import torch

    import nlpkit

    if args.threads:
        torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch"])
    _bench.print_machine(info)
    texts = _conll_sentences(_bench.corpus_file(args.texts))[: args.sentences]
    pipeline = nlpkit.load(args.run, device=args.device)
    print(f"data    : {len(texts)} sentences of {args.texts}, {sum(len(t.split()) for t in texts)} words; "
          f"device {args.device}, torch threads {torch.get_num_threads()}")

    def batched() -> None:
        for _ in pipeline.pipe(texts, batch_size=args.batch_size):
            pass

    results = _bench.interleave({f"pipe batch {args.batch_size}": batched}, args.repeat, len(texts), "sentences")
    [result] = results.values()
    latencies = _latencies(pipeline, texts[:500])
    rows = [("measure", "value"),
            (f"pipe, batch {args.batch_size}: best sentences/s", f"{len(texts) / result.best:,.0f}"),
            (f"pipe, batch {args.batch_size}: median sentences/s", f"{len(texts) / result.median:,.0f}"),
            ("one sentence per call: p50 ms", f"{latencies['p50'] * 1e3:.2f}"),
            ("one sentence per call: p95 ms", f"{latencies['p95'] * 1e3:.2f}"),
            ("one sentence per call: p99 ms", f"{latencies['p99'] * 1e3:.2f}")]
    _bench.print_rows(rows, f"inference of {Path(args.run).name}")
    _bench.write_json(args.json, {"benchmark": "inference", "machine": info, "args": vars(args),
                                  "batched": result.summary(), "latency_seconds": latencies})
    return 0


def _conll_sentences(path: Path) -> list[str]:
    """Sentences of a CoNLL file (first column), words joined by single spaces."""
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("-DOCSTART-"):
                if words:
                    sentences.append(" ".join(words))
                words = []
            else:
                words.append(line.split()[0])
    if words:
        sentences.append(" ".join(words))
    return sentences


def _latencies(pipeline, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds per ``pipeline(text)`` call, one text at a time, after a warm-up."""
    for text in texts[:20]:
        pipeline(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        pipeline(text)
        times.append(time.perf_counter() - started)
    cuts = statistics.quantiles(times, n=100)
    return {"p50": statistics.median(times), "p95": cuts[94], "p99": cuts[98], "calls": len(times)}


if __name__ == "__main__":
    sys.exit(main())
