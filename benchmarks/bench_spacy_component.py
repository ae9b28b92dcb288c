#!/usr/bin/env python
"""What the ``nlpkit`` spaCy component costs beside calling the nlpkit pipeline directly,
same process, interleaved, on one torch thread.

Contenders (on CoNLL-2003 dev sentences, words joined by spaces, as a user's raw text):

* ``nlpkit pipe``            -- ``pipeline.pipe(texts, batch_size=64)``: results with offsets;
* ``nlpkit pipe + docs``     -- the same, plus ``spacy.blank("en").pipe(texts)``: what a user
  who runs both separately pays, Docs and predictions side by side but not joined;
* ``spacy + component``      -- ``nlp.pipe(texts)`` on ``spacy.blank("en")`` holding
  ``nlp.add_pipe("nlpkit", config={"pipeline": ...})``: Docs with the predictions set
  (``doc.ents``, ``token.pos_`` or ``doc.cats``).

An untimed pass checks that the component's annotations equal the pipeline's own
(entities: text, label and offsets; tags; labels).

    python benchmarks/bench_spacy_component.py --repeat 5 --json benchmarks/out/spacy_component.json
    python benchmarks/bench_spacy_component.py --pipeline en-pos
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=5)
    parser.add_argument("--pipeline", default="en-ner", help="an English nlpkit pipeline (default: %(default)s)")
    parser.add_argument("--texts", default="conll2003/dev.txt", help="a CoNLL file under the corpora folder")
    parser.add_argument("--sentences", type=int, default=1000, help="how many sentences (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=64, help="nlpkit forward-pass batch (default: %(default)s)")
    parser.add_argument("--spacy-batch-size", type=int, default=1000, help="nlp.pipe batch (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s)")
    args = parser.parse_args()

    import spacy
    import torch

    import nlpkit

    torch.set_num_threads(args.threads)
    info = _bench.machine_info(["spacy", "torch"])
    _bench.print_machine(info)
    path = _bench.corpus_file(args.texts)
    texts = conll_sentences(path)[: args.sentences]
    chars = sum(map(len, texts))
    print(f"data    : {len(texts)} sentences of {args.texts}, {chars} chars; pipeline {args.pipeline}, "
          f"batch {args.batch_size}, nlp.pipe batch {args.spacy_batch_size}, torch threads {torch.get_num_threads()}")

    pipeline = nlpkit.load(args.pipeline, device="cpu")
    blank = spacy.blank("en")
    nlp = spacy.blank("en")
    nlp.add_pipe("nlpkit", config={"pipeline": args.pipeline, "batch_size": args.batch_size})
    bs, sbs = args.batch_size, args.spacy_batch_size

    def pipe_and_docs() -> None:
        _drain(pipeline.pipe(texts, batch_size=bs))
        _drain(blank.pipe(texts, batch_size=sbs))

    contenders = {
        "nlpkit pipe": lambda: _drain(pipeline.pipe(texts, batch_size=bs)),
        "nlpkit pipe + docs": pipe_and_docs,
        "spacy + component": lambda: _drain(nlp.pipe(texts, batch_size=sbs)),
    }
    check = check_agreement(pipeline, nlp, texts, bs, sbs)
    print(f"check   : {check['summary']}")

    results = _bench.interleave(contenders, args.repeat, len(texts), "sentences")
    _bench.print_table(results, f"{args.pipeline} through spaCy, {len(texts)} sentences per run (rates in sentences/s)")
    print("\nthroughput ratio (> 1: first is faster)")
    all_ratios = {
        "component / nlpkit pipe": _bench.ratios(results, "spacy + component", "nlpkit pipe"),
        "component / nlpkit pipe + docs": _bench.ratios(results, "spacy + component", "nlpkit pipe + docs"),
    }
    width = max(map(len, all_ratios))
    for label, ratio in all_ratios.items():
        _bench.print_ratio(label.ljust(width), ratio)
    overhead = results["spacy + component"].median - results["nlpkit pipe"].median
    print(f"  component overhead per sentence (median): {overhead / len(texts) * 1e6:.1f} us")

    _bench.write_json(args.json, {
        "benchmark": "spacy_component", "machine": info, "args": vars(args), "corpus": str(path),
        "sentences": len(texts), "chars": chars, "check": check,
        "results": {n: r.summary() for n, r in results.items()}, "ratios": all_ratios,
    })
    return 0 if check["ok"] else 1


def check_agreement(pipeline, nlp, texts: list[str], batch_size: int, spacy_batch_size: int) -> dict:  # type: ignore[no-untyped-def]
    """Whether every Doc carries exactly what the pipeline predicts for its text."""
    ours = [_annotations(doc) for doc in nlp.pipe(texts, batch_size=spacy_batch_size)]
    theirs = [_expected(result) for result in pipeline.pipe(texts, batch_size=batch_size)]
    bad = sum(1 for a, b in zip(ours, theirs) if a != b)
    ok = not bad and len(ours) == len(theirs)
    summary = f"{'OK' if ok else 'FAILED'}: {len(texts)} texts; the component's annotations differ in {bad}"
    return {"ok": ok, "mismatches": bad, "summary": summary}


def _annotations(doc) -> list:  # type: ignore[no-untyped-def]
    if doc.cats:
        return [max(doc.cats, key=doc.cats.get)]
    if any(t.pos_ for t in doc):
        return [t.pos_ for t in doc if not t.is_space]
    return [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]


def _expected(result) -> list:  # type: ignore[no-untyped-def]
    if hasattr(result, "entities"):
        return [(e.text, e.label, e.start, e.end) for e in result.entities]
    if hasattr(result, "probabilities"):
        return [result.label] if result.label is not None else []
    return list(result.tokens.tags or [])


def conll_sentences(path: Path) -> list[str]:
    """Sentences of a CoNLL file as raw text, words joined by single spaces (nlpkit's own reader)."""
    from nlpkit.corpus import read_corpus

    return [" ".join(e.tokens or ()) for e in read_corpus(path, "conll")]


def _drain(iterable) -> None:  # type: ignore[no-untyped-def]
    collections.deque(iterable, maxlen=0)


if __name__ == "__main__":
    sys.exit(main())
