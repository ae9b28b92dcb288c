"""What one request may ask of the server, and the errors that say which limit it broke.

:class:`BodyLimit` counts the bytes of each request body as they arrive (a declared
``Content-Length`` is checked first), so a body over the limit is refused without ever
being held whole, chunked or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException


@dataclass(frozen=True)
class Limits:
    """Per-request limits: texts in one request, characters in one text, bytes of the body;
    and the batching: at most ``max_batch`` texts run together, and a batch with room waits
    at most ``max_wait_ms`` for more (0: it takes the requests already waiting)."""

    max_texts: int = 256
    max_chars: int = 10_000
    max_body_bytes: int = 2_000_000
    max_batch: int = 64
    max_wait_ms: float = 0.0


class LimitError(HTTPException):
    """A request over a limit: ``status`` (413) and a JSON body naming the limit."""

    def __init__(self, status: int, limit: str, message: str) -> None:
        super().__init__(status, detail={"error": message, "limit": limit})


def check_texts(texts: list[str], limits: Limits) -> None:
    """Raise :class:`LimitError` for too many texts, or a text over ``max_chars``."""
    if len(texts) > limits.max_texts:
        raise LimitError(413, "max_texts", f"{len(texts)} texts in one request; the limit is {limits.max_texts} "
                         "(--max-texts). Send them in several requests.")
    for i, text in enumerate(texts):
        if len(text) > limits.max_chars:
            raise LimitError(413, "max_chars", f"text {i} has {len(text):,} characters; the limit is "
                             f"{limits.max_chars:,} (--max-chars). Split it into sentences or paragraphs.")


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 naming the limit."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, int(declared), self.max_bytes)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _too_large(seen, self.max_bytes)
            return message

        await self.app(scope, counted, send)


def _too_large(size: int, limit: int) -> LimitError:
    return LimitError(413, "max_body_bytes", f"the body has over {limit:,} bytes ({size:,} so far); the limit is "
                      f"{limit:,} (--max-body-bytes).")


async def _refuse(send: Any, size: int, limit: int) -> None:
    import json

    body = json.dumps({"error": f"the body has {size:,} bytes; the limit is {limit:,} (--max-body-bytes).",
                       "limit": "max_body_bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
