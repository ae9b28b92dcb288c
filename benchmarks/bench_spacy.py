#!/usr/bin/env python
"""spaCy blank("en") through nlpkit vs spaCy's own ``nlp.pipe``, same process, interleaved.

Contenders (on the lines of tinyshakespeare/input.txt):

* ``nlpkit pipe``         -- ``get_tokenizer("spacy", lang="en").pipe(lines)``: Tokens with offsets;
* ``nlpkit per text``     -- the same tokenizer called on each line (``tok(line)``), for reference;
* ``spacy docs``          -- baseline (a): ``nlp.pipe(lines)`` producing Docs only;
* ``spacy docs+offsets``  -- baseline (b): ``nlp.pipe`` plus reading each non-space token's
  text and offsets, i.e. what a user must do to get what nlpkit returns.

``--consume stream`` (the default) drops each result as soon as it is made, as a streaming
user does; ``--consume list`` keeps them all, which for baseline (a) means keeping 40,000
spaCy Docs alive (much slower for spaCy, and no longer a measure of tokenization).

An untimed pass checks that nlpkit's tokens, from ``pipe`` and per text, equal baseline (b)'s.
``--no-per-text`` leaves the per-text contender out; ``--keep-whitespace`` keeps whitespace
tokens on both sides (nlpkit then tokenizes each text alone, as it does for tokenizers whose
texts cannot be joined: ``--lang ms``); ``--lang`` picks another ``spacy.blank`` language.

    python benchmarks/bench_spacy.py --repeat 5 --json benchmarks/out/spacy.json
"""

from __future__ import annotations

import argparse
import collections
import sys

import _bench

TARGET = 0.9  # nlpkit / spacy docs throughput, as the issue words it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=5)
    parser.add_argument("--corpus", default="tinyshakespeare/input.txt",
                        help="plain text file, one text per line, relative to the corpora folder (default: %(default)s)")
    parser.add_argument("--lang", default="en", help="spacy.blank language (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N lines (default: all)")
    parser.add_argument("--skip-empty", action="store_true", help="drop empty lines (default: keep them, as a file reader would)")
    parser.add_argument("--batch-size", type=int, default=1000, help="batch size on both sides (default: %(default)s)")
    parser.add_argument("--consume", choices=("list", "stream"), default="stream",
                        help="list: keep every result; stream: drop each result at once (default: %(default)s)")
    parser.add_argument("--no-per-text", action="store_true", help="leave out the 'nlpkit per text' contender")
    parser.add_argument("--keep-whitespace", action="store_true",
                        help="keep whitespace tokens, on nlpkit's side (option keep_whitespace) and in baseline (b)")
    args = parser.parse_args()

    import spacy

    import nlpkit

    info = _bench.machine_info(["spacy"])
    _bench.print_machine(info)

    path = _bench.corpus_file(args.corpus)
    lines = _bench.read_lines(path)
    if args.skip_empty:
        lines = [line for line in lines if line]
    if args.limit:
        lines = lines[: args.limit]
    chars = sum(map(len, lines))
    print(f"corpus  : {path}: {len(lines)} lines, {chars} chars; lang={args.lang}, consume={args.consume}, "
          f"batch_size={args.batch_size}, keep_whitespace={args.keep_whitespace}, repeat={args.repeat}")

    keep = args.keep_whitespace
    tok = nlpkit.get_tokenizer("spacy", lang=args.lang, keep_whitespace=keep)
    nlp = spacy.blank(args.lang)
    bs = args.batch_size
    consume = list if args.consume == "list" else _drain

    contenders = {
        "nlpkit pipe": lambda: consume(tok.pipe(lines, batch_size=bs)),
        "spacy docs": lambda: consume(nlp.pipe(lines, batch_size=bs)),
        "spacy docs+offsets": lambda: consume(_with_offsets(doc, keep) for doc in nlp.pipe(lines, batch_size=bs)),
    }
    if not args.no_per_text:
        contenders["nlpkit per text"] = lambda: consume(map(tok, lines))

    checks = check_agreement(tok, nlp, lines, bs, keep)
    print(f"check   : {checks['summary']}")

    results = _bench.interleave(contenders, args.repeat, chars, "chars")
    _bench.print_table(results, f"spaCy blank('{args.lang}') tokenization, {chars} chars per run (rates in chars/s)")
    print("\nthroughput ratio (> 1: first is faster)")
    all_ratios = {
        "nlpkit pipe / spacy docs (a)": _bench.ratios(results, "nlpkit pipe", "spacy docs"),
        "nlpkit pipe / spacy docs+offsets (b)": _bench.ratios(results, "nlpkit pipe", "spacy docs+offsets"),
    }
    if not args.no_per_text:
        all_ratios["nlpkit per text / spacy docs (a)"] = _bench.ratios(results, "nlpkit per text", "spacy docs")
        all_ratios["nlpkit per text / spacy docs+offsets (b)"] = _bench.ratios(results, "nlpkit per text", "spacy docs+offsets")
    verdicts = {}
    width = max(map(len, all_ratios))
    for label, ratio in all_ratios.items():
        target = TARGET if label == "nlpkit pipe / spacy docs (a)" else None
        verdicts[label] = _bench.print_ratio(label.ljust(width), ratio, target)

    _bench.write_json(args.json, {
        "benchmark": "spacy", "machine": info, "args": vars(args), "corpus": str(path),
        "lines": len(lines), "chars": chars, "check": checks,
        "results": {n: r.summary() for n, r in results.items()},
        "ratios": all_ratios, "target": TARGET, "verdicts": verdicts,
    })
    return 0 if checks["ok"] else 1


def _with_offsets(doc, keep_whitespace: bool = False) -> list[tuple[str, int, int]]:
    """Baseline (b): what a spaCy user writes to get nlpkit's output from a Doc."""
    return [(t.text, t.idx, t.idx + len(t)) for t in doc if keep_whitespace or not t.is_space]


def check_agreement(tok, nlp, lines: list[str], batch_size: int, keep_whitespace: bool = False) -> dict:
    ours = list(tok.pipe(lines, batch_size=batch_size))
    per_text = list(map(tok, lines))
    theirs = [_with_offsets(doc, keep_whitespace) for doc in nlp.pipe(lines, batch_size=batch_size)]
    bad = sum(1 for a, b in zip(ours, theirs) if list(zip(a.texts, a.starts, a.ends)) != b)
    bad_per_text = sum(1 for a, b in zip(per_text, theirs) if list(zip(a.texts, a.starts, a.ends)) != b)
    tokens = sum(map(len, theirs))
    ok = not bad and not bad_per_text and len(ours) == len(per_text) == len(theirs)
    summary = (f"{'OK' if ok else 'FAILED'}: {len(lines)} lines, {tokens} tokens; nlpkit != spaCy (b) in {bad} lines "
               f"(pipe), {bad_per_text} lines (per text)")
    return {"ok": ok, "tokens": tokens, "mismatches": bad, "mismatches_per_text": bad_per_text, "summary": summary}


def _drain(iterable) -> None:
    collections.deque(iterable, maxlen=0)


if __name__ == "__main__":
    sys.exit(main())
