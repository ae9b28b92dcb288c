#!/usr/bin/env python
"""Pretrained pipelines' throughput under two versions of the code: a refactor must not
cost speed.

Each round runs, for every pipeline, one fresh process with the code of ``--before`` (a
checkout of an earlier commit, e.g. ``git worktree add /tmp/before COMMIT``, put first on
``PYTHONPATH``) and one with this checkout, in alternating order; each process times
``pipeline.pipe(texts, batch_size=64)`` on one torch thread over the raw text of the
pipeline's dev file (the one its card names), best of ``--runs``. Reported: best and median over rounds, and the
median of the per-round ratios (after / before).

    git worktree add /tmp/before 2dbb1de
    python benchmarks/bench_versions.py --before /tmp/before en-ner zh-cws en-pos --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import _bench

TIMER = """
import sys, time, warnings
warnings.simplefilter("ignore")
import nlpkit
name, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    pass
texts = open(path, encoding="utf-8").read().splitlines()
pipeline = nlpkit.load(name, device="cpu")
list(pipeline.pipe(texts[:64], batch_size=64))
times = []
for _ in range(runs):
    start = time.perf_counter()
    list(pipeline.pipe(texts, batch_size=64))
    times.append(time.perf_counter() - start)
print(len(texts) / min(times))
"""


def dev_text(name: str, sentences: int, folder: Path) -> Path:
    """The first ``sentences`` sentences of the dev file ``name``'s card names, as raw text, one per line."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_pretrained import dev_texts

    from nlpkit.pretrained import catalog

    item = catalog().get(name)
    path = folder / f"{name}.txt"
    path.write_text("\n".join(dev_texts(item.card(), item.language)[:sentences]) + "\n", encoding="utf-8")
    return path


def rate(code: Path | None, name: str, text: Path, runs: int) -> float:
    """Sentences/s of ``name`` in a fresh process, with ``code`` first on the path (None: this checkout)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(str(code / part) for part in ("", "plugins", "corpora"))
    done = subprocess.run([sys.executable, "-c", TIMER, name, str(text), str(runs)], env=env,
                          cwd=text.parent,  # not this checkout: "-c" puts the working folder first on the path
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help="pretrained pipelines")
    parser.add_argument("--before", required=True, type=Path, help="a checkout of the earlier code")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process (best kept)")
    parser.add_argument("--sentences", type=int, default=1000)
    args = parser.parse_args()
    _bench.print_machine(_bench.machine_info())
    rows = [("pipeline", "before best", "median", "after best", "median", "after/before paired")]
    with tempfile.TemporaryDirectory() as folder:
        for name in args.names:
            text = dev_text(name, args.sentences, Path(folder))
            before, after = [], []
            for round_ in range(args.rounds):
                order = [(args.before, before), (None, after)]
                for code, out in order if round_ % 2 == 0 else order[::-1]:
                    out.append(rate(code, name, text, args.runs))
            paired = statistics.median(a / b for a, b in zip(after, before))
            rows.append((name, f"{max(before):,.0f}", f"{statistics.median(before):,.0f}", f"{max(after):,.0f}",
                         f"{statistics.median(after):,.0f}", f"{paired:.2f}x"))
    _bench.print_rows(rows, "sentences/s, one torch thread, batch 64")
    return 0


if __name__ == "__main__":
    sys.exit(main())
