"""``nlpkit tokenize``: tokenize arguments, stdin or a file, streaming, on N processes."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

import click

from ..formats import FORMATS, format_tokens
from ..io import STDIN, atomic_write, read_lines
from ..parallel import batched, ordered_map
from ..tokenizer import Tokenizer


@dataclass
class BatchFormatter:
    """Tokenize a batch of lines and format it; pickled once per worker process."""

    tokenizer: Tokenizer
    fmt: str

    def __call__(self, lines: list[str]) -> str:
        return "".join(format_tokens(t, self.fmt) for t in self.tokenizer.tokenize_batch(lines))


@click.command()
@click.argument("texts", nargs=-1)
@click.option("-i", "--input", "input_path", metavar="FILE", help="Read lines from FILE ('-' for stdin).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
@click.option("-t", "--tokenizer", default="jieba", show_default=True,
              help="Tokenizer name or alias, or the folder of a trained segment pipeline.")
@click.option("-O", "--option", "options", multiple=True, metavar="KEY=VALUE", help="Tokenizer option; repeatable.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-j", "--jobs", type=click.IntRange(1), default=1, show_default=True, help="Processes to use.")
@click.option("--batch-size", type=click.IntRange(1), default=1000, show_default=True, help="Lines per batch.")
@click.option("--errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True,
              help="On invalid UTF-8: stop with the line number, or replace with U+FFFD.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [default: for files, on a terminal].")
@click.option("--sample", metavar="NAME", help="Tokenize a bundled sample text (zh, en).")
def tokenize(
    texts: tuple[str, ...], input_path: str | None, output: str | None, tokenizer: str,
    options: tuple[str, ...], fmt: str, jobs: int, batch_size: int, errors: str,
    progress: bool | None, sample: str | None,
) -> None:
    """Tokenize TEXT arguments, stdin, or --input FILE, one output line per input line.

    \b
    Examples:
      nlpkit tokenize "我来到北京清华大学"
      nlpkit tokenize -t jieba -O mode=search -O hmm=false "中华人民共和国"
      nlpkit tokenize -t spacy -O lang=en -f json "Don't panic."
      nlpkit tokenize -t runs/cws-sxu -O device=cpu "我来到北京清华大学"
      nlpkit tokenize --input corpus.txt --jobs 4 -o tokens.txt
      echo "Hello world" | nlpkit tokenize -t whitespace
    """
    from ..api import tokenizer_from_strings

    path = _input_path(texts, input_path, sample)
    lines = ((t, 0) for t in texts) if path is None else read_lines(path, errors)  # type: ignore[arg-type]
    tok = tokenizer_from_strings(tokenizer, list(options))
    show = progress if progress is not None else (path not in (None, STDIN) and sys.stderr.isatty())
    total = os.path.getsize(path) if show and path not in (None, STDIN) else None
    with ExitStack() as stack:
        out = stack.enter_context(atomic_write(output)) if output else _stdout()
        bar = stack.enter_context(_progress(show, total))
        for chunk, nbytes in _run(BatchFormatter(tok, fmt), lines, batch_size, jobs):
            out.write(chunk)
            bar.update(nbytes)
        out.flush()


def _input_path(texts: tuple[str, ...], input_path: str | None, sample: str | None) -> str | None:
    """The file to read, or None when the TEXT arguments are the input."""
    given = [name for name, v in (("TEXT", texts and texts != ("-",)), ("--input", input_path), ("--sample", sample)) if v]
    if len(given) > 1:
        raise click.UsageError(f"Give only one of {' / '.join(given)}.")
    if sample:
        from ..references import resolve_reference

        return str(resolve_reference(f"sample:{sample}"))
    if input_path:
        return input_path
    if texts and texts != ("-",):
        return None
    if texts != ("-",) and sys.stdin.isatty():
        raise click.UsageError("Nothing to tokenize: give TEXT, --input FILE, --sample NAME, or pipe text to stdin.")
    return STDIN


def _run(fn: BatchFormatter, lines: Iterator[tuple[str, int]], batch_size: int, jobs: int) -> Iterator[tuple[str, int]]:
    """Yield each batch's output with the input bytes it covered, in input order."""
    sizes: deque[int] = deque()

    def texts() -> Iterator[list[str]]:
        for batch in batched(lines, batch_size):
            sizes.append(sum(n for _, n in batch))
            yield [t for t, _ in batch]

    for chunk in ordered_map(fn, texts(), jobs):
        yield chunk, sizes.popleft()


def _stdout() -> IO[str]:
    """stdout as UTF-8 whatever the locale, so Chinese never fails to print."""
    out = sys.stdout
    if (out.encoding or "").lower().replace("-", "") != "utf8" and hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    return out


def _progress(show: bool, total: int | None):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, disable=not show, unit="B", unit_scale=True, desc="tokenize", file=sys.stderr)
