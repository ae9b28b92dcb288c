"""The input of ``nlpkit annotate``: files, globs and directories, read a line at a time.

Each input line is one text: the whole line for text files, or the ``field`` of each JSON
object for JSON lines (``.jsonl``/``.json`` names, or ``--format jsonl``). A line that cannot
be read (invalid UTF-8, not JSON, no such field) is not an error of the run: it becomes an
error record naming file and line.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nlpkit.errors import InputError, UsageError

JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


@dataclass(frozen=True)
class Line:
    """One input line: its text, or why it has none (``error``)."""

    number: int
    text: str | None
    error: str | None = None


def input_files(inputs: tuple[str, ...]) -> list[Path]:
    """The files ``inputs`` name (files, globs, directories searched recursively), sorted and
    without repeats, so two runs on the same inputs see the same files in the same order."""
    found: dict[Path, None] = {}
    for spec in inputs:
        path = Path(spec).expanduser()
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise InputError("no such file, folder or glob match", spec)
        found.update(dict.fromkeys(p.resolve() for p in matches))
    if not found:
        raise UsageError(f"No input files in {', '.join(inputs)}.")
    return list(found)


def is_json_lines(path: Path, fmt: str) -> bool:
    return fmt == "jsonl" or (fmt == "auto" and path.suffix.lower() in JSON_SUFFIXES)


def read_lines(path: Path, start: int, stop: int, field: str, json_lines: bool) -> Iterator[Line]:
    """Lines ``start`` to ``stop - 1`` (1-based) of ``path`` as :class:`Line` records."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, 1):
            if number < start:
                continue
            if number >= stop:
                return
            yield _line(number, raw.rstrip(b"\n").rstrip(b"\r"), field, json_lines)


def count_lines(path: Path) -> int:
    with open(path, "rb") as stream:
        return sum(1 for _ in stream)


def _line(number: int, raw: bytes, field: str, json_lines: bool) -> Line:
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"invalid UTF-8 at byte {exc.start + 1}")
    if not json_lines:
        return Line(number, text)
    try:
        value = json.loads(text)
    except ValueError as exc:
        return Line(number, None, f"not JSON: {exc}")
    if not isinstance(value, dict) or not isinstance(value.get(field), str):
        return Line(number, None, f"no string field '{field}' in this JSON line")
    return Line(number, value[field])
