"""The HTTP API: one FastAPI application serving the pipelines given at start.

- ``POST /v1/pipelines/{name}/predict`` with ``{"texts": [...]}``: per text, what
  ``nlpkit predict -f json`` prints (tokens with offsets, tags, entities with offsets,
  labels with probabilities), as ``{"pipeline": name, "results": [...]}``; with
  ``"scores": true`` also the confidences ``--scores`` computes (entity scores, per-token
  and per-word scores), ``null`` without it;
- ``GET /v1/pipelines``: each pipeline's name, task, language and card;
- ``GET /health``: 200 once every pipeline is loaded, 503 while they load;
- ``/docs``: the OpenAPI documentation.

Errors are JSON, ``{"error": message}`` plus ``limit`` when a limit was broken: 404 for
an unknown pipeline (with the known names), 413 for a body, a request or a text over its
limit, 422 for a body that is not ``{"texts": [strings]}``, 500 when the pipeline fails on
a text (the server keeps serving), 503 while loading. Only the pipelines given at start
can be reached: a request names a pipeline, never a path.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr
from starlette.exceptions import HTTPException

from .batching import Batcher
from .limits import BodyLimit, Limits, check_texts
from .workers import ProcessRunner, ThreadRunner


class PredictRequest(BaseModel):
    """The texts to run through the pipeline, in order; ``scores``: compute confidences."""

    model_config = ConfigDict(extra="forbid")
    texts: list[StrictStr]
    scores: StrictBool = False


class PredictResponse(BaseModel):
    pipeline: str
    results: list[dict[str, Any]]


def create_app(pipelines: dict[str, Any], limits: Limits | None = None, device: str = "cpu") -> FastAPI:
    """The application serving ``pipelines``: route name -> a pretrained name or a directory
    (loaded in a worker process of its own once the server starts, on ``device``), or a
    pipeline already loaded (``nlpkit.load(...)``, run in a thread), for a service that
    builds its own."""
    limits = limits or Limits()
    state = _State(pipelines, limits, device)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        loading = asyncio.get_running_loop().create_task(state.load())
        yield
        loading.cancel()
        await asyncio.gather(loading, return_exceptions=True)
        await state.stop()

    app = FastAPI(title="nlpkit", summary="nlpkit pipelines over HTTP", lifespan=lifespan)
    app.state.nlpkit = state
    _routes(app, state)
    _errors(app, limits)
    return app


class _State:
    """The pipelines, their batchers and whether loading has finished."""

    def __init__(self, specs: dict[str, Any], limits: Limits, device: str) -> None:
        self.specs, self.limits, self.device = specs, limits, device
        self.batchers: dict[str, Batcher] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        return len(self.batchers) == len(self.specs)

    async def load(self) -> None:
        """Start each pipeline's worker (the event loop keeps answering /health meanwhile)."""
        for name, spec in self.specs.items():
            runner = ProcessRunner(spec, self.device) if isinstance(spec, str) else ThreadRunner(spec)
            try:
                facts = await runner.start()
            except Exception as exc:  # noqa: BLE001 - reported by /health, the server stays up
                self.error = f"pipeline '{name}' failed to load: {type(exc).__name__}: {exc}"
                runner.close()
                return
            batcher = Batcher(name, runner, self.limits.max_batch, self.limits.max_wait_ms)
            batcher.start()
            self.info[name] = _describe(name, spec, facts)
            self.batchers[name] = batcher

    async def stop(self) -> None:
        await asyncio.gather(*(b.stop() for b in self.batchers.values()))


def _describe(name: str, spec: Any, facts: dict[str, Any]) -> dict[str, Any]:
    """Name, task, language and card of a loaded pipeline (a pretrained one's card, else its meta)."""
    from nlpkit.pretrained import catalog, is_pipeline_name

    named = isinstance(spec, str) and is_pipeline_name(spec)
    card = catalog().get(spec).card() if named else {"meta": facts["meta"]}
    card.pop("path", None)  # where files lie on the server is not the client's business
    return {"name": name, "task": facts["task"], "language": card.get("language"), "card": card}


def _routes(app: FastAPI, state: _State) -> None:
    @app.get("/health")
    async def health() -> JSONResponse:
        """200 ``{"status": "ready"}`` once every pipeline is loaded; 503 while loading (or if one failed)."""
        if state.error:
            return JSONResponse({"status": "failed", "error": state.error}, status_code=503)
        if not state.ready:
            return JSONResponse({"status": "loading", "loaded": sorted(state.batchers)}, status_code=503)
        return JSONResponse({"status": "ready", "pipelines": list(state.specs)})

    @app.get("/v1/pipelines")
    async def pipelines() -> dict[str, Any]:
        """The pipelines this server runs: name, task, language, card, and how many batches
        and texts each has run so far (their ratio is the mean batch size)."""
        return {"pipelines": [{**state.info[name], "batches": state.batchers[name].batches,
                               "texts": state.batchers[name].texts}
                              for name in state.specs if name in state.info]}

    @app.post("/v1/pipelines/{name}/predict", response_model=PredictResponse)
    async def predict(name: str, body: PredictRequest) -> Any:
        """Run the texts through pipeline ``name``: one result per text, in order."""
        if name not in state.specs:
            known = ", ".join(state.specs)
            return JSONResponse({"error": f"no pipeline '{name}' here; this server runs: {known}."}, status_code=404)
        batcher = state.batchers.get(name)
        if batcher is None:
            return JSONResponse({"error": f"pipeline '{name}' is still loading; retry when /health says ready."},
                                status_code=503, headers={"Retry-After": "1"})
        check_texts(body.texts, state.limits)
        try:
            results = await batcher.predict(body.texts, body.scores)
        except Exception as exc:  # noqa: BLE001 - a failing request must not take the server down
            return JSONResponse({"error": f"pipeline '{name}' failed: {type(exc).__name__}: {exc}"}, status_code=500)
        # The worker encoded each result; a response of bytes skips FastAPI's re-validation and re-encoding.
        head = b'{"pipeline": ' + json.dumps(name).encode() + b', "results": ['
        return Response(head + b", ".join(results) + b"]}", media_type="application/json")


def _errors(app: FastAPI, limits: Limits) -> None:
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"error": str(exc.detail)}
        return JSONResponse(detail, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return JSONResponse({"error": "the body is not valid JSON: send {\"texts\": [strings]} with "
                                 "Content-Type: application/json."}, status_code=422)
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = first.get("msg", "invalid request")
        return JSONResponse({"error": f"the body must be {{\"texts\": [strings]}}: {where or 'body'}: {message}."},
                            status_code=422)
