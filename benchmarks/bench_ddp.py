#!/usr/bin/env python
"""Training throughput on 1 process and on N processes (DistributedDataParallel, gloo on the CPU).

Runs the real ``nlpkit train`` on a real config (configs/names-gru.toml by default:
the names corpus, a bidirectional character GRU of 256, batches of 64) for a few
steps, as a subprocess per run: ``--nproc 1`` on 1 thread, ``--nproc 1`` on N threads
(the same cores as N processes), and ``--nproc N`` with 1 thread per process. The
figure is the trainer's own tokens/s over its timed steps (forward, backward, gradient
all-reduce, optimizer; not start-up, data preparation or dev evaluation), read from
the saved pipeline's meta.json; the wall time of the whole command is given beside it.
Runs are interleaved round by round, the order rotating, as the other benchmarks do.

    python benchmarks/bench_ddp.py --steps 40 --repeat 3
    python benchmarks/bench_ddp.py --config configs/names-gru.toml --nproc 2 --json benchmarks/out/ddp.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("--config", default=str(_bench.REPO_ROOT / "configs" / "names-gru.toml"))
    parser.add_argument("--nproc", type=int, default=2, help="processes of the multi-process run (default 2)")
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per run (trainer.max_steps)")
    args = parser.parse_args()

    info = _bench.machine_info(["torch"])
    _bench.print_machine(info)
    corpora = _bench.corpora_dir()
    n = args.nproc
    runs = {"1 process x 1 thread": (1, 1), f"1 process x {n} threads": (1, n), f"{n} processes x 1 thread": (n, 1)}
    print(f"config  : {args.config}, {args.steps} steps per run, {args.repeat} rounds; device cpu")
    samples: dict[str, list[dict]] = {label: [] for label in runs}
    labels = list(runs)
    with tempfile.TemporaryDirectory(prefix="bench-ddp-") as tmp:
        for round_ in range(args.repeat):
            for label in labels[round_ % len(labels):] + labels[:round_ % len(labels)]:
                nproc, threads = runs[label]
                samples[label].append(_train(args, Path(tmp) / "run", nproc, threads, corpora))
                print(f"  round {round_ + 1}: {label:<24} {samples[label][-1]['tokens_per_second']:>10,.0f} tokens/s")
    rows = [("run", "best tokens/s", "median tokens/s", "median wall s", "vs 1 process x 1 thread (best)")]
    base = max(s["tokens_per_second"] for s in samples[labels[0]])
    summary = {}
    for label, runs_ in samples.items():
        rates = [s["tokens_per_second"] for s in runs_]
        summary[label] = {"best": max(rates), "median": statistics.median(rates), "runs": runs_}
        rows.append((label, f"{max(rates):,.0f}", f"{statistics.median(rates):,.0f}",
                     f"{statistics.median(s['wall_seconds'] for s in runs_):.1f}", f"{max(rates) / base:.2f}"))
    _bench.print_rows(rows, "training throughput (the trainer's timed steps)")
    _bench.write_json(args.json, {"benchmark": "ddp", "machine": info, "args": vars(args), "results": summary})
    return 0


def _train(args: argparse.Namespace, output: Path, nproc: int, threads: int, corpora: Path) -> dict:
    """One ``nlpkit train`` run; the trainer's tokens/s and the command's wall time."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "NLPKIT_CORPORA": str(corpora)}
    command = [sys.executable, "-m", "nlpkit", "train", args.config, "-o", str(output), "--overwrite", "--device", "cpu",
               "--no-progress", "--nproc", str(nproc), "--set", f"trainer.max_steps={args.steps}",
               "--set", f"trainer.log_every={args.steps}"]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"nlpkit train failed ({result.returncode}):\n{result.stderr}")
    meta = json.loads((output / "model" / "meta.json").read_text(encoding="utf-8"))
    training = meta["training"]
    return {"tokens_per_second": training["tokens_per_second"], "train_seconds": training["train_seconds"],
            "steps": training["steps"], "wall_seconds": wall, "device": training["device"]}


if __name__ == "__main__":
    sys.exit(main())
