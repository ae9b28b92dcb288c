#!/usr/bin/env python
"""nlpkit's HMM beside its peers, in one run: accuracy, training time and decoding speed.

- ``upos``: UD English-EWT UPOS, trained on train, scored on dev, beside NLTK's
  ``HiddenMarkovModelTagger`` (supervised, Lidstone 0.1 smoothing so that unseen
  words get some probability; with NLTK's default MLE they get none);
- ``cws``: SXU word segmentation over B/M/E/S characters, trained on the seeded 90% of
  train that configs/cws-hmm.toml trains on and scored on the other 10%, beside jieba's
  pure-HMM segmenter ``jieba.finalseg`` (its own pre-trained model).

Both sides get the same pre-split input (token lists; sentences without spaces) and
their time covers decoding only, single process. Needs ``pip install nltk``.

    python benchmarks/bench_hmm.py --json benchmarks/out/hmm.json
"""

from __future__ import annotations

import argparse
import sys
import time

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("--task", choices=["upos", "cws", "both"], default="both")
    parser.add_argument("--order", type=int, default=2, help="nlpkit HMM order (default 2, as TnT)")
    parser.add_argument("--lexical", type=int, default=30,
                        help="UPOS: words seen this often condition the next tag "
                             "(default 30, as configs/ud-upos-hmm.toml; 0: off)")
    args = parser.parse_args()
    info = _bench.machine_info(["numpy", "nltk", "jieba"])
    _bench.print_machine(info)
    report = {}
    if args.task in ("upos", "both"):
        report["upos"] = upos(args)
    if args.task in ("cws", "both"):
        report["cws"] = cws(args)
    _bench.write_json(args.json, {"benchmark": "hmm", "machine": info, "args": vars(args), "results": report})
    return 0


def _hmm(order: int, unknown: str, lexical: int = 0):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(_bench.REPO_ROOT / "plugins"))
    from nlpkit_hmm.hmm import HMM

    return HMM(order=order, smoothing="tnt", unknown=unknown, lexical=lexical)


def upos(args: argparse.Namespace) -> dict:
    from nltk.probability import LidstoneProbDist
    from nltk.tag.hmm import HiddenMarkovModelTrainer

    from nlpkit.corpus import read_corpus

    def tagged(file: str) -> list[tuple[list[str], list[str]]]:
        examples = read_corpus(_bench.corpus_file(f"ud_english_ewt/{file}"), "conllu")
        return [(list(e.tokens), list(e.tags["upos"])) for e in examples]

    train, dev = tagged("en_ewt-ud-train.conllu"), tagged("en_ewt-ud-dev.conllu")
    tags = sorted({t for _, ts in train for t in ts})
    index = {t: i for i, t in enumerate(tags)}
    dev_tokens = [w for w, _ in dev]
    gold = [t for _, ts in dev for t in ts]
    n_tokens = len(gold)
    print(f"upos    : {len(train)} training sentences, {len(dev)} dev sentences ({n_tokens} tokens), {len(tags)} tags")

    hmm = _hmm(args.order, "suffix", args.lexical)
    tag_ids = [[index[t] for t in ts] for _, ts in train]
    fit_ours, _, _ = _bench.time_call(lambda: hmm.fit([w for w, _ in train], tag_ids, len(tags)))
    trainer = HiddenMarkovModelTrainer()
    fit_nltk, _, tagger = _bench.time_call(lambda: trainer.train_supervised(
        [list(zip(w, t)) for w, t in train], estimator=lambda fd, bins: LidstoneProbDist(fd, 0.1, bins)))

    ours_tags = [tags[i] for path in hmm.decode(dev_tokens) for i in path]
    nltk_tags = [t for sent in tagger.tag_sents(dev_tokens) for _, t in sent]
    accuracy = {"nlpkit": _accuracy(gold, ours_tags), "nltk": _accuracy(gold, nltk_tags)}
    results = _bench.interleave({"nlpkit": lambda: hmm.decode(dev_tokens),
                                 "nltk": lambda: tagger.tag_sents(dev_tokens)}, args.repeat, n_tokens, "tokens")
    return _report("UD English-EWT UPOS (dev)", "accuracy", accuracy, {"nlpkit": fit_ours, "nltk": fit_nltk},
                   results, "nltk", target=50.0)


def cws(args: argparse.Namespace) -> dict:
    import jieba
    import jieba.finalseg

    from nlpkit.corpus import read_corpus
    from nlpkit.metrics import segmentation_scores
    from nlpkit.spans import bmes_to_words, words_to_bmes
    from nlpkit.splits import split_examples

    jieba.setLogLevel(60)
    examples = [e for e in read_corpus(_bench.corpus_file("sxu_cws/train.txt"), "segmented") if e.tokens]
    train, dev = split_examples(examples, (0.9, 0.1), 42)  # the segment task's dev_fraction=0.1, dev_seed=42
    states = ["B", "M", "E", "S"]
    gold = [list(e.tokens) for e in dev]
    texts = ["".join(words) for words in gold]
    chars = sum(map(len, texts))
    print(f"cws     : {len(train)} training sentences, {len(dev)} dev sentences ({chars} characters)")

    hmm = _hmm(args.order, "chars")
    fit_ours, _, _ = _bench.time_call(lambda: hmm.fit(
        [[c for w in e.tokens for c in w] for e in train],
        [[states.index(t) for t in words_to_bmes(e.tokens)] for e in train], len(states)))

    def ours() -> list[list[str]]:
        paths = hmm.decode([list(t) for t in texts])
        return [bmes_to_words(t, [states[i] for i in path]) for t, path in zip(texts, paths)]

    def finalseg() -> list[list[str]]:
        return [list(jieba.finalseg.cut(t)) for t in texts]

    training_words = {w for e in train for w in e.tokens}
    f1 = {name: segmentation_scores(gold, fn(), training_words) for name, fn in (("nlpkit", ours), ("jieba.finalseg", finalseg))}
    results = _bench.interleave({"nlpkit": ours, "jieba.finalseg": finalseg}, args.repeat, chars, "chars")
    return _report("SXU word segmentation (seeded 10% dev split)", "f1", {k: v["f1"] for k, v in f1.items()},
                   {"nlpkit": fit_ours, "jieba.finalseg": None}, results, "jieba.finalseg", target=3.0,
                   extra={"scores": f1})


def _accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold)


def _report(title, metric, quality, fit, results, peer, target, extra=None):  # type: ignore[no-untyped-def]
    rows = [("contender", metric, "fit s", "decode best", "decode median")]
    for name, r in results.items():
        rows.append((name, f"{quality[name]:.4f}", "-" if fit[name] is None else f"{fit[name]:.2f}",
                     _bench.fmt_rate(r.rate(r.best), r.unit), _bench.fmt_rate(r.rate(r.median), r.unit)))
    _bench.print_rows(rows, title)
    ratio = _bench.ratios(results, "nlpkit", peer)
    verdict = _bench.print_ratio(f"decoding speed-up over {peer}", ratio, target)
    return {metric: quality, "fit_seconds": fit, "ratio": ratio, "verdict": verdict, "target": target,
            "timings": {name: r.summary() for name, r in results.items()}, **(extra or {}),
            "when": time.strftime("%Y-%m-%d %H:%M:%S")}


if __name__ == "__main__":
    sys.exit(main())
