"""Writing tokens as text, JSON lines or CoNLL columns."""

from __future__ import annotations

import json

from .tokens import Tokens

FORMATS = ("text", "json", "conll")
_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


def format_tokens(tokens: Tokens, fmt: str) -> str:
    """One input text's tokens in ``fmt``, ending with a newline.

    ``text``: tokens joined by spaces (``word/tag`` when tagged), one line per input line.
    ``json``: ``{"text": ..., "tokens": [{"text", "start", "end"[, "tag"]}]}``, lossless.
    ``conll``: ``text<TAB>start<TAB>end[<TAB>tag]`` per token, a blank line after each text.
    Tabs and line breaks inside tokens are escaped in ``text`` and ``conll``.
    """
    if fmt == "json":
        return json.dumps({"text": tokens.text, "tokens": tokens.to_dicts()}, ensure_ascii=False) + "\n"
    if fmt == "text":
        words = tokens.texts if tokens.tags is None else [f"{w}/{t}" for w, t in zip(tokens.texts, tokens.tags)]
        return " ".join(words).translate(_ESCAPES) + "\n"  # one translate per line, not per token
    words = [w.translate(_ESCAPES) for w in tokens.texts]
    if fmt == "conll":
        tags = tokens.tags if tokens.tags is not None else None
        rows = [
            f"{w}\t{s}\t{e}\t{tags[i]}" if tags is not None else f"{w}\t{s}\t{e}"
            for i, (w, s, e) in enumerate(zip(words, tokens.starts, tokens.ends))
        ]
        return "".join(row + "\n" for row in rows) + "\n"
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def format_result(result, fmt: str) -> str:  # type: ignore[no-untyped-def]
    """A prediction in ``fmt``: tagged tokens as :func:`format_tokens` writes them; a
    class as ``label<TAB>probability`` (text), a JSON line (json)."""
    if hasattr(result, "tokens"):
        return format_tokens(result.tokens, fmt)
    if fmt == "json":
        return json.dumps(result.to_json(), ensure_ascii=False) + "\n"
    if fmt == "text":
        return "\n" if result.label is None else f"{result.label}\t{result.score:.4f}\n"
    from .errors import UsageError

    raise UsageError(f"Format '{fmt}' does not apply to a classifier, which labels whole texts: use -f text or -f json.")
