"""Training on several processes: the real launcher (``nlpkit train --nproc 2`` and
``python -m torch.distributed.run``), real gloo collectives on the CPU, no mocks.

Two processes must end with the weights one process reaches on the same global
batches and seed (within ``ATOL``: only the order of float sums differs); a
checkpoint moves between 1 and 2 processes both ways; ranks given different configs
are refused naming them; a killed rank ends the job quickly with a message; a batch
that cannot split over the processes is refused before any process starts. The
models have no dropout: ranks draw dropout masks for their own shard, so runs with
dropout are equal in distribution only.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nlpkit.batch import collate
from nlpkit.errors import OptionError, UsageError
from nlpkit.testing import invoke, train_config
from nlpkit_trainer import distributed
from nlpkit_trainer.loop import TorchTrainer

#: Largest weight difference allowed between 1 and N processes (measured: ~4e-7).
ATOL = 1e-5
#: Seconds a launch may take before the test calls it hung.
LAUNCH_TIMEOUT = 240

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def rule_corpus(path: Path, n: int, seed: int) -> Path:
    """``more``/``less``: more a's than b's, or fewer; texts of 3 to 9 characters."""
    rng = random.Random(seed)
    lines: list[str] = []
    while len(lines) < n:
        text = "".join(rng.choice("abc") for _ in range(rng.randint(3, 9)))
        if text.count("a") != text.count("b"):
            lines.append(f"{'more' if text.count('a') > text.count('b') else 'less'}\t{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ddp-corpus")
    return {"train": rule_corpus(root / "train.tsv", 36, seed=1), "dev": rule_corpus(root / "dev.tsv", 12, seed=2)}


def config(corpus: dict[str, Path], **trainer: object) -> str:
    """A character GRU classifier, no dropout; 36 examples in batches of 8 (the last
    batch of each epoch holds 4, so ranks see uneven and tiny shards)."""
    options = {"epochs": 2, "batch_size": 8, "lr": 0.02, "log_every": 2, **trainer}
    lines = "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in options.items())
    return f"""
        seed = 3
        [task]
        name = "classify"
        [corpus]
        train = "{corpus['train']}"
        dev = "{corpus['dev']}"
        format = "label-tab-text"
        [tokenizer]
        name = "char"
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        {lines}
    """.replace("\n        ", "\n")


def nlpkit(*args: object, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m nlpkit ARGS`` in a subprocess (the launcher starts its own processes)."""
    return subprocess.run([sys.executable, "-m", "nlpkit", *map(str, args)], cwd=cwd, env=worker_env(env),
                          capture_output=True, text=True, timeout=LAUNCH_TIMEOUT, check=False)


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", **(extra or {})}


def train_on_two(folder: Path, text: str, *args: object) -> tuple[Path, str]:
    """``nlpkit train --nproc 2`` on the CPU into ``FOLDER/run``; asserts success and
    returns the run folder and what the processes wrote on stderr."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")
    result = nlpkit("train", "config.toml", "-o", "run", "--device", "cpu", "--nproc", 2, "--no-progress", *args,
                    cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "run", result.stderr


def train_on_one(folder: Path, text: str) -> Path:
    """``nlpkit train`` in this process (one process) into ``FOLDER/run``."""
    folder.mkdir(parents=True, exist_ok=True)
    return train_config(folder, text, "--no-progress")


def weights(run: Path, which: str = "checkpoints/last/model.safetensors") -> dict[str, torch.Tensor]:
    return load_file(str(run / which))


def assert_close_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name, value in a.items():
        torch.testing.assert_close(value, b[name], rtol=0, atol=ATOL, msg=lambda m, name=name: f"{name}: {m}")


def metrics(run: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]


# -- the same training on two processes ----------------------------------------------------


def test_two_processes_reach_the_weights_of_one_and_rank_zero_alone_reports(corpus, tmp_path):
    one = train_on_one(tmp_path / "one", config(corpus))
    two, stderr = train_on_two(tmp_path / "two", config(corpus))
    assert_close_weights(weights(one), weights(two))
    assert_close_weights(weights(one, "model/model/weights.safetensors"), weights(two, "model/model/weights.safetensors"))
    ones, twos = metrics(one), metrics(two)
    assert [r["step"] for r in ones] == [r["step"] for r in twos]  # rank 0 alone writes the log
    for mine, theirs in zip(ones, twos):
        if "train_loss" in mine:  # the all-reduced loss is the global batch's mean
            assert theirs["train_loss"] == pytest.approx(mine["train_loss"], abs=1e-6)
        if "dev" in mine:
            assert theirs["dev"]["accuracy"] == mine["dev"]["accuracy"]
    assert stderr.count("Saved the pipeline") == 1 and "cpu x 2 processes (gloo)" in stderr, stderr
    assert not any(p.name.startswith(".") for p in two.rglob("*"))  # no half-written checkpoints


def test_gradient_accumulation_gives_the_weights_of_whole_batches(corpus, tmp_path):
    whole = train_on_one(tmp_path / "whole", config(corpus))
    parts = train_on_one(tmp_path / "parts", config(corpus, grad_accum_steps=4))
    assert_close_weights(weights(whole), weights(parts))


def test_a_checkpoint_moves_from_two_processes_to_one_and_back(corpus, tmp_path):
    reference = train_on_one(tmp_path / "reference", config(corpus, epochs=3))
    folder = tmp_path / "moved"
    run, _ = train_on_two(folder, config(corpus, epochs=1, grad_accum_steps=2))  # 2 ranks x 2 micro-steps, no_sync
    resumed = invoke("train", folder / "config.toml", "-o", run, "--device", "cpu", "--resume",
                     "--set", "trainer.epochs=2", "--no-progress")
    assert resumed.exit_code == 0, resumed.output
    result = nlpkit("train", "config.toml", "-o", "run", "--device", "cpu", "--nproc", 2, "--resume",
                    "--set", "trainer.epochs=3", "--no-progress", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert_close_weights(weights(reference), weights(run))
    assert [r["step"] for r in metrics(reference)] == [r["step"] for r in metrics(run)]


# -- errors --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ranks_given_different_configs_are_refused_naming_them(corpus, tmp_path):
    """Two "nodes" (one process each) joining one c10d rendezvous, as on two machines,
    with another learning rate on the second: every rank refuses, naming the option."""
    (tmp_path / "config.toml").write_text(config(corpus), encoding="utf-8")
    endpoint = f"127.0.0.1:{free_port()}"
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc_per_node", "1",
             "--rdzv_backend", "c10d", "--rdzv_endpoint", endpoint, "--rdzv_id", "mismatch",
             "-m", "nlpkit", "train", "config.toml", "-o", f"run{node}", "--device", "cpu", "--no-progress",
             "--set", f"trainer.lr={0.02 if node == 0 else 0.05}"],
            cwd=tmp_path, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for node in (0, 1)
    ]
    try:
        outputs = [node.communicate(timeout=LAUNCH_TIMEOUT)[1] for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    assert all(node.returncode != 0 for node in nodes)
    errors = [line for output in outputs for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2, outputs
    for error in errors:
        assert "rank 1 differs from rank 0" in error and "trainer.lr (0.02 vs 0.05)" in error
    assert not (tmp_path / "run0" / "checkpoints").exists()


def ranks_of(marker: str) -> dict[int, int]:
    """rank -> pid of the training processes whose environment holds ``marker`` (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            pairs = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        env = dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)
        if env.get("NLPKIT_TEST_MARKER") == marker and "RANK" in env:
            found[int(env["RANK"])] = int(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the rank's process through /proc")
def test_a_killed_rank_ends_the_job_quickly_naming_it(corpus, tmp_path):
    (tmp_path / "config.toml").write_text(config(corpus, epochs=1000, checkpoint_every=1), encoding="utf-8")
    marker = f"{os.getpid()}-{time.time()}"
    job = subprocess.Popen([sys.executable, "-m", "nlpkit", "train", "config.toml", "-o", "run", "--device", "cpu",
                            "--nproc", "2", "--no-progress"],
                           cwd=tmp_path, env=worker_env({"NLPKIT_TEST_MARKER": marker}),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        while not (tmp_path / "run" / "checkpoints" / "last" / "state.json").exists():  # both ranks are training
            assert job.poll() is None and time.monotonic() < deadline, job.stderr.read() if job.stderr else ""
            time.sleep(0.1)
        os.kill(ranks_of(marker)[1], signal.SIGKILL)  # as the out-of-memory killer would
        killed = time.monotonic()
        _, stderr = job.communicate(timeout=120)
        took = time.monotonic() - killed
    finally:
        job.kill()
        for pid in ranks_of(marker).values():  # none should be left; never leak one
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert job.returncode == 128 + signal.SIGKILL, stderr
    assert took < 60
    error = [line for line in stderr.splitlines() if line.startswith("Error: Training on 2 processes")]
    assert error and "rank 1 was killed by SIGKILL" in error[0], stderr


def test_a_batch_that_does_not_split_over_the_processes_is_refused_before_starting(corpus, tmp_path):
    (tmp_path / "config.toml").write_text(config(corpus, batch_size=5), encoding="utf-8")
    started = time.monotonic()
    result = invoke("train", tmp_path / "config.toml", "-o", tmp_path / "run", "--device", "cpu", "--nproc", 2)
    assert result.exit_code == 2, result.output
    assert "batch_size 5" in result.stderr and "divisible by 2 (e.g. 4 or 6)" in result.stderr
    assert time.monotonic() - started < 30 and not (tmp_path / "run").exists()


def test_each_rank_refuses_a_batch_that_does_not_split():
    trainer = TorchTrainer(batch_size=12, grad_accum_steps=2)
    trainer.check_world_size(3)  # 12 = 3 ranks x 2 micro-steps x 2
    with pytest.raises(OptionError, match=r"2 process\(es\) x 2 accumulation step\(s\) = 4 .* \(e.g. 8 or 12\)"):
        TorchTrainer(batch_size=10, grad_accum_steps=2).check_world_size(2)
    with pytest.raises(OptionError, match=r"divisible by 8 \(e.g. 8\)"):
        TorchTrainer(batch_size=4).check_world_size(8)


def test_a_device_this_machine_lacks_is_refused_once_before_starting(corpus, tmp_path):
    import torch

    (tmp_path / "config.toml").write_text(config(corpus), encoding="utf-8")
    started = time.monotonic()
    result = invoke("train", tmp_path / "config.toml", "-o", tmp_path / "run", "--device", "cuda:7", "--nproc", 2)
    assert result.exit_code == 2, result.output
    [error] = [line for line in result.stderr.splitlines() if line.strip()]  # one line, no worker's copy
    expected = "does not exist" if torch.cuda.is_available() else "torch sees no CUDA GPU"
    assert error.startswith("Error: ") and expected in error
    assert time.monotonic() - started < 30 and not (tmp_path / "run").exists()
    if not torch.cuda.is_available():  # the plain `--device cuda` of a machine without a GPU
        plain = invoke("train", tmp_path / "config.toml", "-o", tmp_path / "run", "--device", "cuda", "--nproc", 2)
        assert plain.exit_code == 2 and [line for line in plain.stderr.splitlines() if line.strip()] == [
            "Error: CUDA was asked for ('cuda') but torch sees no CUDA GPU; use --device cpu or auto."]


def test_nproc_must_be_positive(tmp_path):
    result = invoke("train", tmp_path / "config.toml", "-o", tmp_path / "run", "--nproc", 0)
    assert result.exit_code == 2 and "--nproc" in result.output


# -- the parts, without processes ----------------------------------------------------------


@pytest.mark.parametrize("n, world, accum", [(8, 2, 1), (7, 2, 1), (3, 2, 2), (1, 4, 1), (12, 3, 2)])
def test_shards_cover_the_global_batch_once_in_order(n, world, accum):
    indices = list(range(100, 100 + n))
    shards = {rank: distributed.shard(indices, world, rank, accum) for rank in range(world)}
    in_order = [i for k in range(accum) for rank in range(world) for i in shards[rank][k]]
    assert in_order == indices
    sizes = [len(part) for parts in shards.values() for part in parts]
    assert max(sizes) - min(sizes) <= 1 and all(len(parts) == accum for parts in shards.values())


def test_loss_units_are_sequences_for_classes_and_tokens_for_tags():
    classes = collate([[1, 2, 3], [4]], 0, [0, 1])
    tags = collate([[1, 2, 3], [4]], 0, [[0, 1, 0], [1]])
    assert distributed.loss_units(torch.nn.Module(), classes) == 2
    assert distributed.loss_units(torch.nn.Module(), tags) == 4

    class Custom(torch.nn.Module):
        def loss_units(self, batch):  # type: ignore[no-untyped-def]
            return 7

    assert distributed.loss_units(Custom(), tags) == 7


def test_the_process_group_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(distributed.TIMEOUT_ENV, raising=False)
    assert distributed.timeout().total_seconds() == 30 * 60
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "0.5")
    assert distributed.timeout().total_seconds() == 30
    for bad in ("0", "-1", "ten"):
        monkeypatch.setenv(distributed.TIMEOUT_ENV, bad)
        with pytest.raises(UsageError, match=distributed.TIMEOUT_ENV):
            distributed.timeout()


def test_a_single_process_is_not_distributed(monkeypatch):
    from nlpkit.trainer import is_main_process, process_rank, world_size

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert world_size() == 1 and process_rank() == 0 and is_main_process() and not distributed.launched()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed.launched() and process_rank() == 1 and not is_main_process()
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(UsageError, match="WORLD_SIZE"):
        world_size()


class Partial(torch.nn.Module):
    """A model whose second layer stays out of the loss (as a head unused by a task)."""

    def __init__(self) -> None:
        super().__init__()
        self.used, self.unused = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.used(batch)

    def loss(self, scores: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        return scores.pow(2).mean()


def test_parameters_outside_the_loss_make_ddp_look_for_them(tmp_path):
    """The probe finds the unused layer without touching ``.grad``; DDP (a real gloo
    group of one process) is then built to look for unused parameters every step."""
    import torch.distributed as dist

    model, batch = Partial(), torch.ones(3, 2)
    assert distributed.has_unused_parameters(model, batch, torch.device("cpu"))
    assert all(p.grad is None for p in model.parameters())
    model.unused.requires_grad_(False)  # frozen parameters are not DDP's business
    assert not distributed.has_unused_parameters(model, batch, torch.device("cpu"))
    model.unused.requires_grad_(True)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        wrapped = distributed.wrap(model, torch.device("cpu"), batch)
        assert wrapped.find_unused_parameters
        model.loss(wrapped(batch), batch).backward()
        assert model.used.weight.grad is not None and model.unused.weight.grad is None
    finally:
        dist.destroy_process_group()
