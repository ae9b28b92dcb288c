#!/usr/bin/env python
"""The pretrained pipelines nlpkit ships: size on disk, cold load time, dev scores (full
precision and as shipped, from each card) and throughput on one CPU thread at batch 64,
beside the peer a user would pick, in the same run on the same text.

* throughput: sentences/s and characters/s of ``pipeline.pipe(texts, batch_size=64)`` over
  the raw text of the pipeline's dev file (words joined as the language writes them), the
  whole path timed: tokenize, encode, model, decode, results with offsets;
* peers: ``zh-cws`` and ``zh-cws-hmm`` beside jieba (``jieba.Tokenizer().lcut``, accurate mode
  with its HMM) on the same CTB6 dev text, with jieba's word F1 on it; ``en-pos-hmm`` beside
  NLTK's ``HiddenMarkovModelTagger`` trained on the same EWT training data (NLTK gets the dev
  sentences already split into words, so its time leaves tokenization out);
* cold load: a new Python process that imports nlpkit and loads the pipeline by name
  (torch's import included where the pipeline needs torch), and ``nlpkit.load`` alone in a
  process where torch is already imported.

    python benchmarks/bench_pretrained.py --threads 1
    python benchmarks/bench_pretrained.py zh-cws zh-cws-hmm --repeat 5 --json benchmarks/out/pretrained.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import _bench

#: name -> the peer it is measured beside.
PEERS = {"zh-cws": "jieba", "zh-cws-hmm": "jieba", "en-pos-hmm": "nltk-hmm"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("names", nargs="*", help="pipelines (default: every installed pretrained pipeline)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sentences", type=int, default=2000, help="dev sentences to time (default 2000)")
    args = parser.parse_args()

    import torch

    import nlpkit
    from nlpkit.pretrained import catalog

    torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "jieba", "nltk"])
    _bench.print_machine(info)
    names = args.names or [p.name for p in catalog()]
    rows = [("pipeline", "size MB", "cold s", "load s", "dev (full / shipped)", "sent/s", "chars/s")]
    report = {}
    for name in names:
        item = catalog().get(name)
        card = item.card()
        texts = dev_texts(card, item.language)[: args.sentences]
        pipeline = nlpkit.load(name, device="cpu")
        chars = sum(map(len, texts))
        contenders = {name: lambda p=pipeline, t=texts: list(p.pipe(t, batch_size=args.batch_size))}
        peer = PEERS.get(name)
        if peer:
            contenders[peer] = peer_call(peer, texts)
        results = _bench.interleave(contenders, args.repeat, len(texts), "sentences")
        cold, load = cold_load(name, args.repeat)
        dev = card.get("dev", {})
        best = results[name].best
        rows.append((name, f"{item.size() / 1e6:.2f}", f"{cold:.2f}", f"{load:.2f}",
                     f"{dev.get('metric', '?')} {dev.get('full_precision', float('nan')):.4f} / "
                     f"{dev.get('shipped', float('nan')):.4f}", f"{len(texts) / best:,.0f}", f"{chars / best:,.0f}"))
        report[name] = {"size": item.size(), "cold_s": cold, "load_s": load, "dev": dev, "sentences": len(texts),
                        "chars": chars, "results": {k: r.summary() for k, r in results.items()}}
        if peer:
            ratio = _bench.ratios(results, name, peer)
            report[name]["ratio_vs_" + peer] = ratio
            rows.append((f"  {peer} (same text)", "", "", "", peer_score(peer, name),
                         f"{len(texts) / results[peer].best:,.0f}", f"{chars / results[peer].best:,.0f}"))
            rows.append((f"  {name} / {peer}", "", "", "", "", f"{ratio['best']:.2f}x best",
                         f"{ratio['paired_median']:.2f}x paired"))
    _bench.print_rows(rows, f"pretrained pipelines, torch threads {args.threads}, batch {args.batch_size}")
    _bench.write_json(args.json, {"benchmark": "pretrained", "machine": info, "args": vars(args), "results": report})
    return 0


def dev_texts(card: dict, language: str) -> list[str]:
    """The raw text of the dev file the card names, one sentence per text."""
    from nlpkit.config import resolve_corpus_path
    from nlpkit.corpus import read_corpus

    meta = json.loads((Path(card["path"]) / "meta.json").read_text(encoding="utf-8"))
    corpus = meta["config"]["corpus"]
    path = resolve_corpus_path(corpus["dev"], _bench.REPO_ROOT)
    joiner = "" if language == "zh" else " "
    examples = read_corpus(path, corpus["format"])
    return [e.text if e.tokens is None else joiner.join(e.tokens) for e in examples]


def peer_call(peer: str, texts: list[str]):  # type: ignore[no-untyped-def]
    if peer == "jieba":
        import jieba

        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return lambda: [tokenizer.lcut(t) for t in texts]
    tagger, sentences = _nltk_tagger(texts)
    return lambda: tagger.tag_sents(sentences)


def _nltk_tagger(texts: list[str]):  # type: ignore[no-untyped-def]
    """NLTK's supervised HMM tagger on EWT train (Lidstone 0.1, as benchmarks/bench_hmm.py),
    and the dev sentences as words."""
    from nltk.probability import LidstoneProbDist
    from nltk.tag.hmm import HiddenMarkovModelTrainer

    from nlpkit.corpus import read_corpus

    train = read_corpus(_bench.corpus_file("ud_english_ewt/en_ewt-ud-train.conllu"), "conllu")
    tagged = [list(zip(e.tokens, e.tags["upos"])) for e in train]
    tagger = HiddenMarkovModelTrainer().train_supervised(
        tagged, estimator=lambda fd, bins: LidstoneProbDist(fd, 0.1, bins))
    return tagger, [t.split(" ") for t in texts]


def peer_score(peer: str, name: str) -> str:
    """jieba's word F1 on CTB6 dev (the peer's accuracy beside the pipeline's)."""
    if peer != "jieba":
        return ""
    import jieba

    from nlpkit.corpus import read_corpus
    from nlpkit.metrics import segmentation_scores

    tokenizer = jieba.Tokenizer()
    gold = [list(e.tokens) for e in read_corpus(_bench.corpus_file("ctb6/dev.txt"), "segmented")]
    found = [tokenizer.lcut("".join(words)) for words in gold]
    return f"f1 {segmentation_scores(gold, found)['f1']:.4f}"


def cold_load(name: str, repeat: int) -> tuple[float, float]:
    """Best seconds of (a new process: import nlpkit, load ``name``) and of a second
    ``nlpkit.load`` in that process, torch and the plugins already imported."""
    code = ("import sys, time; t = time.perf_counter(); import nlpkit; p = nlpkit.load(sys.argv[1], device='cpu'); "
            "cold = time.perf_counter() - t; import torch; t = time.perf_counter(); "
            "nlpkit.load(sys.argv[1], device='cpu'); print(cold, time.perf_counter() - t)")
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, check=True)
        runs.append(tuple(float(x) for x in done.stdout.split()))
    return min(r[0] for r in runs), min(r[1] for r in runs)


if __name__ == "__main__":
    sys.exit(main())
