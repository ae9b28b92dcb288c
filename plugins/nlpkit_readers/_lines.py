"""Helpers shared by the readers: locations, and blank-line-separated blocks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nlpkit.io import read_lines

#: One line of a block: (1-based line number, text without its line end).
Numbered = tuple[int, str]


def where(path: Path, line: int) -> str:
    """``file:line``, the form of :attr:`Example.source` and of error locations."""
    return f"{path}:{line}"


def numbered_lines(path: Path) -> Iterator[Numbered]:
    """``(number, line)`` for every line of ``path``, streamed, BOM and CR removed."""
    for number, (line, _) in enumerate(read_lines(path), 1):
        yield number, line


def blocks(path: Path) -> Iterator[list[Numbered]]:
    """The runs of non-blank lines of ``path``; blank lines (only whitespace) separate them.

    Whitespace-only lines count as blank because real files use them as
    separators (WNUT-17 separates many sentences by a line holding one TAB).
    """
    block: list[Numbered] = []
    for number, line in numbered_lines(path):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block
