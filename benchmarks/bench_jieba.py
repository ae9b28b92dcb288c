#!/usr/bin/env python
"""jieba through nlpkit vs raw jieba, same process, interleaved.

Contenders (all on the text column of chnsenticorp/train.tsv, accurate mode):

* ``raw lcut``        -- ``jieba.Tokenizer().lcut(text)`` per text, its own instance: the peer;
* ``nlpkit pipe``     -- ``get_tokenizer("jieba").pipe(texts)``: tokens with offsets;
* ``nlpkit tokenize`` -- ``tokenizer.tokenize(text)`` per text;
* ``raw tokenize``    -- ``jieba.Tokenizer().tokenize(text)`` (jieba's own words + offsets),
  shown for reference: what raw jieba costs when you also want offsets;
* ``nlpkit Token objs`` -- ``list(tokenizer.tokenize(text))``: nlpkit plus one ``Token``
  object per word, the cost that storing tokens column-wise avoids (see nlpkit/tokens.py).

Both backends load their dictionary before any timing, and an untimed pass checks that
nlpkit's token texts equal raw ``lcut`` with whitespace-only words removed (nlpkit drops
them by default) and that every offset slices back to its token. ``--consume stream`` (the
default) drops each result at once; ``--consume list`` keeps them all, as a user collecting
them would (then the cost of keeping nlpkit's three lists per text alive shows too).

    python benchmarks/bench_jieba.py --repeat 5 --json benchmarks/out/jieba.json
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import time

import _bench

TARGET = 0.9  # nlpkit / raw throughput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=5)
    parser.add_argument("--corpus", default="chnsenticorp/train.tsv",
                        help="label<TAB>text file, relative to the corpora folder (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N texts (default: all)")
    parser.add_argument("--batch-size", type=int, default=1000, help="nlpkit pipe batch size (default: %(default)s)")
    parser.add_argument("--no-hmm", action="store_true", help="turn jieba's HMM off on both sides")
    parser.add_argument("--consume", choices=("list", "stream"), default="stream",
                        help="list: keep every result (as a user collecting them would); "
                             "stream: drop each result at once (default: %(default)s)")
    parser.add_argument("--no-offsets-baseline", action="store_true", help="skip the 'raw tokenize' reference")
    parser.add_argument("--no-token-objects", action="store_true", help="skip the 'nlpkit Token objs' contender")
    args = parser.parse_args()

    import jieba

    import nlpkit

    jieba.setLogLevel(logging.WARNING)
    info = _bench.machine_info(["jieba"])
    _bench.print_machine(info)

    path = _bench.corpus_file(args.corpus)
    texts = _bench.read_tsv_texts(path)
    if args.limit:
        texts = texts[: args.limit]
    chars = sum(map(len, texts))
    hmm = not args.no_hmm
    print(f"corpus  : {path}: {len(texts)} texts, {chars} chars; hmm={hmm}, consume={args.consume}, "
          f"batch_size={args.batch_size}, repeat={args.repeat}")

    # Load both dictionaries before any timing (and report what loading costs).
    t0 = time.perf_counter()
    tok = nlpkit.get_tokenizer("jieba", hmm=hmm)
    tok.tokenize("预热词典")
    load_nlpkit = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = jieba.Tokenizer()
    raw.initialize()
    load_raw = time.perf_counter() - t0
    print(f"dictionary load: nlpkit {load_nlpkit:.2f}s, raw jieba.Tokenizer {load_raw:.2f}s (not timed below)")

    checks = check_agreement(tok, raw, texts, hmm, args.batch_size)
    print(f"check   : {checks['summary']}")

    consume = list if args.consume == "list" else _drain
    contenders = {
        "raw lcut": lambda: consume(raw.lcut(t, HMM=hmm) for t in texts),
        "nlpkit pipe": lambda: consume(tok.pipe(texts, batch_size=args.batch_size)),
        "nlpkit tokenize": lambda: consume(tok.tokenize(t) for t in texts),
    }
    if not args.no_offsets_baseline:
        contenders["raw tokenize"] = lambda: consume(list(raw.tokenize(t, HMM=hmm)) for t in texts)
    if not args.no_token_objects:
        contenders["nlpkit Token objs"] = lambda: consume(list(tok.tokenize(t)) for t in texts)
    results = _bench.interleave(contenders, args.repeat, chars, "chars")

    _bench.print_table(results, f"jieba accurate mode, {chars} chars per run (rates in chars/s)")
    print("\nthroughput ratio (> 1: first is faster)")
    r_pipe = _bench.ratios(results, "nlpkit pipe", "raw lcut")
    r_tok = _bench.ratios(results, "nlpkit tokenize", "raw lcut")
    verdicts = {
        "nlpkit pipe / raw lcut": _bench.print_ratio("nlpkit pipe / raw lcut    ", r_pipe, TARGET),
        "nlpkit tokenize / raw lcut": _bench.print_ratio("nlpkit tokenize / raw lcut", r_tok, TARGET),
    }
    all_ratios = {"nlpkit pipe / raw lcut": r_pipe, "nlpkit tokenize / raw lcut": r_tok}
    if "raw tokenize" in results:
        r_off = _bench.ratios(results, "nlpkit pipe", "raw tokenize")
        all_ratios["nlpkit pipe / raw tokenize"] = r_off
        _bench.print_ratio("nlpkit pipe / raw tokenize", r_off)
    if "nlpkit Token objs" in results:
        r_obj = _bench.ratios(results, "nlpkit Token objs", "nlpkit tokenize")
        all_ratios["nlpkit Token objs / nlpkit tokenize"] = r_obj
        _bench.print_ratio("Token objs / tokenize    ", r_obj)

    _bench.write_json(args.json, {
        "benchmark": "jieba", "machine": info, "args": vars(args), "corpus": str(path),
        "texts": len(texts), "chars": chars, "load_s": {"nlpkit": load_nlpkit, "raw": load_raw},
        "check": checks, "results": {n: r.summary() for n, r in results.items()},
        "ratios": all_ratios, "target": TARGET, "verdicts": verdicts,
    })
    return 0 if checks["ok"] else 1


def check_agreement(tok, raw, texts: list[str], hmm: bool, batch_size: int) -> dict:
    """nlpkit tokens == raw lcut minus whitespace-only words; offsets exact; pipe == tokenize."""
    piped = list(tok.pipe(texts, batch_size=batch_size))
    bad_text = bad_offset = bad_pipe = 0
    first = None
    tokens = 0
    for text, via_pipe in zip(texts, piped):
        ours = tok.tokenize(text)
        theirs = [w for w in raw.lcut(text, HMM=hmm) if not w.isspace()]
        tokens += len(theirs)
        if ours.texts != theirs:
            bad_text += 1
            first = first or {"text": text, "nlpkit": ours.texts, "raw": theirs}
        if any(text[s:e] != w for w, s, e in zip(ours.texts, ours.starts, ours.ends)):
            bad_offset += 1
        if via_pipe != ours:
            bad_pipe += 1
    ok = not (bad_text or bad_offset or bad_pipe)
    summary = (f"{'OK' if ok else 'FAILED'}: {len(texts)} texts, {tokens} tokens; token texts differ in "
               f"{bad_text}, bad offsets in {bad_offset}, pipe != tokenize in {bad_pipe}")
    if first:
        print(f"first disagreement: {first}", file=sys.stderr)
    return {"ok": ok, "tokens": tokens, "text_mismatches": bad_text, "offset_errors": bad_offset,
            "pipe_mismatches": bad_pipe, "summary": summary}


def _drain(iterable) -> None:
    collections.deque(iterable, maxlen=0)


if __name__ == "__main__":
    sys.exit(main())
