"""A record per input line: a pipeline's result (what ``nlpkit predict -f json`` prints) or a
tokenizer's tokens, or an ``error`` naming file and line; nothing a line holds stops a run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .sources import Line


class Annotator:
    """Runs one pipeline or tokenizer (loaded once per process) over batches of lines."""

    def __init__(self, name: str, max_chars: int, batch_size: int = 64, device: str = "cpu") -> None:
        from nlpkit.api import get_tokenizer, names_a_pipeline

        self.max_chars, self.batch_size = max_chars, batch_size
        if names_a_pipeline(name):
            import nlpkit

            pipeline = nlpkit.load(name, device=device)
            self._run = lambda texts: [r.to_json() for r in pipeline.pipe(texts, batch_size=batch_size)]
        else:
            tokenizer = get_tokenizer(name)
            self._run = lambda texts: [{"text": t, "tokens": tokenizer(t).to_dicts()} for t in texts]

    def records(self, source: str, lines: Iterable[Line]) -> list[dict[str, Any]]:
        """The records of ``lines`` of file ``source``, in order."""
        lines = list(lines)
        out: dict[int, dict[str, Any]] = {}
        good = []
        for line in lines:
            problem = line.error
            if problem is None and len(line.text or "") > self.max_chars:
                problem = f"the text has {len(line.text or ''):,} characters; the limit is {self.max_chars:,} (--max-chars)"
            if problem is None:
                good.append(line)
            else:
                out[line.number] = _record(source, line.number, error=problem)
        for start in range(0, len(good), self.batch_size):
            for line, result in zip(good[start:start + self.batch_size], self._batch(good[start:start + self.batch_size])):
                out[line.number] = _record(source, line.number, **result)
        return [out[line.number] for line in lines]

    def _batch(self, lines: list[Line]) -> list[dict[str, Any]]:
        """Results of a batch; if the batch fails, each line alone, so one bad line fails alone."""
        try:
            return [{"result": r} for r in self._run([line.text for line in lines])]
        except Exception:  # noqa: BLE001 - rerun one by one to find the line that fails
            results = []
            for line in lines:
                try:
                    results.append({"result": self._run([line.text])[0]})
                except Exception as exc:  # noqa: BLE001 - becomes the line's error record
                    results.append({"error": f"the pipeline failed: {type(exc).__name__}: {exc}"})
            return results


def _record(source: str, line: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"{source}:{line}", "file": source, "line": line, **fields}
