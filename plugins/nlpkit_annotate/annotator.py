"""A record per input line: the shared :class:`nlpkit.annotation.TextAnnotator`'s outcome
with the line's id, or an ``error`` naming file and line; nothing a line holds stops a run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nlpkit.annotation import TextAnnotator

from .sources import Line


class Annotator:
    """Runs one pipeline or tokenizer (loaded once per process) over a shard's lines."""

    def __init__(self, name: str, max_chars: int, batch_size: int = 64, device: str = "cpu",
                 scores: bool = False) -> None:
        self.max_chars = max_chars
        self.texts = TextAnnotator(name, batch_size, device, scores)

    def records(self, source: str, lines: Iterable[Line]) -> list[dict[str, Any]]:
        """The records of ``lines`` of file ``source``, in order."""
        lines = list(lines)
        problems = {line.number: self._problem(line) for line in lines}
        good = [line for line in lines if problems[line.number] is None]
        outcomes = dict(zip((line.number for line in good), self.texts.annotate([line.text or "" for line in good])))
        return [_record(source, line.number, **(outcomes.get(line.number) or {"error": problems[line.number]}))
                for line in lines]

    def _problem(self, line: Line) -> str | None:
        if line.error is not None:
            return line.error
        if len(line.text or "") > self.max_chars:
            return f"the text has {len(line.text or ''):,} characters; the limit is {self.max_chars:,} (--max-chars)"
        return None


def _record(source: str, line: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"{source}:{line}", "file": source, "line": line, **fields}
