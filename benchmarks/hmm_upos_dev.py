#!/usr/bin/env python
"""UPOS dev accuracy of nlpkit's HMM on UD English-EWT under given options, split into
words seen in training and unseen ones: the figures of benchmarks.md section 10's
ablations. Dev only (never the test split).

    python benchmarks/hmm_upos_dev.py                       # the config's defaults
    python benchmarks/hmm_upos_dev.py max_suffix=5 shapes=0 # any HMM option=value
"""

from __future__ import annotations

import ast
import sys
import time

import _bench


def _options(argv: list[str]) -> dict:
    out = {}
    for arg in argv:
        name, _, value = arg.partition("=")
        try:
            out[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[name] = value
    return out


def _load(name: str) -> list[tuple[list[str], list[str]]]:
    from nlpkit.corpus import read_corpus

    path = _bench.corpus_file(f"ud_english_ewt/en_ewt-ud-{name}.conllu")
    return [(list(e.tokens), list(e.tags["upos"])) for e in read_corpus(path, "conllu")]


def main() -> int:
    sys.path.insert(0, str(_bench.REPO_ROOT / "plugins"))
    from nlpkit_hmm.hmm import HMM

    options = _options(sys.argv[1:])
    train, dev = _load("train"), _load("dev")
    tags = sorted({t for _, ts in train for t in ts})
    index = {t: i for i, t in enumerate(tags)}
    hmm = HMM(**options)
    start = time.perf_counter()
    hmm.fit([w for w, _ in train], [[index[t] for t in ts] for _, ts in train], len(tags))
    fit = time.perf_counter() - start
    seen = {w for ws, _ in train for w in ws}
    start = time.perf_counter()
    paths = hmm.decode([w for w, _ in dev])
    decode = time.perf_counter() - start
    right = {True: [0, 0], False: [0, 0]}
    for (words, gold), path in zip(dev, paths):
        for w, g, p in zip(words, gold, path):
            cell = right[w in seen]
            cell[0] += g == tags[p]
            cell[1] += 1
    total = sum(c[0] for c in right.values()) / sum(c[1] for c in right.values())
    known, unknown = (right[k][0] / right[k][1] for k in (True, False))
    print(f"{options} accuracy {total:.4f} known {known:.4f} unknown {unknown:.4f} "
          f"(fit {fit:.1f} s, decode {decode:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
