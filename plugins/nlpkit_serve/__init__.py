"""``nlpkit serve``: any nlpkit pipeline behind an HTTP API, with dynamic batching.

- :mod:`.app` builds the FastAPI application (:func:`~nlpkit_serve.app.create_app`), for
  embedding in a service of one's own;
- :mod:`.batching` gathers concurrent requests to one pipeline into batches;
- :mod:`.limits` holds the request limits and their checks;
- :mod:`.cli` is the command.

FastAPI and uvicorn are an optional extra (``pip install "nlpkit[serve]"``): nothing here
imports them until the command runs, so ``nlpkit --help`` stays fast.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import serve

    cli.add_command(serve)
