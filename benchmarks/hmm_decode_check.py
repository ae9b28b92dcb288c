#!/usr/bin/env python
"""Decoding of nlpkit's HMM on UD English-EWT UPOS dev (dev only, never test): save the
predicted tags, compare them with a saved run, profile the Viterbi, or time it.

Why: speed work on the Viterbi must not change a single predicted tag; this script
keeps the tags of one version so that the next can be checked against them.

    python benchmarks/hmm_decode_check.py --save benchmarks/out/hmm_dev_tags.json
    python benchmarks/hmm_decode_check.py --compare benchmarks/out/hmm_dev_tags.json
    python benchmarks/hmm_decode_check.py --profile         # cProfile of decode, top functions
    python benchmarks/hmm_decode_check.py --time 7          # decode seconds, lexical on and off
    python benchmarks/hmm_decode_check.py --time 30 --against HEAD~1   # ... beside an older commit's code
    python benchmarks/hmm_decode_check.py --time 7 --confidence --against HEAD~1  # decode_with_confidence
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bench


def _load(name: str) -> list[tuple[list[str], list[str]]]:
    """Tokens and UPOS tags of one UD English-EWT split."""
    from nlpkit.corpus import read_corpus

    path = _bench.corpus_file(f"ud_english_ewt/en_ewt-ud-{name}.conllu")
    return [(list(e.tokens), list(e.tags["upos"])) for e in read_corpus(path, "conllu")]


def _fitted(train: list[tuple[list[str], list[str]]], tags: list[str], lexical: int):  # type: ignore[no-untyped-def]
    """An HMM as configs/ud-upos-hmm.toml builds it, with the given ``lexical``."""
    from nlpkit_hmm.hmm import HMM

    index = {t: i for i, t in enumerate(tags)}
    hmm = HMM(order=2, smoothing="tnt", unknown="suffix", lexical=lexical)
    hmm.fit([w for w, _ in train], [[index[t] for t in ts] for _, ts in train], len(tags))
    return hmm


def _compare(paths: list[list[int]], confidence: list[list[float]], saved: Path) -> int:
    """0 when every predicted tag equals the saved run's, else 1 (and where they differ);
    prints how far the posteriors of decode_with_confidence moved (float64 sums may reorder)."""
    stored = json.loads(saved.read_text())
    before = stored["paths"]
    moved = max((abs(a - b) for x, y in zip(stored["confidence"], confidence) for a, b in zip(x, y)), default=0.0)
    print(f"confidence: largest change {moved:.3g}")
    differ = [(s, i) for s, (a, b) in enumerate(zip(before, paths)) for i in range(max(len(a), len(b)))
              if i >= len(a) or i >= len(b) or a[i] != b[i]]
    tokens = sum(map(len, paths))
    if len(before) != len(paths) or differ:
        print(f"DIFFERENT: {len(differ)} of {tokens} tags differ (first: {differ[:5]})")
        return 1
    print(f"identical: all {tokens} tags of {len(paths)} sentences equal {saved}")
    return 0


def _package_at(rev: str):  # type: ignore[no-untyped-def]
    """``nlpkit_hmm.hmm`` as it was at git revision ``rev``, imported under another package name
    (the current ``nlpkit_hmm`` is usually imported already, by the plugin hooks)."""
    name = "nlpkit_hmm_at_" + re.sub(r"\W", "_", rev)
    root = Path(tempfile.mkdtemp())
    (root / name).mkdir()
    git = ["git", "-C", str(_bench.REPO_ROOT)]
    files = subprocess.run([*git, "ls-tree", "--name-only", rev, "plugins/nlpkit_hmm/"], check=True,
                           capture_output=True, text=True).stdout.split()
    for path in (f for f in files if f.endswith(".py")):
        source = subprocess.run([*git, "show", f"{rev}:{path}"], check=True, capture_output=True, text=True).stdout
        (root / name / Path(path).name).write_text(source)
    sys.path.insert(0, str(root))
    return importlib.import_module(f"{name}.hmm")


def _time(models: dict, dev: list[list[str]], rounds: int, method: str = "decode") -> None:
    """Interleaved timings of ``method`` (the order rotates each round): best and median seconds
    per model, and each model's paired (same-round) speed-up over the first one."""
    times: dict[str, list[float]] = {name: [] for name in models}
    names = list(models)
    for name in names:
        getattr(models[name], method)(dev)  # warm-up
    for r in range(rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            getattr(models[name], method)(dev)
            times[name].append(time.perf_counter() - start)
    for name, ts in times.items():
        paired = statistics.median(a / b for a, b in zip(times[names[0]], ts))
        print(f"{name:20s} best {min(ts):.4f} s  median {statistics.median(ts):.4f} s  "
              f"paired speed-up over {names[0]}: {paired:.3f}  ({rounds} rounds)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lexical", type=int, default=30)
    parser.add_argument("--save", type=Path, help="write the predicted tags here (JSON)")
    parser.add_argument("--compare", type=Path, help="compare the predicted tags with this saved run")
    parser.add_argument("--profile", action="store_true", help="cProfile five decodes of dev")
    parser.add_argument("--time", type=int, default=0, metavar="ROUNDS",
                        help="interleaved decode timings of lexical=LEXICAL and lexical=0")
    parser.add_argument("--against", metavar="REV", help="with --time: also time the HMM code of git revision REV")
    parser.add_argument("--confidence", action="store_true",
                        help="with --time: time decode_with_confidence (what nlpkit predict runs), not decode")
    args = parser.parse_args()
    sys.path.insert(0, str(_bench.REPO_ROOT / "plugins"))
    train, dev = _load("train"), _load("dev")
    tags = sorted({t for _, ts in train for t in ts})
    dev_tokens = [w for w, _ in dev]
    hmm = _fitted(train, tags, args.lexical)
    paths = hmm.decode(dev_tokens)
    confident, confidence = hmm.decode_with_confidence(dev_tokens)
    if confident != paths:
        print("DIFFERENT: decode_with_confidence's paths are not decode's")
        return 1
    status = 0
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps({"lexical": args.lexical, "paths": paths, "confidence": confidence}))
        print(f"saved {sum(map(len, paths))} tags to {args.save}")
    if args.compare:
        status = _compare(paths, confidence, args.compare)
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [hmm.decode(dev_tokens) for _ in range(5)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    if args.time:
        models = {f"lexical={args.lexical}": hmm, "lexical=0": _fitted(train, tags, 0)}
        if args.against:
            old = _package_at(args.against).HMM
            models = {**{f"{args.against} {n}": old.from_arrays(m.arrays()) for n, m in models.items()}, **models}
            for name, model in models.items():
                if model.decode(dev_tokens) != models[name.split()[-1]].decode(dev_tokens):
                    print(f"DIFFERENT: {name} predicts other tags than the current code")
                    status = 1
        print(f"load average before: {os.getloadavg()}")
        _time(models, dev_tokens, args.time, "decode_with_confidence" if args.confidence else "decode")
        print(f"load average after: {os.getloadavg()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
