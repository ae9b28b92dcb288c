"""``nlpkit annotate`` with the local engine: real pipelines on a generated corpus of several
files, in-process and in subprocesses, interrupted and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nlpkit
from nlpkit.testing import assert_cli_error, invoke

CHINESE = ["我来到北京清华大学", "上海浦东开发与法制建设同步", "今天天气很好。", "", "他说：“明天见！”然后走了。"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Three files: text, JSON lines in a subfolder (with two bad lines), text with bad lines."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("\n".join(CHINESE * 25) + "\n", encoding="utf-8")
    rows = [json.dumps({"text": CHINESE[i % 5], "n": i}, ensure_ascii=False) for i in range(40)]
    (folder / "sub" / "b.jsonl").write_text("\n".join([*rows, "not json", '{"body": "x"}']) + "\n", encoding="utf-8")
    (folder / "c.txt").write_bytes("好的\n".encode() + b"\xff\xfe bad\n" + ("长" * 300 + "\n").encode())
    return folder


def records(out: Path) -> list[dict]:
    return [json.loads(line) for f in sorted((out / "shards").glob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]


def run(*args: object) -> None:
    result = invoke("annotate", *args)
    assert result.exit_code == 0, result.output


def test_records_are_what_pipe_gives_with_one_or_two_processes(corpus: Path, tmp_path: Path) -> None:
    run("zh-cws-hmm", corpus, "-o", tmp_path / "one", "--shard-lines", 30, "--max-chars", 200)
    run("zh-cws-hmm", corpus, "-o", tmp_path / "two", "--shard-lines", 30, "--max-chars", 200, "--jobs", 2)
    one, two = records(tmp_path / "one"), records(tmp_path / "two")
    assert one == two and len(one) == 125 + 42 + 3
    assert [r["id"] for r in one][:2] == ["a.txt:1", "a.txt:2"] and one[-1]["id"] == "sub/b.jsonl:42"
    pipeline = nlpkit.load("zh-cws-hmm")
    good = [r for r in one if "result" in r]
    assert [r["result"] for r in good] == [p.to_json() for p in pipeline.pipe([r["result"]["text"] for r in good])]
    files = {(tmp_path / "one" / "shards" / f).read_bytes() for f in os.listdir(tmp_path / "one" / "shards")}
    assert files == {(tmp_path / "two" / "shards" / f).read_bytes() for f in os.listdir(tmp_path / "two" / "shards")}
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and sum(s["records"] for s in manifest["shards"]) == len(one)


def test_scores_only_with_the_flag(corpus: Path, tmp_path: Path) -> None:
    run("zh-cws-hmm", corpus / "a.txt", "-o", tmp_path / "plain")
    run("zh-cws-hmm", corpus / "a.txt", "-o", tmp_path / "scored", "--scores")
    plain, scored = records(tmp_path / "plain"), records(tmp_path / "scored")
    pipeline = nlpkit.load("zh-cws-hmm")
    texts = [r["result"]["text"] for r in scored]
    assert [r["result"] for r in scored] == [p.to_json() for p in pipeline.pipe(texts, scores=True)]
    assert [{**r["result"], "scores": None} for r in scored] == [r["result"] for r in plain]
    assert all(r["result"]["scores"] is not None for r in scored)


def test_bad_lines_become_error_records_naming_file_and_line(corpus: Path, tmp_path: Path) -> None:
    run("zh-cws-hmm", corpus, "-o", tmp_path / "out", "--max-chars", 200)
    errors = {r["id"]: r["error"] for r in records(tmp_path / "out") if "error" in r}
    assert errors == {
        "c.txt:2": "invalid UTF-8 at byte 1",
        "c.txt:3": "the text has 300 characters; the limit is 200 (--max-chars)",
        "sub/b.jsonl:41": "not JSON: Expecting value: line 1 column 1 (char 0)",
        "sub/b.jsonl:42": "no string field 'text' in this JSON line",
    }


def test_a_tokenizer_name_gives_tokens_with_offsets(corpus: Path, tmp_path: Path) -> None:
    run("jieba", corpus / "a.txt", "-o", tmp_path / "out")
    jieba = nlpkit.get_tokenizer("jieba")
    for record in records(tmp_path / "out"):
        text = record["result"]["text"]
        assert record["result"]["tokens"] == jieba(text).to_dicts()


def test_an_interrupted_run_resumes_to_the_same_files(tmp_path: Path) -> None:
    """Killed after its first shards, rerun: the same files as a run never interrupted."""
    (tmp_path / "big.txt").write_text("\n".join(CHINESE * 500) + "\n", encoding="utf-8")
    args = ["zh-cws", str(tmp_path / "big.txt"), "--shard-lines", "100"]
    run(*args, "-o", tmp_path / "whole")
    process = subprocess.Popen([sys.executable, "-m", "nlpkit", "annotate", *args, "-o", str(tmp_path / "cut")],
                               stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
    manifest = tmp_path / "cut" / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if manifest.is_file() and len(json.loads(manifest.read_text(encoding="utf-8") or "{}").get("shards", [])) >= 2:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait(timeout=60)
    kept = len(json.loads(manifest.read_text(encoding="utf-8"))["shards"])
    assert 2 <= kept < 25, "the run was not interrupted midway"
    (tmp_path / "cut" / "shards" / ".00000-00009.jsonl.x1y2.tmp").write_text("half a shard")  # as a kill leaves it
    result = invoke("annotate", *args, "-o", tmp_path / "cut")
    assert result.exit_code == 0 and f"({kept} kept from an earlier run)" in result.stderr
    assert records(tmp_path / "cut") == records(tmp_path / "whole")
    names = sorted(os.listdir(tmp_path / "whole" / "shards"))
    assert names == sorted(os.listdir(tmp_path / "cut" / "shards"))
    for name in names:
        assert (tmp_path / "cut" / "shards" / name).read_bytes() == (tmp_path / "whole" / "shards" / name).read_bytes()


def test_another_run_in_the_same_folder_is_refused(corpus: Path, tmp_path: Path) -> None:
    run("zh-cws-hmm", corpus / "a.txt", "-o", tmp_path / "out")
    assert_cli_error(invoke("annotate", "jieba", corpus / "a.txt", "-o", tmp_path / "out"), 2,
                     "holds the output of another run", "pipeline: 'zh-cws-hmm' then, 'jieba' now", "--overwrite")
    run("jieba", corpus / "a.txt", "-o", tmp_path / "out", "--overwrite")
    assert "tokens" in records(tmp_path / "out")[0]["result"]


def test_missing_inputs_are_one_line(tmp_path: Path) -> None:
    assert_cli_error(invoke("annotate", "jieba", tmp_path / "nope*.txt", "-o", tmp_path / "out"), 1,
                     "no such file, folder or glob match")


# -- the Ray engine, on a local Ray instance --------------------------------------------------


def test_ray_gives_the_records_of_the_local_engine(local_ray, corpus: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("zh-cws-hmm", corpus, "-o", tmp_path / "local", "--shard-lines", 30, "--max-chars", 200)
    run("zh-cws-hmm", corpus, "-o", tmp_path / "ray", "--shard-lines", 30, "--max-chars", 200, "--engine", "ray",
        "--actors", 2)
    names = sorted(os.listdir(tmp_path / "local" / "shards"))
    assert names == sorted(os.listdir(tmp_path / "ray" / "shards")) and len(names) == 8
    for name in names:
        assert (tmp_path / "ray" / "shards" / name).read_bytes() == (tmp_path / "local" / "shards" / name).read_bytes()
    assert sum("error" in r for r in records(tmp_path / "ray")) == 4


@pytest.mark.skipif(not Path("/proc/self/cmdline").is_file(), reason="finds the actor's process through /proc")
def test_a_killed_ray_actor_is_replaced_and_the_output_is_the_same(local_ray, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An actor process killed mid-run (as a lost node would lose it): Ray restarts it and
    retries its shard, and every shard file is the one an undisturbed run writes."""
    import threading

    (tmp_path / "big.txt").write_text("\n".join(CHINESE * 400) + "\n", encoding="utf-8")
    args = ["zh-cws", tmp_path / "big.txt", "--shard-lines", 100, "--engine", "ray", "--actors", 2]
    run(*args, "-o", tmp_path / "calm")
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            manifest = tmp_path / "storm" / "manifest.json"
            started = manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8") or "{}").get("shards")
            alive = processes_named("ShardWorker")
            if started and alive:
                os.kill(alive[0], signal.SIGKILL)
                killed.append(alive[0])
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    run(*args, "-o", tmp_path / "storm")
    killer.join()
    assert killed, "no actor was killed mid-run"
    names = sorted(os.listdir(tmp_path / "calm" / "shards"))
    assert names == sorted(os.listdir(tmp_path / "storm" / "shards")) and len(names) == 20
    for name in names:
        assert (tmp_path / "storm" / "shards" / name).read_bytes() == (tmp_path / "calm" / "shards" / name).read_bytes()


def processes_named(fragment: str) -> list[int]:
    """Pids whose command line holds ``fragment`` (Ray titles an actor's process after its class)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and fragment in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_without_ray_one_line_says_what_to_install(tmp_path: Path, corpus: Path) -> None:
    script = ("import sys; sys.modules['ray'] = None\nfrom nlpkit.cli import main\n"
              f"sys.argv = ['nlpkit', 'annotate', 'jieba', {str(corpus / 'a.txt')!r}, '-o', {str(tmp_path / 'o')!r},"
              " '--engine', 'ray']\nmain()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert [line for line in done.stderr.splitlines() if line.startswith("Error")] == [
        'Error: nlpkit annotate --engine ray needs Ray Data: pip install "nlpkit[ray]"'], done.stderr
