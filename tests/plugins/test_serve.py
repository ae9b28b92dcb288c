"""``nlpkit serve``: a real uvicorn server on 127.0.0.1, real HTTP clients, real pipelines.

The module's server runs ``zh-cws-hmm`` (numpy) and ``en-ner`` (torch) in a subprocess,
started as a user starts it; results are compared with in-process ``pipe`` on the same texts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

import nlpkit  # noqa: E402

ENGLISH = ["Obama visited Paris .", "EU rejects German call to boycott British lamb .", "", "Peter Blackburn",
           "BRUSSELS 1996-08-22", "The European Commission said on Thursday it disagreed with German advice .",
           "Germany 's representative to the European Union 's veterinary committee Werner Zwingmann said ."]
CHINESE = ["我来到北京清华大学", "上海浦东开发与法制建设同步", "", "今天天气很好。", "他说：“明天见！” 然后走了。"]
PIPELINES = {"en-ner": ENGLISH, "zh-cws-hmm": CHINESE}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen, str]:
    """``nlpkit serve ARGS`` on a free port; returns the process and its base URL once /health says ready."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "nlpkit", "serve", *args, "--port", str(port),
                                "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.communicate()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the server never became ready")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start("en-ner", "zh-cws-hmm", "--max-batch", "32", "--max-wait-ms", "5", "--max-texts", "40",
                         "--max-chars", "500", "--max-body-bytes", "20000")
    yield url
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, dict]]:
    """In-process results: pipeline -> text -> what ``predict -f json`` gives."""
    return {name: {text: result.to_json() for text, result in zip(texts, nlpkit.load(name, device="cpu").pipe(texts))}
            for name, texts in PIPELINES.items()}


def approx(value: object) -> object:
    """``value`` with every float compared to 1e-5: a batch of other texts pads a sequence
    differently, which moves a probability in its last float32 bits, never a tag or an offset."""
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-5, abs=1e-6)
    if isinstance(value, dict):
        return {key: approx(item) for key, item in value.items()}
    if isinstance(value, list):
        return [approx(item) for item in value]
    return value


def predict(client: httpx.Client, url: str, name: str, texts: list[str]) -> httpx.Response:
    return client.post(f"{url}/v1/pipelines/{name}/predict", json={"texts": texts}, timeout=60)


# -- what it serves -------------------------------------------------------------------------


def test_health_lists_and_cards(server: str) -> None:
    assert httpx.get(f"{server}/health").json() == {"status": "ready", "pipelines": ["en-ner", "zh-cws-hmm"]}
    listed = {p["name"]: p for p in httpx.get(f"{server}/v1/pipelines").json()["pipelines"]}
    assert listed["en-ner"]["task"] == "ner" and listed["en-ner"]["language"] == "en"
    assert listed["zh-cws-hmm"]["task"] == "segment" and "ctb6 dev f1" in listed["zh-cws-hmm"]["card"]["scores"]
    assert "path" not in listed["en-ner"]["card"]  # the server's folders are not the client's business
    assert httpx.get(f"{server}/docs").status_code == 200
    assert "/v1/pipelines/{name}/predict" in httpx.get(f"{server}/openapi.json").json()["paths"]


def test_results_are_what_predict_json_gives(server: str, expected: dict) -> None:
    with httpx.Client() as client:
        for name, texts in PIPELINES.items():
            response = predict(client, server, name, texts)
            assert response.status_code == 200, response.text
            assert response.json() == {"pipeline": name, "results": approx([expected[name][t] for t in texts])}


def test_scores_come_when_a_request_asks_even_when_batched_with_others(server: str, expected: dict) -> None:
    """Requests with and without ``"scores": true``, concurrent: each gets what in-process
    ``pipe`` gives with the same flag (null scores without it), never the other kind."""
    scored = {name: {t: r.to_json() for t, r in zip(texts, nlpkit.load(name, device="cpu").pipe(texts, scores=True))}
              for name, texts in PIPELINES.items()}

    def client_run(seed: int) -> list[bool]:
        ok = []
        with httpx.Client() as client:
            for i in range(12):
                name, asked = ("en-ner", "zh-cws-hmm")[(seed + i) % 2], (seed + i // 2) % 2 == 0
                texts = PIPELINES[name][(seed + i) % 3:(seed + i) % 3 + 2]
                response = client.post(f"{server}/v1/pipelines/{name}/predict",
                                       json={"texts": texts, "scores": asked}, timeout=60)
                want = [(scored if asked else expected)[name][t] for t in texts]
                ok.append(response.status_code == 200 and response.json()["results"] == approx(want))
        return ok

    with ThreadPoolExecutor(8) as pool:
        outcomes = [x for run in pool.map(client_run, range(8)) for x in run]
    assert all(outcomes)
    assert any(e["score"] is not None for r in scored["en-ner"].values() for e in r["entities"])
    assert all(e["score"] is None for r in expected["en-ner"].values() for e in r["entities"])


def test_16_concurrent_clients_get_what_in_process_pipe_gives(server: str, expected: dict) -> None:
    """16 clients x 50 requests of 1-3 texts, mixed pipelines: every answer equals in-process
    ``pipe``, whatever batch the server put the request in."""
    def client_run(seed: int) -> list[tuple[str, list[str], int, dict]]:
        answers = []
        with httpx.Client() as client:
            for i in range(50):
                name = "en-ner" if (seed + i) % 3 else "zh-cws-hmm"
                pool = PIPELINES[name]
                texts = [pool[(seed * 7 + i * 3 + k) % len(pool)] for k in range(1 + (seed + i) % 3)]
                response = predict(client, server, name, texts)
                answers.append((name, texts, response.status_code, response.json()))
        return answers

    before = {p["name"]: p for p in httpx.get(f"{server}/v1/pipelines").json()["pipelines"]}
    with ThreadPoolExecutor(16) as pool:
        everything = [answer for answers in pool.map(client_run, range(16)) for answer in answers]
    assert len(everything) == 800
    after = {p["name"]: p for p in httpx.get(f"{server}/v1/pipelines").json()["pipelines"]}
    batches = sum(after[n]["batches"] - before[n]["batches"] for n in after)
    texts = sum(after[n]["texts"] - before[n]["texts"] for n in after)
    assert texts == sum(len(t) for _, t, _, _ in everything)
    assert batches < 800, "concurrent requests were never batched together"
    for name, texts, status, body in everything:
        assert status == 200, body
        assert body["results"] == approx([expected[name][t] for t in texts]), (name, texts)


# -- bad requests, and the server keeps serving ---------------------------------------------------


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"texts": [1, 2]}, 422, "texts.0: Input should be a valid string"),
    ({"text": ["x"]}, 422, "texts: Field required"),
    ({"texts": "one string"}, 422, "texts: Input should be a valid list"),
    ({"texts": ["x"], "extra": 1}, 422, "extra: Extra inputs are not permitted"),
    ({"texts": ["x"] * 41}, 413, "41 texts in one request; the limit is 40 (--max-texts)"),
    ({"texts": ["ok", "y" * 501]}, 413, "text 1 has 501 characters; the limit is 500 (--max-chars)"),
])
def test_bad_requests_get_json_errors(server: str, body: dict, status: int, fragment: str) -> None:
    with httpx.Client() as client:
        response = client.post(f"{server}/v1/pipelines/en-ner/predict", json=body)
        assert response.status_code == status and fragment in response.json()["error"], response.text
        assert predict(client, server, "en-ner", ["Obama visited Paris ."]).status_code == 200


def test_non_json_oversized_bodies_and_unknown_pipelines(server: str) -> None:
    with httpx.Client() as client:
        garbage = client.post(f"{server}/v1/pipelines/en-ner/predict", content=b"not json",
                              headers={"content-type": "application/json"})
        assert garbage.status_code == 422 and "not valid JSON" in garbage.json()["error"]
        big = client.post(f"{server}/v1/pipelines/en-ner/predict", content=b"x" * 30_000,
                          headers={"content-type": "application/json"})
        assert big.status_code == 413 and big.json()["limit"] == "max_body_bytes"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"texts": ["'
            for _ in range(30):
                yield b"x" * 1000
            yield b'"]}'

        streamed = client.post(f"{server}/v1/pipelines/en-ner/predict", content=chunks(),
                               headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["limit"] == "max_body_bytes"
        unknown = predict(client, server, "../en-ner", ["x"])
        assert unknown.status_code == 404
        missing = predict(client, server, "zh-cws", ["x"])
        assert missing.status_code == 404 and missing.json() == {
            "error": "no pipeline 'zh-cws' here; this server runs: en-ner, zh-cws-hmm."}
        assert predict(client, server, "zh-cws-hmm", ["我来到北京"]).status_code == 200


# -- a failing pipeline, in-process --------------------------------------------------------------


class FailsOn:
    """A real pipeline that raises on one text, as a pipeline with a bug would."""

    def __init__(self, pipeline: object, poison: str) -> None:
        self.pipeline, self.poison = pipeline, poison
        self.task, self.meta = pipeline.task, pipeline.meta  # type: ignore[attr-defined]

    def pipe(self, texts: list[str], batch_size: int = 64) -> Iterator[object]:
        if self.poison in texts:
            raise RuntimeError("the model broke on this text")
        return self.pipeline.pipe(texts, batch_size)  # type: ignore[attr-defined]


def test_a_failing_request_fails_alone_and_the_server_keeps_serving() -> None:
    """Requests batched with a failing one still get their results (the batch is rerun one by one)."""
    import uvicorn
    from nlpkit_serve.app import create_app
    from nlpkit_serve.limits import Limits

    pipeline = FailsOn(nlpkit.load("zh-cws-hmm"), "坏")
    port = free_port()
    app = create_app({"seg": pipeline}, Limits(max_batch=64, max_wait_ms=50))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        texts = [["今天天气很好"], ["坏"], ["我来到北京"], ["坏", "好"], ["上海浦东"]]
        with ThreadPoolExecutor(5) as pool, httpx.Client() as client:
            responses = list(pool.map(lambda t: predict(client, url, "seg", t), texts))
        statuses = [r.status_code for r in responses]
        assert statuses == [200, 500, 200, 500, 200], [r.text for r in responses]
        assert "the model broke on this text" in responses[1].json()["error"]
        assert responses[2].json()["results"] == [pipeline.pipeline("我来到北京").to_json()]
        assert predict(httpx.Client(), url, "seg", ["还活着"]).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# -- shutdown and the missing extra ---------------------------------------------------------------


def test_sigterm_finishes_the_requests_in_flight() -> None:
    process, url = start("en-ner", "--max-batch", "8", "--max-wait-ms", "0")
    texts = ENGLISH[1:2] * 200  # a second or more of work per request on one thread

    def ask(_: int) -> tuple[int, int]:
        with httpx.Client() as client:
            response = predict(client, url, "en-ner", texts)
            return response.status_code, len(response.json().get("results", []))

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, i) for i in range(4)]
        time.sleep(0.5)  # all four in flight
        process.send_signal(signal.SIGTERM)
        answers = [f.result(timeout=120) for f in futures]
    assert answers == [(200, 200)] * 4
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn ends by the signal once it has drained
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)


def test_without_the_extra_one_line_says_what_to_install(tmp_path: Path) -> None:
    script = ("import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None\n"
              "from nlpkit.cli import main\nsys.argv = ['nlpkit', 'serve', 'en-ner']\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          check=False)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ['Error: nlpkit serve needs FastAPI and uvicorn (uvicorn is missing): pip install "nlpkit[serve]"'], \
        done.stderr


def test_import_nlpkit_and_help_never_import_the_server() -> None:
    code = ("import sys, nlpkit\nfrom click.testing import CliRunner\nfrom nlpkit.cli import cli\n"
            "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
            "print(json.dumps(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_two_pipelines_may_not_share_a_route_name() -> None:
    from nlpkit_serve.cli import route_names

    from nlpkit.errors import UsageError

    assert route_names(("en-ner", "seg=zh-cws-hmm")) == {"en-ner": "en-ner", "seg": "zh-cws-hmm"}
    with pytest.raises(UsageError, match="Two pipelines would be served as 'en-ner'"):
        route_names(("en-ner", "en-ner"))
