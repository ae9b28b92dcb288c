#!/usr/bin/env python
"""What a whole pipeline costs beside its model and decoder alone, same process,
interleaved, on one torch thread.

For each pretrained pipeline, on raw dev text (CTB6 dev sentences with the spaces
between words removed for Chinese; CoNLL-2003 dev and UD English-EWT dev tokens joined
by spaces for English):

* ``pipeline``       -- ``pipeline.pipe(texts, batch_size=64)``: tokenizing, encoding,
  the model, decoding, labels, words or entities with character offsets (no scores);
* ``pipeline+scores`` -- the same with ``scores=True`` (confidences), for the record;
* ``decoder alone``  -- what the model and decoder do on input prepared beforehand, in
  the same batches (the texts 64 at a time, in input order, as ``pipe`` cuts them):
  for a count model (``zh-cws-hmm``) ``model.decode`` over the tokenizer's token texts,
  which is the HMM's emission look-up plus Viterbi (as bench_hmm.py times it); for a
  neural one the batches already encoded and collated, then ``model(batch)`` and
  ``decoder.decode(scores)`` under ``torch.inference_mode``.

The ratio pipeline / decoder alone (throughput, > 1: the pipeline is faster) is what the
targets speak of. An untimed pass checks that the decoder alone finds the pipeline's
tags, and that scores change nothing but the scores. ``--profile`` adds a cProfile
summary of one pipeline pass: the functions with the most time of their own.

    python benchmarks/bench_pipeline_overhead.py --json benchmarks/out/pipeline_overhead.json
    python benchmarks/bench_pipeline_overhead.py --pipelines zh-cws-hmm --repeat 9 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _bench

#: pipeline -> (corpus file, how its sentences become raw text), and the target ratio.
CASES: dict[str, tuple[str, str, float | None]] = {
    "zh-cws-hmm": ("ctb6/dev.txt", "segmented", 0.8),
    "zh-cws": ("ctb6/dev.txt", "segmented", 0.85),
    "en-ner": ("conll2003/dev.txt", "conll", None),
    "en-pos": ("ud_english_ewt/en_ewt-ud-dev.conllu", "conllu", None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=7)
    parser.add_argument("--pipelines", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--batch-size", type=int, default=64, help="texts per batch (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: %(default)s)")
    parser.add_argument("--sentences", type=int, default=0, help="use only the first N sentences (0: all)")
    parser.add_argument("--profile", action="store_true", help="profile one pipeline pass of each")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "numpy"])
    _bench.print_machine(info)
    report, ok = {}, True
    for name in args.pipelines:
        report[name] = measure(name, args)
        ok = ok and report[name]["check"]["ok"]
    _bench.write_json(args.json, {"benchmark": "pipeline_overhead", "machine": info, "args": vars(args),
                                  "results": report})
    return 0 if ok else 1


def raw_texts(relative: str, fmt: str) -> list[str]:
    """Each sentence as a user's raw text: Chinese words run together, English tokens spaced."""
    from nlpkit.corpus import read_corpus

    path = _bench.corpus_file(relative)
    if fmt == "segmented":
        return ["".join(line.split()) for line in _bench.read_lines(path) if line.strip()]
    return [" ".join(e.tokens) for e in read_corpus(path, fmt) if e.tokens and e.tokens[0] != "-DOCSTART-"]


def measure(name: str, args: argparse.Namespace) -> dict[str, Any]:
    import nlpkit

    relative, fmt, target = CASES[name]
    texts = raw_texts(relative, fmt)
    texts = texts[: args.sentences] if args.sentences else texts
    chars, bs = sum(map(len, texts)), args.batch_size
    pipeline = nlpkit.load(name, device="cpu")
    print(f"\n{name}: {len(texts)} sentences of {relative}, {chars} chars, batch {bs}")
    decode, paths = decoder_alone(pipeline, texts, bs)
    check = check_agreement(pipeline, texts, bs, paths)
    print(f"check   : {check['summary']}")
    contenders = {
        "pipeline": lambda: _drain(pipeline.pipe(texts, batch_size=bs)),
        "pipeline+scores": lambda: _drain(pipeline.pipe(texts, batch_size=bs, scores=True)),
        "decoder alone": decode,
    }
    results = _bench.interleave(contenders, args.repeat, chars, "chars")
    _bench.print_table(results, f"{name}, {len(texts)} sentences per run (rates in chars/s)")
    print("\nthroughput ratio (> 1: first is faster)")
    ratios = {
        "pipeline / decoder alone": _bench.ratios(results, "pipeline", "decoder alone"),
        "pipeline+scores / pipeline": _bench.ratios(results, "pipeline+scores", "pipeline"),
    }
    verdict = _bench.print_ratio("pipeline / decoder alone  ", ratios["pipeline / decoder alone"], target)
    _bench.print_ratio("pipeline+scores / pipeline", ratios["pipeline+scores / pipeline"])
    out = {"corpus": relative, "sentences": len(texts), "chars": chars, "check": check, "target": target,
           "verdict": verdict, "results": {n: r.summary() for n, r in results.items()}, "ratios": ratios}
    if args.profile:
        out["profile"] = profile(lambda: _drain(pipeline.pipe(texts, batch_size=bs)))
    return out


def decoder_alone(pipeline: Any, texts: list[str], batch_size: int) -> tuple[Callable[[], Any], list[list[int]]]:
    """A call that runs only the model and decoder over input prepared now, in the batches
    ``pipe`` makes, and the tag ids it finds (in input order)."""
    from nlpkit.count_model import is_count_model

    chunks = [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]
    tokens = [[t.texts for t in pipeline.tokenizer.tokenize_batch(chunk)] for chunk in chunks]
    tokens = [[s for s in chunk if s] for chunk in tokens]
    if is_count_model(pipeline.model):
        model = pipeline.model

        def decode() -> list[list[int]]:
            return [path for chunk in tokens for path in model.decode(chunk)]

        return decode, decode()
    import torch

    from nlpkit.data import SequenceData

    prepared = []
    for chunk in tokens:
        data = SequenceData.encode(pipeline.encoder, chunk)
        prepared += [(order, data.batch(order)) for order in data.eval_order(batch_size)]
    model, decoder = pipeline.model.eval(), pipeline.decoder

    def run() -> list[list[list[int]]]:
        with torch.inference_mode():
            return [decoder.decode(model(batch)) for _, batch in prepared]

    paths: list[list[int]] = []
    for (order, _), found in zip(prepared, run()):
        in_order = [[]] * len(order)
        for k, i in enumerate(order):
            in_order[i] = found[k]
        paths += in_order
    return run, paths


def check_agreement(pipeline: Any, texts: list[str], batch_size: int, paths: list[list[int]]) -> dict[str, Any]:
    """Whether the pipeline's tags are the decoder's, and scores change nothing else."""
    plain = list(pipeline.pipe(texts, batch_size=batch_size))
    scored = list(pipeline.pipe(texts, batch_size=batch_size, scores=True))
    tags = [r.tokens.tags for r in plain if r.tokens.tags]
    same_tags = tags == [pipeline.labels.decode(p) for p in paths]
    same_results = all(_without_scores(a) == _without_scores(b) for a, b in zip(plain, scored))
    has_scores = all(_scored(r, True) for r in scored) and all(_scored(r, False) for r in plain)
    ok = same_tags and same_results and has_scores
    summary = (f"{'OK' if ok else 'FAILED'}: tags equal to the decoder's: {same_tags}; results with and without "
               f"scores equal but for the scores: {same_results}; scores only when asked: {has_scores}")
    return {"ok": ok, "summary": summary}


def _without_scores(result: Any) -> Any:
    record = result.to_json()
    record.pop("scores", None)
    for entity in record.get("entities", []):
        entity.pop("score")
    return record


def _scored(result: Any, asked: bool) -> bool:
    """Whether ``result`` has scores exactly when they were ``asked`` for."""
    if hasattr(result, "entities"):
        return all((e.score is not None) == asked for e in result.entities)
    return (result.scores is not None) == asked


def profile(fn: Callable[[], Any], top: int = 12) -> list[dict[str, Any]]:
    """The ``top`` functions by time of their own in one call of ``fn``, printed and returned."""
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]  # type: ignore[attr-defined]
    found = [{"function": f"{Path(file).name}:{line}({func})", "own_s": own, "share": own / total}
             for (file, line, func), (_, _, own, _, _) in rows]
    _bench.print_rows([("function", "own s", "share")]
                      + [(r["function"], f"{r['own_s']:.3f}", f"{r['share']:.1%}") for r in found],
                      f"profile of one pipeline pass ({total:.2f} s under cProfile): most time of their own")
    return found


def _drain(results: Any) -> None:
    for _ in results:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
