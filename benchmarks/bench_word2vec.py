#!/usr/bin/env python
"""word2vec: nlpkit's trainer against gensim 4 (workers=2), speed and quality.

The English corpus is every English training text under the corpora folder, lower-cased:
CoNLL-2003 train tokens, WNUT-17 train tokens, UD English-EWT train FORMs, SST-2 train
sentences (already tokenized) and Tiny Shakespeare (split into words and punctuation
by a regular expression), one sentence or line per example: 0.86 million words.
Both libraries get it as the same in-memory list of token lists and the same
hyper-parameters (skip-gram and CBOW, negative sampling), and each is timed from the
corpus to the vectors (vocabulary scan included): words/s = epochs x corpus words / wall
seconds. Quality, measured by nlpkit's evaluations on both sets of vectors (they equal
gensim's ``evaluate_word_pairs`` and ``evaluate_word_analogies``): Spearman's rho on
WordSim-353 and SimLex-999 and 3CosAdd accuracy on questions-words.txt, the files
gensim ships in ``gensim/test/test_data``. Targets: nlpkit within 0.02 of gensim on
WordSim-353 and on analogies, and at least gensim's words/s (issue 17; issue 6 asked
for half, with the torch backend). On a corpus this
small the scores move by 0.01 to 0.04 from one seed to the next (gensim's too): compare
several ``--seed`` values before reading much into one gap (``--seeds 1,2,3`` does). nlpkit
runs ``--nlpkit-workers`` threads of SGD steps (2 by default; with the torch backend one
torch thread each, and ``--nlpkit-workers 1`` uses ``--threads`` torch threads instead);
gensim gets ``--workers``. ``--backend`` picks nlpkit's engine (default auto: numba when
installed). The numba kernels are compiled (or loaded from numba's on-disk cache) by a
warm-up run on a few sentences before any timing, and that time is printed apart: gensim's
Cython loop is compiled at install time too. Speed ratios are from the best and the median
wall times and the median of the per-round ratios (rounds interleave the two libraries).

The Chinese part trains skip-gram on SXU word segmentation training text (words as
segmented) with both and prints the nearest neighbours of a few words.

    python benchmarks/bench_word2vec.py --max-words 100000 --epochs 1 --no-chinese
    python benchmarks/bench_word2vec.py --json benchmarks/out/word2vec.json
    python benchmarks/bench_word2vec.py --write-corpus runs/english.txt   # the corpus as a file
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import _bench

REPO_PLUGINS = _bench.REPO_ROOT / "plugins"
CHINESE_WORDS = ("中国", "北京", "经济", "体育")
TARGET_SPEED, TARGET_GAP = 1.0, 0.02
_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=1)
    parser.add_argument("--max-words", type=int, help="cap each corpus at about this many words (a quick try)")
    parser.add_argument("--modes", default="skipgram,cbow", help="comma-separated: skipgram, cbow")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gensim worker threads (default 2)")
    parser.add_argument("--threads", type=int, help="torch CPU threads for nlpkit (default: torch's own choice)")
    parser.add_argument("--nlpkit-workers", type=int, default=2,
                        help="nlpkit's worker threads (default 2, as gensim's; 1: reproducible, one thread of steps)")
    parser.add_argument("--device", default="cpu", help="nlpkit's torch device (default cpu)")
    parser.add_argument("--batch-size", type=int, help="nlpkit's examples per SGD step (torch backend; default: its own)")
    parser.add_argument("--backend", default="auto", choices=["auto", "numba", "torch"],
                        help="nlpkit's SGD engine (default auto: numba when installed and on CPU)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", help="comma-separated seeds for the English comparison (e.g. 1,2,3): quality "
                                        "is their mean, as one seed's gap is mostly noise")
    parser.add_argument("--no-chinese", action="store_true", help="skip the Chinese neighbours")
    parser.add_argument("--write-corpus", metavar="FILE",
                        help="only write the English corpus to FILE, one sentence per line (for nlpkit word2vec train)")
    args = parser.parse_args()
    if args.write_corpus:
        return write_corpus(english_corpus(args.max_words), args.write_corpus)

    import torch

    try:
        import gensim  # noqa: F401
    except ImportError:
        sys.exit("gensim is not installed: pip install gensim")
    sys.path.insert(0, str(REPO_PLUGINS))  # nlpkit_word2vec, before it is registered as a plugin
    if args.threads:
        torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "numpy", "gensim"])
    _bench.print_machine(info)
    english = english_corpus(args.max_words)
    report: dict = {"english": {}, "chinese": {}, "warm_up_s": warm_up(english, args)}
    print(f"corpus  : English {_count(english):,} words in {len(english):,} sentences; "
          f"nlpkit workers={args.nlpkit_workers} ({torch.get_num_threads()} torch threads when 1), "
          f"gensim workers={args.workers}")
    for mode in args.modes.split(","):
        report["english"][mode] = compare(english, mode.strip(), args)
    if not args.no_chinese:
        chinese = chinese_corpus(args.max_words)
        print(f"\ncorpus  : Chinese (SXU) {_count(chinese):,} words in {len(chinese):,} sentences")
        report["chinese"] = neighbours(chinese, args)
    _bench.write_json(args.json, {"benchmark": "word2vec", "machine": info, "args": vars(args), "results": report})
    return 0


# --------------------------------------------------------------------------- corpora


def write_corpus(sentences: list[list[str]], path: str) -> int:
    """The corpus as text, tokens separated by spaces, written atomically."""
    from nlpkit.io import atomic_write

    Path(path).parent.mkdir(parents=True, exist_ok=True)  # runs/ on a fresh clone
    with atomic_write(path) as out:
        out.writelines(" ".join(tokens) + "\n" for tokens in sentences)
    print(f"wrote {_count(sentences):,} words in {len(sentences):,} sentences to {path}")
    return 0


def english_corpus(max_words: int | None) -> list[list[str]]:
    """Lower-cased English training sentences from five corpora, interleaved so that a
    capped corpus still samples all five."""
    parts = [_conll_column(_bench.corpus_file("conll2003/train.txt"), " ", 0, skip="-DOCSTART-"),
             _conll_column(_bench.corpus_file("wnut17/train.conll"), "\t", 0),
             _conllu_forms(_bench.corpus_file("ud_english_ewt/en_ewt-ud-train.conllu")),
             [text.lower().split() for text in _bench.read_tsv_texts(_bench.corpus_file("sst2/train.tsv"))],
             [_WORDS.findall(line.lower()) for line in _bench.read_lines(_bench.corpus_file("tinyshakespeare/input.txt"))]]
    return _capped(_interleave([[s for s in part if s] for part in parts]), max_words)


def chinese_corpus(max_words: int | None) -> list[list[str]]:
    lines = _bench.read_lines(_bench.corpus_file("sxu_cws/train.txt"))
    return _capped([line.split() for line in lines if line.strip()], max_words)


def _conll_column(path: Path, sep: str, column: int, skip: str | None = None) -> list[list[str]]:
    sentences, current = [], []
    for line in _bench.read_lines(path):
        if not line.strip():
            sentences.append(current)
            current = []
        elif not (skip and line.startswith(skip)):
            current.append(line.split(sep)[column].lower())
    return [*sentences, current]


def _conllu_forms(path: Path) -> list[list[str]]:
    sentences, current = [], []
    for line in _bench.read_lines(path):
        if not line.strip():
            sentences.append(current)
            current = []
        elif not line.startswith("#"):
            fields = line.split("\t")
            if fields[0].isdigit():  # skip multiword ranges (1-2) and empty nodes (1.1)
                current.append(fields[1].lower())
    return [*sentences, current]


def _interleave(parts: list[list[list[str]]]) -> list[list[str]]:
    """Round-robin by share: sentence i of a part of n goes at position i/n."""
    keyed = [(i / len(part), k, s) for k, part in enumerate(parts) for i, s in enumerate(part)]
    return [s for _, _, s in sorted(keyed, key=lambda t: (t[0], t[1]))]


def _capped(sentences: list[list[str]], max_words: int | None) -> list[list[str]]:
    if not max_words:
        return sentences
    out, n = [], 0
    for s in sentences:
        if n >= max_words:
            break
        out.append(s)
        n += len(s)
    return out


def _count(sentences: list[list[str]]) -> int:
    return sum(map(len, sentences))


# --------------------------------------------------------------------------- training


def train_nlpkit(sentences: list[list[str]], mode: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from nlpkit_word2vec.train import train_word2vec

    return train_word2vec(lambda: sentences, mode=mode, dim=args.dim, window=args.window, negative=args.negative,
                          min_count=args.min_count, sample=args.sample, epochs=args.epochs, seed=args.seed,
                          device=args.device, batch_size=args.batch_size, workers=args.nlpkit_workers,
                          backend=args.backend)


def warm_up(sentences: list[list[str]], args: argparse.Namespace) -> float:
    """Seconds of one tiny training run (numba: import, then compile or load the cached
    kernels), kept out of the timed runs."""
    start = time.perf_counter()
    small = argparse.Namespace(**{**vars(args), "epochs": 1, "min_count": 1})
    train_nlpkit(sentences[:50], "skipgram", small)
    seconds = time.perf_counter() - start
    print(f"warm-up : {seconds:.2f}s (nlpkit backend {args.backend}: numba import and kernel compile or cache load)")
    return seconds


def train_gensim(sentences: list[list[str]], mode: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from gensim.models import Word2Vec

    from nlpkit_word2vec.vectors import WordVectors

    model = Word2Vec(sentences, sg=int(mode == "skipgram"), vector_size=args.dim, window=args.window, hs=0,
                     negative=args.negative, min_count=args.min_count, sample=args.sample, epochs=args.epochs,
                     alpha=0.025, min_alpha=0.0001, seed=args.seed, workers=args.workers, cbow_mean=1)
    return WordVectors(model.wv.index_to_key, model.wv.vectors)


def timed(contenders: dict, repeat: int) -> dict:  # type: ignore[type-arg]
    """Wall seconds of each contender, interleaved (order rotating), and its last vectors."""
    names = list(contenders)
    walls: dict[str, list[float]] = {n: [] for n in names}
    vectors = {}
    for r in range(repeat):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            wall, _, vectors[name] = _bench.time_call(contenders[name])
            walls[name].append(wall)
            print(f"  round {r + 1}/{repeat}: {name} {wall:.2f}s", file=sys.stderr, flush=True)
    return {n: (walls[n], vectors[n]) for n in names}


def compare(sentences: list[list[str]], mode: str, args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    """Both libraries on every seed of ``--seeds``: speed from the best wall time of all
    runs, quality as the mean over seeds (one row per seed and library)."""
    words = _count(sentences) * args.epochs
    rows = [("contender", "seed", "best s", "median s", "words/s", "vocab", "WS353 rho", "oov", "SimLex rho", "oov",
             "analogy acc", "asked")]
    runs: dict[str, list[dict]] = {"nlpkit": [], "gensim": []}
    for seed in _seeds(args):
        args.seed = seed
        results = timed({"nlpkit": lambda: train_nlpkit(sentences, mode, args),
                         "gensim": lambda: train_gensim(sentences, mode, args)}, args.repeat)
        for name, (walls, vectors) in results.items():
            run = _quality(vectors) | {"seed": seed, "wall_s": walls, "vocab": len(vectors)}
            runs[name].append(run)
            rows.append((name, str(seed), f"{min(walls):.2f}", f"{statistics.median(walls):.2f}",
                         _bench.fmt_rate(words / min(walls), "word"), f"{len(vectors):,}", f"{run['wordsim353']:.4f}",
                         run["wordsim353_oov"], f"{run['simlex999']:.4f}", run["simlex999_oov"],
                         f"{run['analogy']:.4f}", run["analogy_asked"]))
    report = {name: _summary(found, words) for name, found in runs.items()}
    ours, peer = report["nlpkit"], report["gensim"]
    speed = ours["words_per_s"] / peer["words_per_s"]
    median = statistics.median(peer["wall_s"]) / statistics.median(ours["wall_s"])
    paired = statistics.median(g / n for o, p in zip(runs["nlpkit"], runs["gensim"])
                               for n, g in zip(o["wall_s"], p["wall_s"]))
    gaps = {key: ours[key] - peer[key] for key in ("wordsim353", "simlex999", "analogy")}
    _bench.print_rows(rows, f"English {mode}: {args.epochs} epochs x {_count(sentences):,} words")
    print(f"  speed nlpkit/gensim: best {speed:.3f}x, median {median:.3f}x, paired median {paired:.3f}x "
          f"(target >= {TARGET_SPEED}x {'MET' if speed >= TARGET_SPEED else 'MISSED'} on best)")
    for key in ("wordsim353", "analogy"):
        met = gaps[key] >= -TARGET_GAP
        spread = ", ".join(f"{o[key] - g[key]:+.4f}" for o, g in zip(runs["nlpkit"], runs["gensim"]))
        print(f"  {key} nlpkit - gensim, mean of {len(runs['nlpkit'])} seed(s): {gaps[key]:+.4f} "
              f"(target >= -{TARGET_GAP} {'MET' if met else 'MISSED'}; per seed {spread})")
    return {**report, "runs": runs, "speed_ratio": speed, "speed_ratio_median": median,
            "speed_ratio_paired": paired, "gaps": gaps}


def _seeds(args: argparse.Namespace) -> list[int]:
    return [int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed]


def _quality(vectors) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from gensim.test.utils import datapath

    ws = vectors.evaluate_similarity(datapath("wordsim353.tsv"))
    sl = vectors.evaluate_similarity(datapath("simlex999.txt"))
    an = vectors.evaluate_analogies(datapath("questions-words.txt"))
    return {"wordsim353": ws.spearman, "wordsim353_oov": f"{ws.oov}/{ws.pairs + ws.oov}",
            "simlex999": sl.spearman, "simlex999_oov": f"{sl.oov}/{sl.pairs + sl.oov}",
            "analogy": an.accuracy, "analogy_asked": f"{an.total}/{an.total + an.oov}"}


def _summary(runs: list[dict], words: int) -> dict:  # type: ignore[type-arg]
    walls = [w for run in runs for w in run["wall_s"]]
    return {"wall_s": walls, "words_per_s": words / min(walls), "vocab": runs[0]["vocab"],
            **{key: statistics.mean(run[key] for run in runs) for key in ("wordsim353", "simlex999", "analogy")}}


def neighbours(sentences: list[list[str]], args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    vectors = {"nlpkit": train_nlpkit(sentences, "skipgram", args), "gensim": train_gensim(sentences, "skipgram", args)}
    report: dict = {}
    print("\nChinese skip-gram nearest neighbours (cosine)")
    for word in CHINESE_WORDS:
        for name, wv in vectors.items():
            near = wv.most_similar(word, topn=8) if word in wv else []
            report.setdefault(word, {})[name] = near
            print(f"  {word} {name:6}: {' '.join(f'{w}({s:.2f})' for w, s in near) or '(not in the vocabulary)'}")
    return report


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"\ntotal {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    sys.exit(code)
