"""``nlpkit serve PIPELINE...``: run pipelines behind the HTTP API of :mod:`nlpkit_serve.app`."""

from __future__ import annotations

import click

from nlpkit.errors import MissingDependencyError, UsageError


@click.command()
@click.argument("pipelines", nargs=-1, required=True, metavar="PIPELINE...")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--max-batch", type=click.IntRange(1), default=64, show_default=True,
              help="Most texts run together in one batch, across requests.")
@click.option("--max-wait-ms", type=click.FloatRange(0), default=0.0, show_default=True,
              help="How long a batch with room waits for more requests (0: it takes what is waiting).")
@click.option("--max-texts", type=click.IntRange(1), default=256, show_default=True, help="Most texts in one request.")
@click.option("--max-chars", type=click.IntRange(1), default=10_000, show_default=True, help="Most characters in one text.")
@click.option("--max-body-bytes", type=click.IntRange(1), default=2_000_000, show_default=True,
              help="Largest request body.")
@click.option("--device", default="cpu", show_default=True, help="cpu, auto, cuda, cuda:N or mps.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True)
def serve(pipelines: tuple[str, ...], host: str, port: int, max_batch: int, max_wait_ms: float, max_texts: int,
          max_chars: int, max_body_bytes: int, device: str, log_level: str) -> None:
    """Serve PIPELINEs over HTTP: pretrained names, directories, or NAME=DIRECTORY.

    POST /v1/pipelines/NAME/predict with {"texts": [...]} returns, per text, what
    `nlpkit predict -f json` prints. GET /v1/pipelines lists them, GET /health says
    when all are loaded, /docs is the API documentation. Concurrent requests to one
    pipeline run as one batch. Ctrl-C or SIGTERM finishes the requests in flight, then stops.

    \b
    Examples:
      nlpkit serve zh-cws en-ner
      nlpkit serve ner=runs/ner/model --port 8080 --max-batch 128
      curl -s localhost:8000/v1/pipelines/en-ner/predict -H 'Content-Type: application/json' \\
           -d '{"texts": ["Obama visited Paris ."]}'
    """
    try:
        import uvicorn

        from .app import create_app
    except ImportError as exc:
        raise MissingDependencyError(f"nlpkit serve needs FastAPI and uvicorn ({exc.name} is missing): "
                                     "pip install \"nlpkit[serve]\"") from None
    from .limits import Limits

    limits = Limits(max_texts=max_texts, max_chars=max_chars, max_body_bytes=max_body_bytes, max_batch=max_batch,
                    max_wait_ms=max_wait_ms)
    app = create_app(route_names(pipelines), limits, device)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30)


def route_names(specs: tuple[str, ...]) -> dict[str, str]:
    """Route name -> pipeline: ``NAME=DIR`` as given, a pretrained name as itself, a directory
    by its folder's name (``runs/ner/model`` is ``ner``); a name given twice is an error."""
    from pathlib import Path

    from nlpkit.pretrained import locate

    routes: dict[str, str] = {}
    for spec in specs:
        name, sep, target = spec.partition("=")
        if not sep:
            name, target = spec, spec
            path = Path(spec)
            if path.is_dir():
                name = (path.parent if path.name == "model" else path).resolve().name
        locate(target)  # an unknown pretrained name fails now, with "did you mean"
        if name in routes:
            raise UsageError(f"Two pipelines would be served as '{name}' ({routes[name]} and {target}); "
                             f"name one: NAME={target}.")
        routes[name] = target
    return routes
