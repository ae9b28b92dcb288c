#!/usr/bin/env python
"""``nlpkit annotate`` throughput: in-process, ``--engine local --jobs 1/2``, ``--engine ray
--actors 1/2``, on one Chinese corpus built from the shared corpora' training files.

The corpus is the raw text of CTB6 train, SXU train and ChnSentiCorp train (words joined,
one sentence or review per line), repeated until it holds ``--megabytes`` MB, cut into 8
files. Each engine runs as a user runs it, ``nlpkit annotate PIPELINE IN -o OUT`` in a new
process (so pipeline loading and, for Ray, starting a local Ray are counted); the
in-process figure is :class:`nlpkit.annotation.TextAnnotator` over the same lines in this
process, the work one process does with no shards or files. Every engine's shards are
checked identical to the local engine's first.

Targets: Ray with 2 actors >= 1.6x Ray with 1; Ray's time at most 1.2x the local engine's
at the same parallelism.

    python benchmarks/bench_annotate.py jieba --megabytes 20
    python benchmarks/bench_annotate.py zh-cws --megabytes 2
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bench

SOURCES = (("ctb6/train.txt", "segmented"), ("sxu_cws/train.txt", "segmented"), ("chnsenticorp/train.tsv", "tsv"))
RUNS = (("local, --jobs 1", ["--engine", "local", "--jobs", "1"]), ("local, --jobs 2", ["--engine", "local", "--jobs", "2"]),
        ("ray, --actors 1", ["--engine", "ray", "--actors", "1"]), ("ray, --actors 2", ["--engine", "ray", "--actors", "2"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipeline", help="a pipeline or tokenizer name (jieba, zh-cws, zh-cws-hmm)")
    parser.add_argument("--megabytes", type=float, default=20.0)
    parser.add_argument("--shard-lines", type=int, default=5000)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    _bench.print_machine(_bench.machine_info(["jieba", "torch", "ray"]))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lines = build_corpus(root / "in", args.megabytes)
        chars = sum(map(len, lines))
        print(f"corpus: {len(lines):,} lines, {chars:,} characters, {args.megabytes:g} MB in 8 files", flush=True)
        seconds = {"in-process": in_process(args.pipeline, lines)}
        for label, flags in RUNS:
            seconds[label] = cli(args.pipeline, root / "in", root / label.replace(" ", "").replace(",", ""),
                                 flags + ["--shard-lines", str(args.shard_lines)])
            print(f"  {label}: {seconds[label]:.1f} s", flush=True)
        check_identical(root, [label for label, _ in RUNS])
    rows = [("contender", "seconds", "lines/s", "MB/s")]
    for label, value in seconds.items():
        rows.append((label, f"{value:.1f}", f"{len(lines) / value:,.0f}", f"{args.megabytes / value:.2f}"))
    _bench.print_rows(rows, f"{args.pipeline}, {args.megabytes:g} MB")
    ray1, ray2 = seconds["ray, --actors 1"], seconds["ray, --actors 2"]
    print(f"  ray 2 actors / ray 1 actor: {ray1 / ray2:.2f}x (target >= 1.6)")
    for n in (1, 2):
        local, ray = seconds[f"local, --jobs {n}"], seconds[f"ray, --actors {n}"]
        print(f"  ray / local at {n}: {ray / local:.2f}x the time (target <= 1.2)")
    _bench.write_json(args.json, {"pipeline": args.pipeline, "megabytes": args.megabytes, "lines": len(lines),
                                  "seconds": seconds})
    return 0


def build_corpus(folder: Path, megabytes: float) -> list[str]:
    """The raw text of the sources, repeated to ``megabytes``, written as 8 files."""
    base = []
    for relative, kind in SOURCES:
        for line in _bench.read_lines(_bench.corpus_file(relative)):
            text = line.split("\t", 1)[1] if kind == "tsv" and "\t" in line else "".join(line.split())
            if text:
                base.append(text)
    lines, size, target = [], 0, megabytes * 1e6
    while size < target:
        for text in base:
            lines.append(text)
            size += len(text.encode()) + 1
            if size >= target:
                break
    folder.mkdir(parents=True)
    per_file = -(-len(lines) // 8)
    for i in range(8):
        (folder / f"part-{i}.txt").write_text("\n".join(lines[i * per_file:(i + 1) * per_file]) + "\n", encoding="utf-8")
    return lines


def in_process(pipeline: str, lines: list[str]) -> float:
    from nlpkit.annotation import TextAnnotator

    annotator = TextAnnotator(pipeline)
    annotator.annotate(lines[:200])
    return _bench.time_call(lambda: annotator.annotate(lines))[0]


def cli(pipeline: str, inputs: Path, output: Path, flags: list[str]) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_AUTH_MODE": "disabled"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nlpkit", "annotate", pipeline, str(inputs), "-o", str(output), *flags],
                   check=True, env=env, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def check_identical(root: Path, labels: list[str]) -> None:
    folders = [root / label.replace(" ", "").replace(",", "") / "shards" for label in labels]
    names = sorted(os.listdir(folders[0]))
    for folder in folders[1:]:
        _, mismatch, errors = filecmp.cmpfiles(folders[0], folder, names, shallow=False)
        if mismatch or errors or sorted(os.listdir(folder)) != names:
            raise SystemExit(f"{folder.parent.name} differs from {folders[0].parent.name}: {mismatch + errors}")


if __name__ == "__main__":
    sys.exit(main())
