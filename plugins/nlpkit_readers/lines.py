"""Readers for formats with one example per line: label-tab-text, folder-per-class,
segmented and plain-text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nlpkit.corpus import Example
from nlpkit.errors import InputError

from ._lines import numbered_lines, where

#: File names in a folder-per-class corpus that are documentation, not a class.
_NOT_CLASSES = ("README", "SOURCE", "LICENSE", "LICENCE")


def read_label_tab_text(path: Path) -> Iterator[Example]:
    """``label<TAB>text`` per line; blank lines are skipped.

    The label is everything before the first TAB (surrounding spaces removed);
    the text is everything after it, kept exactly (it may be empty, and may hold
    further TABs). A line without a TAB, or with an empty label, is an error.
    """
    for number, line in numbered_lines(path):
        if not line.strip():
            continue
        label, tab, text = line.partition("\t")
        if not tab:
            raise InputError(_no_tab(line), str(path), number)
        if not label.strip():
            raise InputError("expected 'LABEL<TAB>TEXT', but the label before the TAB is empty", str(path), number)
        yield Example(text=text, label=label.strip(), source=where(path, number))


def _no_tab(line: str) -> str:
    problem = "expected 'LABEL<TAB>TEXT', but the line has no TAB"
    if " " in line.strip():
        problem += " (label and text separated by a space? replace that first space by a TAB)"
    return problem


def read_folder_per_class(path: Path) -> Iterator[Example]:
    """A folder with one ``LABEL.txt`` file per class and one text per line.

    The label is the file stem (``Arabic.txt`` -> ``Arabic``). Files are read in
    name order; non-``.txt`` files, hidden files and README/SOURCE/LICENSE files are
    ignored; blank lines are skipped; texts are kept exactly (trailing spaces too).
    """
    for file in class_files(path):
        for number, line in numbered_lines(file):
            if line.strip():
                yield Example(text=line, label=file.stem, source=where(file, number))


def class_files(path: Path) -> list[Path]:
    """The ``LABEL.txt`` files of a folder-per-class corpus, sorted by name."""
    if not path.is_dir():
        raise InputError("expected a folder holding one LABEL.txt file per class, found a file", str(path))
    files = sorted(p for p in path.iterdir() if _is_class_file(p))
    if not files:
        raise InputError(
            "no class files: expected one LABEL.txt file per class (e.g. Arabic.txt, one text per line)",
            str(path),
        )
    return files


def _is_class_file(path: Path) -> bool:
    name = path.name
    return (
        path.suffix.lower() == ".txt"
        and not name.startswith(".")
        and not name.upper().startswith(_NOT_CLASSES)
        and path.is_file()
    )


def read_segmented(path: Path) -> Iterator[Example]:
    """Gold word segmentation: one sentence per line, words separated by whitespace.

    Any run of whitespace separates words (SIGHAN PKU and SXU use two spaces; one
    PKU line has one). ``tokens`` are the words as given, ``text`` is the line
    without the spaces. Lines without words are skipped.
    """
    for number, line in numbered_lines(path):
        words = line.split()
        if words:
            yield Example(text="".join(words), tokens=tuple(words), source=where(path, number))


def read_plain_text(path: Path) -> Iterator[Example]:
    """One example per line, text kept exactly; empty lines stay as empty-text examples,
    so the line structure survives (language modelling, aligning test input with gold)."""
    for number, line in numbered_lines(path):
        yield Example(text=line, source=where(path, number))
