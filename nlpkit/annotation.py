"""Results for many texts at once, where one text that fails fails alone: the part of
corpus-scale annotation that every engine shares (``nlpkit annotate``, :mod:`nlpkit.ray`)."""

from __future__ import annotations

from typing import Any


class TextAnnotator:
    """A pipeline or a tokenizer, by name or folder, loaded once. :meth:`annotate` gives per
    text ``{"result": ...}`` (what ``nlpkit predict -f json`` prints for it, or for a
    tokenizer the text and its tokens with offsets) or ``{"error": why}``; with ``scores``,
    the pipeline's confidences as ``nlpkit predict --scores`` computes them."""

    def __init__(self, name: str, batch_size: int = 64, device: str = "cpu", scores: bool = False) -> None:
        from .api import get_tokenizer, names_a_pipeline

        self.batch_size = batch_size
        if names_a_pipeline(name):
            from .pipeline import load

            pipeline = load(name, device=device)
            self._run = lambda texts: [r.to_json() for r in pipeline.pipe(texts, batch_size=batch_size, scores=scores)]
        else:
            tokenizer = get_tokenizer(name)
            self._run = lambda texts: [{"text": t, "tokens": tokenizer(t).to_dicts()} for t in texts]

    def annotate(self, texts: list[str]) -> list[dict[str, Any]]:
        """Each text's outcome, in order, ``batch_size`` texts at a time."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(texts), self.batch_size):
            out += self._batch(texts[start:start + self.batch_size])
        return out

    def _batch(self, texts: list[str]) -> list[dict[str, Any]]:
        """A batch's results; if it fails, each text alone, so one bad text fails alone."""
        try:
            return [{"result": r} for r in self._run(texts)]
        except Exception:  # noqa: BLE001 - rerun one by one to find the text that fails
            return [self._alone(text) for text in texts]

    def _alone(self, text: str) -> dict[str, Any]:
        try:
            return {"result": self._run([text])[0]}
        except Exception as exc:  # noqa: BLE001 - becomes the text's error
            return {"error": f"the pipeline failed: {type(exc).__name__}: {exc}"}
