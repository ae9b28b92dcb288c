"""``nlpkit word2vec``: train word vectors, query them, and score them.

Registered by the plugin's ``register_commands`` hook; torch and numpy are imported only
when a command runs, so ``nlpkit --help`` stays quick.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click


@click.group()
def word2vec() -> None:
    """Word vectors: train (CBOW or skip-gram), nearest neighbours, analogies, evaluation.

    \b
    Examples:
      nlpkit word2vec train corpus.txt -o vectors.txt --mode skipgram --dim 100
      nlpkit word2vec train news.txt -o zh.bin --tokenizer jieba --min-count 3 --workers 2
      nlpkit word2vec similar vectors.txt king --topn 5
      nlpkit word2vec analogy vectors.txt man king woman
      nlpkit word2vec evaluate vectors.txt --similarity wordsim353.tsv --analogies questions-words.txt
    """


@word2vec.command()
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, metavar="FILE", help="Vectors file to write (.bin: binary format).")
@click.option("--mode", type=click.Choice(["skipgram", "cbow"]), default="skipgram", show_default=True)
@click.option("--dim", type=click.IntRange(1), default=100, show_default=True, help="Vector width.")
@click.option("--window", type=click.IntRange(1), default=5, show_default=True, help="Largest context window.")
@click.option("--negative", type=click.IntRange(1), default=5, show_default=True, help="Noise words per example.")
@click.option("--min-count", type=click.IntRange(1), default=5, show_default=True, help="Drop rarer words.")
@click.option("--sample", type=float, default=1e-3, show_default=True, help="Subsampling threshold (0: off).")
@click.option("--epochs", type=click.IntRange(1), default=5, show_default=True)
@click.option("--alpha", type=float, default=0.025, show_default=True, help="Initial learning rate.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("-t", "--tokenizer", default="whitespace", show_default=True,
              help="Tokenizer for each line (jieba for raw Chinese; whitespace for segmented text).")
@click.option("-O", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Tokenizer option; repeatable.")
@click.option("--lowercase", is_flag=True, help="Lowercase every token.")
@click.option("--device", default="auto", show_default=True, help="auto (cuda, mps, cpu), cpu, cuda, cuda:1...")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="CPU threads updating shared weights at once (faster on several cores; 1 is reproducible).")
@click.option("--backend", type=click.Choice(["auto", "numba", "torch"]), default="auto", show_default=True,
              help="SGD engine: numba (compiled, CPU; pip install \"nlpkit[numba]\"), torch (batched, any device); "
                   "auto takes numba when installed and training on the CPU.")
@click.option("--progress/--no-progress", default=None, help="Progress bar with words/s [default: on a terminal].")
def train(corpus: str, output: str, mode: str, dim: int, window: int, negative: int, min_count: int, sample: float,
          epochs: int, alpha: float, seed: int, tokenizer: str, options: tuple[str, ...], lowercase: bool,
          device: str, workers: int, backend: str, progress: bool | None) -> None:
    """Train word vectors on CORPUS (UTF-8 text, one sentence per line), streamed from
    disk once per epoch, and write them in the word2vec format."""
    from nlpkit.api import tokenizer_from_strings
    from nlpkit.device import describe, resolve_device

    from .train import train_word2vec

    split = tokenizer_from_strings(tokenizer, list(options))
    target = resolve_device(device)
    click.echo(f"Training {mode} vectors on {describe(target)}.", err=True)
    vectors = train_word2vec(lambda: _sentences(corpus, split, lowercase), mode=mode, dim=dim, window=window,  # type: ignore[arg-type]
                             negative=negative, min_count=min_count, sample=sample, epochs=epochs, alpha=alpha,
                             seed=seed, device=str(target), workers=workers, backend=backend,  # type: ignore[arg-type]
                             progress=sys.stderr.isatty() if progress is None else progress)
    vectors.save(output, binary=output.endswith(".bin"))
    click.echo(f"Wrote {len(vectors)} vectors of {vectors.dim} dimensions to {output}.", err=True)


def _sentences(path: str, tokenizer, lowercase: bool) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The corpus's non-empty lines as token lists, read and tokenized 1,000 lines at a time."""
    from nlpkit.io import read_lines
    from nlpkit.parallel import batched

    for chunk in batched((line for line, _ in read_lines(path) if line.strip()), 1000):
        for tokens in tokenizer.tokenize_batch(chunk):
            yield [t.lower() for t in tokens.texts] if lowercase else list(tokens.texts)


@word2vec.command()
@click.argument("vectors", type=click.Path(exists=True, dir_okay=False))
@click.argument("words", nargs=-1, required=True)
@click.option("--topn", type=click.IntRange(1), default=10, show_default=True)
def similar(vectors: str, words: tuple[str, ...], topn: int) -> None:
    """The nearest neighbours of each of WORDS in VECTORS, by cosine similarity."""
    loaded = _load(vectors)
    for word in words:
        neighbours = loaded.most_similar(word, topn=topn)  # an unknown word fails before any output
        click.echo(word)
        for other, score in neighbours:
            click.echo(f"  {other}\t{score:.4f}")


@word2vec.command()
@click.argument("vectors", type=click.Path(exists=True, dir_okay=False))
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
@click.option("--topn", type=click.IntRange(1), default=5, show_default=True)
def analogy(vectors: str, a: str, b: str, c: str, method: str, topn: int) -> None:
    """A is to B as C is to ?: the best answers in VECTORS (the three words excluded)."""
    for word, score in _load(vectors).analogy(a, b, c, method=method, topn=topn):  # type: ignore[arg-type]
        click.echo(f"{word}\t{score:.4f}")


@word2vec.command()
@click.argument("vectors", type=click.Path(exists=True, dir_okay=False))
@click.option("--similarity", "similarity_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Word-pair file (word1 TAB word2 TAB score: wordsim353.tsv, simlex999.txt); repeatable.")
@click.option("--analogies", "analogy_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Analogy questions (questions-words.txt format); repeatable.")
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
def evaluate(vectors: str, similarity_files: tuple[str, ...], analogy_files: tuple[str, ...], method: str) -> None:
    """Score VECTORS: Spearman correlation on word-pair files, accuracy on analogy files
    (the numbers gensim's evaluate_word_pairs and evaluate_word_analogies give)."""
    from nlpkit.errors import UsageError

    if not similarity_files and not analogy_files:
        raise UsageError("Give at least one --similarity FILE or --analogies FILE (gensim ships wordsim353.tsv, "
                         "simlex999.txt and questions-words.txt in gensim/test/test_data).")
    loaded = _load(vectors)
    for path in similarity_files:
        score = loaded.evaluate_similarity(path)
        click.echo(f"{path}\tspearman {score.spearman:.4f}\tpearson {score.pearson:.4f}\t"
                   f"pairs {score.pairs}\toov {score.oov_ratio:.1%}")
    for path in analogy_files:
        result = loaded.evaluate_analogies(path, method=method)  # type: ignore[arg-type]
        click.echo(f"{path}\taccuracy {result.accuracy:.4f}\t{result.correct}/{result.total}\t"
                   f"oov {result.oov_ratio:.1%}")


def _load(path: str):  # type: ignore[no-untyped-def]
    from .vectors import WordVectors

    return WordVectors.load(path, binary=path.endswith(".bin"))
