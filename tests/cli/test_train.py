"""``nlpkit train`` through click's CliRunner: a run from a TOML config with --set and
--seed, the output-folder rules (--resume, --overwrite), and every error as one
``Error:`` line with the right exit code and no traceback."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from nlpkit.testing import assert_cli_error as assert_error
from nlpkit.testing import invoke

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def write_rule_corpus(path: Path, n: int, seed: int) -> Path:
    """label-tab-text: 'more' when a text has more a's than b's, 'less' when fewer."""
    rng = random.Random(seed)
    lines = []
    while len(lines) < n:
        text = "".join(rng.choice("abc") for _ in range(rng.randint(3, 9)))
        if text.count("a") != text.count("b"):
            lines.append(f"{'more' if text.count('a') > text.count('b') else 'less'}\t{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CONFIG = """\
seed = 3

[task]
name = "classify"

[corpus]
train = "{train}"
dev = "{dev}"
format = "label-tab-text"

[encoder]
name = "vocab"
dim = 8

[model]
name = "gru"
hidden_size = 8

[trainer]
name = "torch"
epochs = 2
batch_size = 8
lr = 0.02
log_every = 2
{extra}
"""


def write_config(folder: Path, train: str = "train.tsv", dev: str = "dev.tsv", extra: str = "") -> Path:
    """A config with corpus paths relative to its own folder (where the corpora are written)."""
    if not (folder / "train.tsv").exists():
        write_rule_corpus(folder / "train.tsv", 40, seed=1)
        write_rule_corpus(folder / "dev.tsv", 20, seed=2)
    path = folder / "config.toml"
    path.write_text(CONFIG.format(train=train, dev=dev, extra=extra), encoding="utf-8")
    return path


def weights(run: Path) -> bytes:
    return (run / "model" / "model" / "weights.safetensors").read_bytes()


def test_train_with_overrides_and_seed_then_predict(tmp_path):
    config = write_config(tmp_path)
    run = tmp_path / "run"
    result = invoke("train", config, "-o", run, "--set", "model.hidden_size=12", "--set", "trainer.epochs=3",
                    "--seed", 5)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Saved the pipeline to {run}/model (dev accuracy " in result.stderr
    assert "best at step " in result.stderr and "of 15" in result.stderr and "on cpu" in result.stderr
    assert f"Metrics: {run}/metrics.jsonl; learning curve: {run}/learning-curve.png." in result.stderr
    meta = json.loads((run / "model" / "meta.json").read_text())
    assert meta["seed"] == 5 and meta["config"]["seed"] == 5
    assert meta["config"]["model"]["hidden_size"] == 12
    assert meta["training"]["steps"] == 15
    assert meta["corpus"]["train"]["path"] == str(tmp_path / "train.tsv")  # relative to the config's folder
    model_config = json.loads((run / "model" / "model" / "config.json").read_text())
    assert model_config["options"]["hidden_size"] == 12
    predicted = invoke("predict", run, "aaaac", "bbbc")
    assert predicted.exit_code == 0, predicted.output
    assert len(predicted.stdout.splitlines()) == 2


def test_the_same_seed_gives_the_same_model(tmp_path):
    config = write_config(tmp_path)
    for name, seed in (("a", 9), ("b", 9), ("c", 10)):
        result = invoke("train", config, "-o", tmp_path / name, "--set", "trainer.epochs=1", "--seed", seed,
                        "--device", "cpu")
        assert result.exit_code == 0, result.output
    assert weights(tmp_path / "a") == weights(tmp_path / "b") != weights(tmp_path / "c")


def test_reusing_an_output_folder_needs_resume_or_overwrite(tmp_path):
    config = write_config(tmp_path)
    run = tmp_path / "run"
    assert invoke("train", config, "-o", run, "--set", "trainer.epochs=1").exit_code == 0
    first = weights(run)
    assert_error(invoke("train", config, "-o", run, "--set", "trainer.epochs=1"), 2,
                 "already holds a training run", "--resume", "--overwrite")
    assert weights(run) == first
    result = invoke("train", config, "-o", run, "--set", "trainer.epochs=1", "--overwrite", "--seed", 4)
    assert result.exit_code == 0, result.output
    assert weights(run) != first
    assert json.loads((run / "model" / "meta.json").read_text())["seed"] == 4


def test_resume_with_a_changed_model_names_the_fingerprint(tmp_path):
    config = write_config(tmp_path)
    run = tmp_path / "run"
    assert invoke("train", config, "-o", run, "--set", "trainer.epochs=1").exit_code == 0
    assert_error(invoke("train", config, "-o", run, "--resume", "--set", "model.hidden_size=16"), 2,
                 "--resume", "fingerprint", "another config or corpus")
    # a longer run is the same setup: it resumes
    result = invoke("train", config, "-o", run, "--resume", "--set", "trainer.epochs=2")
    assert result.exit_code == 0, result.output
    assert "of 10" in result.stderr


def test_resume_without_a_checkpoint(tmp_path):
    assert_error(invoke("train", write_config(tmp_path), "-o", tmp_path / "new", "--resume"), 2,
                 "--resume: no checkpoint in", "start without --resume")


@pytest.mark.parametrize("content, line, words", [
    ("more\taaab\nless\tbbba\nmore aab\n", 3, ["no TAB", "replace that first space by a TAB"]),
    ("more\taaab\n\tbbba\n", 2, ["the label before the TAB is empty"]),
    (b"more\taaab\nless\tbb\xffa\n", 2, ["invalid UTF-8"]),
])
def test_a_malformed_corpus_line_names_file_and_line(tmp_path, content, line, words):
    config = write_config(tmp_path, train="bad.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert_error(invoke("train", config, "-o", tmp_path / "run"), 1, f"{bad}:{line}:", *words)


def test_an_empty_corpus(tmp_path):
    config = write_config(tmp_path, train="empty.tsv")
    (tmp_path / "empty.tsv").write_text("\n\n")
    assert_error(invoke("train", config, "-o", tmp_path / "run"), 1, "empty.tsv", "the corpus is empty")


def test_a_missing_corpus(tmp_path):
    config = write_config(tmp_path, train="missing.tsv")
    assert_error(invoke("train", config, "-o", tmp_path / "run"), 1, "missing.tsv", "corpus not found")


def test_a_dev_label_never_seen_in_training(tmp_path):
    config = write_config(tmp_path, dev="dev2.tsv")
    (tmp_path / "dev2.tsv").write_text("more\taab\nneither\tcc\n")
    assert_error(invoke("train", config, "-o", tmp_path / "run"), 1,
                 f"{tmp_path / 'dev2.tsv'}:2", "label 'neither' never occurs in the training data", "less, more")


@pytest.mark.parametrize("extra, overrides, words", [
    ("lrr = 0.1", [], ["[trainer] 'torch' has no option 'lrr'", "Did you mean 'lr'?"]),
    ("", ["trainer.epoch=3"], ["no option 'epoch'", "Did you mean 'epochs'?"]),
    ("", ["traner.epochs=3"], ["no section [traner]", "Did you mean 'trainer'?"]),
    ("", ["sed=3"], ["no top-level key 'sed'", "Did you mean 'seed'?"]),
    ("", ["model.name=gur"], ["Unknown model 'gur'", "Did you mean 'gru'?"]),
    ("", ["corpus.formt=x"], ["[corpus] has no key 'formt'", "Did you mean 'format'?"]),
])
def test_unknown_config_keys_get_did_you_mean(tmp_path, extra, overrides, words):
    config = write_config(tmp_path, extra=extra)
    args = [a for o in overrides for a in ("--set", o)]
    assert_error(invoke("train", config, "-o", tmp_path / "run", *args), 2, *words)
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.parametrize("overrides, words", [
    (["trainer.epochs=0"], ["'epochs' must be at least 1, not 0"]),
    (["trainer.lr=-1"], ["'lr' must be a positive finite number"]),
    (["trainer.optimizer=adamx"], ["'optimizer' must be one of 'adam', 'adamw', 'sgd', not 'adamx'"]),
    (["trainer.lr=abc"], ["'lr' must be", "not 'abc'"]),
    (["trainer.schedule=plateau", "trainer.warmup_steps=3"], ["warmup_steps", "plateau"]),
    (["trainer.precision=fp16"], ["precision=fp16 needs a CUDA device"]),
])
def test_invalid_trainer_options(tmp_path, overrides, words):
    args = [a for o in overrides for a in ("--set", o)]
    assert_error(invoke("train", write_config(tmp_path), "-o", tmp_path / "run", "--device", "cpu", *args), 2, *words)


def test_a_nan_learning_rate(tmp_path):
    result = invoke("train", write_config(tmp_path), "-o", tmp_path / "run", "--set", "trainer.lr=nan")
    assert_error(result, 2, "lr")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda(tmp_path):
    assert_error(invoke("train", write_config(tmp_path), "-o", tmp_path / "run", "--device", "cuda"), 2,
                 "CUDA was asked for", "--device cpu")


def test_a_non_finite_loss(tmp_path):
    result = invoke("train", write_config(tmp_path), "-o", tmp_path / "run", "--set", "trainer.optimizer=sgd",
                    "--set", "trainer.lr=1e38", "--set", "trainer.clip_grad_norm=0")
    assert_error(result, 1, "The training loss became nan at step ", "trainer.lr")


@pytest.mark.parametrize("content, words", [
    (None, ["cannot read the config"]),
    ("[task\nname = 1", ["not valid TOML"]),
    ('[task]\nname = "clasify"\n', ["Unknown task 'clasify'", "Did you mean 'classify'?"]),
])
def test_unreadable_configs(tmp_path, content, words):
    path = tmp_path / "config.toml"
    if content is not None:
        path.write_text(content)
    result = invoke("train", path, "-o", tmp_path / "run")
    assert_error(result, 1 if content is None or "TOML" in words[0] else 2, *words)
