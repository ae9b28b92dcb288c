#!/usr/bin/env python
"""Train configs on the real corpora and print their dev (and held-out split) results.

Each config is trained with the real CLI (``python -m nlpkit train CONFIG -o OUT``) in a
fresh process; the figures come from the saved pipeline's meta.json, so what is
printed is exactly what the saved model scored. Language models also print a sample.

    python benchmarks/train_results.py configs/names-gru.toml configs/names-rnn.toml
    python benchmarks/train_results.py --set trainer.epochs=2 configs/sst2-lstm.toml
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import _bench

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="+", help="config files to train")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "runs"), help="run folders go here")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="override for every config")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", help="write all results to this JSON file")
    args = parser.parse_args()

    info = _bench.machine_info(["torch", "jieba", "spacy"])
    _bench.print_machine(info)
    rows = [train_one(Path(c), Path(args.out), args.overrides, args.device) for c in args.configs]
    print_table(rows)
    _bench.write_json(args.json, {"benchmark": "train_results", "machine": info, "args": vars(args), "runs": rows})
    return 0


def train_one(config: Path, out: Path, overrides: list[str], device: str) -> dict:
    run = out / config.stem
    command = [sys.executable, "-m", "nlpkit", "train", str(config), "-o", str(run), "--overwrite",
               "--no-progress", "--device", device, *[x for o in overrides for x in ("--set", o)]]
    print(f"\n$ {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    meta = json.loads((run / "model" / "meta.json").read_text(encoding="utf-8"))
    row = {"config": str(config), "run": str(run), "wall_seconds": wall, "training": meta["training"],
           "dev": _scalars(meta["metrics"]["dev"]), "test": _scalars(meta["metrics"].get("test", {})),
           "task": meta["config"]["task"]["name"]}
    if row["task"] == "generate":
        sample = subprocess.run([sys.executable, "-m", "nlpkit", "generate", str(run), "--prefix", "ROMEO:",
                                 "--max-length", "300", "--temperature", "0.8", "--seed", "1", "--device", device],
                                check=True, capture_output=True, text=True).stdout
        row["sample"] = sample
        print(sample)
    return row


def _scalars(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float))}


def print_table(rows: list[dict]) -> None:
    print(f"\n{'config':<30} {'dev metrics':<45} {'held-out split':<20} {'steps':>6}  {'tokens/s':>9}  {'wall s':>7}")
    for r in rows:
        dev = ", ".join(f"{k} {v:.4f}" for k, v in r["dev"].items() if k in ("accuracy", "macro_f1", "loss", "bits_per_token"))
        test = ", ".join(f"{k} {v:.4f}" for k, v in r["test"].items() if k in ("accuracy", "macro_f1"))
        t = r["training"]
        print(f"{Path(r['config']).stem:<30} {dev:<45} {test or '-':<20} {t['steps']:>6}  "
              f"{t['tokens_per_second']:>9.0f}  {r['wall_seconds']:>7.0f}")


if __name__ == "__main__":
    sys.exit(main())
