"""``nlpkit.training.train`` with the torch trainer, end to end on tiny corpora.

Learning (loss falls, dev beats chance), resume equivalence (an interrupted and
resumed run ends with bit-identical weights), what interruption leaves on disk,
the output-folder rules, early stopping, the metrics log and learning curve,
schedules and options seen through a real run, and non-finite losses.

Everything runs on the CPU with one torch thread: tiny GRUs are fastest that way
on a busy machine, and a fixed thread count keeps float results reproducible.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nlpkit import training
from nlpkit.errors import NlpkitError, OptionError, UsageError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def train(config: dict, output: Path, **kwargs):
    """``nlpkit.training.train`` on the CPU (where fixed seeds give bit-identical runs)."""
    kwargs.setdefault("device", "cpu")
    return training.train(config, output, **kwargs)


# -- tiny corpora and configs -----------------------------------------------------------


def rule_label(text: str) -> str:
    """The rule to learn: more a's than b's, or fewer (the c's are noise; no ties)."""
    return "more" if text.count("a") > text.count("b") else "less"


def write_rule_corpus(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = []
    while len(lines) < n:
        text = "".join(rng.choice("abc") for _ in range(rng.randint(3, 9)))
        if text.count("a") != text.count("b"):
            lines.append(f"{rule_label(text)}\t{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("corpora")
    return {
        "train": write_rule_corpus(root / "train.tsv", 40, seed=1),  # 5 batches of 8 per epoch
        "dev": write_rule_corpus(root / "dev.tsv", 20, seed=2),
        "big_train": write_rule_corpus(root / "big-train.tsv", 200, seed=3),
        "big_dev": write_rule_corpus(root / "big-dev.tsv", 60, seed=4),
    }


def classify_config(corpora: dict[str, Path], size: str = "", *, model: dict | None = None, **trainer) -> dict:
    return {
        "seed": 3,
        "task": {"name": "classify"},
        "corpus": {"train": str(corpora[f"{size}train"]), "dev": str(corpora[f"{size}dev"]), "format": "label-tab-text"},
        "tokenizer": {"name": "char"},
        "encoder": {"name": "vocab", "dim": 8},
        "model": {"name": "gru", "hidden_size": 8, **(model or {})},
        "decoder": {"name": "argmax"},
        "trainer": {"name": "torch", "epochs": 3, "batch_size": 8, "lr": 0.02, "log_every": 2, **trainer},
    }


STEPS_PER_EPOCH = 5  # 40 training examples, batches of 8


def records(output: Path) -> list[dict]:
    return [json.loads(line) for line in (output / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]


def dev_records(output: Path) -> list[dict]:
    return [r for r in records(output) if "dev" in r]


def train_records(output: Path) -> list[dict]:
    return [r for r in records(output) if "train_loss" in r]


def stop_at(step: int):
    """A callback that interrupts training as Ctrl-C would, right after ``step``."""

    def callback(current: int) -> None:
        if current == step:
            raise KeyboardInterrupt

    return callback


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    mine, theirs = a.state_dict(), b.state_dict()
    assert mine.keys() == theirs.keys()
    different = [name for name in mine if not torch.equal(mine[name], theirs[name])]
    assert not different, f"tensors differ: {different}"


def assert_no_temporary_entries(output: Path) -> None:
    hidden = sorted(str(p.relative_to(output)) for p in output.rglob(".*"))
    assert hidden == [], f"temporary files or folders left behind: {hidden}"


def assert_complete_checkpoint(folder: Path, like: torch.nn.Module, resumable: bool = True) -> dict:
    """``folder`` holds loadable weights of ``like``'s shapes, counters, and (``last/``)
    the optimizer, scheduler, scaler and RNG states."""
    weights = load_file(str(folder / "model.safetensors"))
    expected = like.state_dict()
    assert weights.keys() == expected.keys()
    assert all(weights[k].shape == expected[k].shape for k in weights)
    if resumable:
        state = torch.load(folder / "trainer.pt", map_location="cpu", weights_only=True)
        assert {"optimizer", "scheduler", "scaler", "rng"} <= state.keys()
    return json.loads((folder / "state.json").read_text(encoding="utf-8"))


# -- learning --------------------------------------------------------------------------


def test_classifier_learns_the_rule_and_beats_chance(corpora, tmp_path):
    config = classify_config(corpora, "big_", model={"hidden_size": 16, "pooling": "mean"}, epochs=4, batch_size=16,
                             log_every=5)
    pipeline = train(config, tmp_path, progress=False)
    losses = [r["train_loss"] for r in train_records(tmp_path)]
    assert losses[0] > 0.5  # about log(2) = 0.69 at the start
    assert max(losses[-3:]) < 0.2
    dev = pipeline.meta["metrics"]["dev"]
    majority = max(sum(rule_label(line.split("\t")[1]) == label for line in corpora["big_dev"].read_text().splitlines())
                   for label in ("more", "less")) / 60
    assert majority < 0.65
    assert dev["accuracy"] >= 0.9
    predicted = [r.label for r in pipeline.pipe(["aaaac", "bbbbc", "abaca", "cbcbb"])]
    assert predicted == ["more", "less", "more", "less"]


def test_char_language_model_learns_the_text(tmp_path):
    rng = random.Random(0)
    sentences = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"]
    corpus = tmp_path / "lm.txt"
    corpus.write_text("\n".join(rng.choice(sentences) for _ in range(120)) + "\n", encoding="utf-8")
    config = {
        "seed": 1, "task": {"name": "generate", "block_size": 16},
        "corpus": {"train": str(corpus), "format": "plain-text"},
        "tokenizer": {"name": "char", "keep_whitespace": True}, "encoder": {"name": "vocab", "dim": 16},
        "model": {"name": "gru", "hidden_size": 32}, "decoder": {"name": "argmax"},
        "trainer": {"name": "torch", "epochs": 6, "batch_size": 8, "lr": 0.02, "log_every": 5},
    }
    pipeline = train(config, tmp_path / "run", progress=False)
    vocabulary = len(pipeline.encoder.fitted) - len(pipeline.encoder.fitted.specials)
    dev = pipeline.meta["metrics"]["dev"]
    assert train_records(tmp_path / "run")[0]["train_loss"] > 2.0  # about log(14) at the start
    assert dev["loss"] < 0.3 < math.log(vocabulary)  # the text's entropy is about 0.13 nats per character
    assert dev["perplexity"] == pytest.approx(math.exp(dev["loss"]))
    text = pipeline.generate("the ", max_length=40)
    lines = text.split("\n")
    assert all(line in sentences for line in lines[:-1]), text  # every finished line is a corpus sentence


# -- resume equivalence ------------------------------------------------------------------

#: Configs of the completed reference runs, each trained once per module.
REFERENCES = {
    # 3 epochs of 5 steps, constant lr, evaluation and checkpoint at each epoch end (steps 5, 10, 15)
    "base": classify_config,
    # dropout everywhere (RNG state matters), cosine with warmup, evaluation (and checkpoint) every 4 steps
    "rich": lambda corpora: classify_config(
        corpora, model={"dropout": 0.3, "word_dropout": 0.2, "num_layers": 2}, schedule="cosine", warmup_steps=3,
        eval_every=4, optimizer="adamw", weight_decay=0.01, log_every=1),
    # early stopping with a plateau schedule
    "early": lambda corpora: classify_config(
        corpora, epochs=20, eval_every=2, patience=3, schedule="plateau", plateau_patience=0, log_every=1),
}


@pytest.fixture(scope="module")
def reference(corpora, tmp_path_factory):
    """``reference(name)``: (config, pipeline, output folder) of a completed run."""
    done: dict[str, tuple] = {}

    def get(name: str) -> tuple[dict, object, Path]:
        if name not in done:
            config = REFERENCES[name](corpora)
            output = tmp_path_factory.mktemp(f"reference-{name}")
            done[name] = (config, train(config, output, progress=False), output)
        return done[name]

    return get


def with_trainer(config: dict, **options) -> dict:
    """``config`` with more trainer options (here: ones that only say how long to train)."""
    return {**config, "trainer": {**config["trainer"], **options}}


#: name -> (reference, checkpoint_every, interrupt after step, the last checkpoint's step).
RESUME_CASES = {
    "mid-epoch": ("base", 3, 8, 6),
    "at the last step of an epoch": ("base", 2, 5, 4),
    "at the first step of an epoch, from the end-of-epoch checkpoint": ("base", 4, 6, 5),
    "from an in-loop checkpoint at an epoch end": ("base", 5, 7, 5),
    "dropout, cosine with warmup, eval_every, mid-epoch": ("rich", 3, 7, 6),
    "dropout, cosine with warmup, eval_every, from an evaluation": ("rich", 5, 9, 8),
    "dropout, cosine with warmup, eval_every, at an epoch boundary": ("rich", 3, 11, 10),
}


@pytest.mark.parametrize("case", RESUME_CASES)
def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(reference, tmp_path, case):
    name, every, interrupt, checkpoint_step = RESUME_CASES[case]
    config, expected, expected_dir = reference(name)
    config = with_trainer(config, checkpoint_every=every)

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(interrupt)])
    counters = assert_complete_checkpoint(tmp_path / "checkpoints" / "last", expected.model)
    assert counters["step"] == checkpoint_step
    assert not (tmp_path / "model").exists()
    assert_no_temporary_entries(tmp_path)

    steps: list[int] = []
    resumed = train(config, tmp_path, progress=False, resume=True, callbacks=[steps.append])
    assert steps == list(range(checkpoint_step + 1, 3 * STEPS_PER_EPOCH + 1))  # picks up after the checkpoint
    assert_same_weights(resumed.model, expected.model)
    for file in ("model/model/weights.safetensors", "checkpoints/best/model.safetensors",
                 "checkpoints/last/model.safetensors"):
        assert (tmp_path / file).read_bytes() == (expected_dir / file).read_bytes(), file
    assert dev_records(tmp_path) == dev_records(expected_dir)
    lrs = [(r["step"], r["lr"]) for r in train_records(tmp_path)]
    assert lrs == [(r["step"], r["lr"]) for r in train_records(expected_dir)]
    for key in ("best", "best_step", "steps", "epochs", "stopped_early"):
        assert resumed.meta["training"][key] == expected.meta["training"][key]
    assert resumed.meta["metrics"] == expected.meta["metrics"]
    assert_no_temporary_entries(tmp_path)


def test_two_interruptions_then_resume_equals_an_uninterrupted_run(reference, tmp_path):
    config, expected, _ = reference("rich")
    config = with_trainer(config, checkpoint_every=2)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(3)])
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, resume=True, callbacks=[stop_at(13)])
    resumed = train(config, tmp_path, progress=False, resume=True)
    assert_same_weights(resumed.model, expected.model)


def test_resume_restores_the_early_stopping_state(reference, tmp_path):
    """The best value, the patience counter and the plateau schedule are restored: the
    resumed run stops where the uninterrupted one stopped, with the same best model."""
    config, expected, expected_dir = reference("early")
    training = expected.meta["training"]
    assert training["stopped_early"]
    interrupt = training["best_step"] + 3  # after the best evaluation, while bad evaluations are counted
    assert interrupt < training["steps"]
    config = with_trainer(config, checkpoint_every=1)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(interrupt)])
    resumed = train(config, tmp_path, progress=False, resume=True)
    assert resumed.meta["training"]["steps"] == training["steps"]
    assert resumed.meta["training"]["best_step"] == training["best_step"]
    assert_same_weights(resumed.model, expected.model)
    assert dev_records(tmp_path) == dev_records(expected_dir)


def test_resume_with_more_epochs_continues_the_same_run(reference, tmp_path):
    """Epochs are a duration option: a finished 2-epoch run resumed with 3 epochs
    (constant learning rate) ends where a 3-epoch run ends."""
    config, expected, _ = reference("base")
    train(with_trainer(config, epochs=2), tmp_path, progress=False)
    longer = train(config, tmp_path, progress=False, resume=True)
    assert longer.meta["training"]["steps"] == 15
    assert_same_weights(longer.model, expected.model)


def test_train_loss_records_after_resume_match_an_uninterrupted_run(reference, tmp_path):
    config, _, expected_dir = reference("base")  # log_every=2
    config = with_trainer(config, checkpoint_every=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(4)])
    train(config, tmp_path, progress=False, resume=True)
    assert [r["step"] for r in train_records(tmp_path)] == [r["step"] for r in train_records(expected_dir)]
    assert [r["train_loss"] for r in train_records(tmp_path)] == [r["train_loss"] for r in train_records(expected_dir)]


def test_each_evaluation_writes_a_checkpoint(corpora, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(classify_config(corpora, eval_every=2), tmp_path, progress=False, callbacks=[stop_at(3)])
    assert json.loads((tmp_path / "checkpoints" / "last" / "state.json").read_text())["step"] == 2


# -- the output folder -------------------------------------------------------------------


def test_resume_with_a_changed_model_is_refused_naming_the_fingerprint(corpora, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(classify_config(corpora, checkpoint_every=2), tmp_path, progress=False, callbacks=[stop_at(3)])
    changed = classify_config(corpora, model={"hidden_size": 16}, checkpoint_every=2)
    with pytest.raises(UsageError, match="fingerprint") as error:
        train(changed, tmp_path, progress=False, resume=True)
    assert "--resume" in str(error.value)
    assert json.loads((tmp_path / "checkpoints" / "last" / "state.json").read_text())["step"] == 2  # left alone


def test_resume_without_a_checkpoint_is_refused(corpora, tmp_path):
    with pytest.raises(UsageError, match="no checkpoint"):
        train(classify_config(corpora), tmp_path / "new", progress=False, resume=True)


def test_a_used_output_folder_needs_resume_or_overwrite(corpora, tmp_path):
    config = classify_config(corpora, epochs=1)
    first = train(config, tmp_path, progress=False)
    before = (tmp_path / "metrics.jsonl").read_text()
    with pytest.raises(UsageError, match="--resume.*--overwrite"):
        train(config, tmp_path, progress=False)
    assert (tmp_path / "metrics.jsonl").read_text() == before

    replaced = train(config, tmp_path, progress=False, overwrite=True, seed=4)
    assert replaced.meta["seed"] == 4
    assert not torch.equal(first.model.output.weight, replaced.model.output.weight)
    assert [r["step"] for r in records(tmp_path)] == [2, 4, 5, 5]  # the new run's records only
    assert json.loads((tmp_path / "checkpoints" / "last" / "state.json").read_text())["step"] == 5
    from nlpkit.pipeline import load

    assert_same_weights(load(tmp_path, device="cpu").model, replaced.model)


def test_interruption_leaves_a_complete_checkpoint_and_no_temporary_folders(reference, tmp_path):
    config, expected, _ = reference("base")
    config = with_trainer(config, checkpoint_every=1, eval_every=1)
    for resume, step in ((False, 4), (True, 7), (True, 11)):
        with pytest.raises(KeyboardInterrupt):
            train(config, tmp_path, progress=False, resume=resume, callbacks=[stop_at(step)])
        assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["best", "last"]
        counters = assert_complete_checkpoint(tmp_path / "checkpoints" / "last", expected.model)
        assert counters["step"] == step - 1  # the checkpoint of the step before; none half-written
        assert_complete_checkpoint(tmp_path / "checkpoints" / "best", expected.model, resumable=False)
        assert_no_temporary_entries(tmp_path)
        assert not (tmp_path / "model").exists()


def test_interruption_before_the_first_checkpoint(corpora, tmp_path):
    """Interrupted before any checkpoint: --resume is refused, and starting afresh in
    the same folder is allowed."""
    config = classify_config(corpora, checkpoint_every=4)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(3)])
    assert not (tmp_path / "checkpoints" / "last").exists()
    with pytest.raises(UsageError, match="no checkpoint"):
        train(config, tmp_path, progress=False, resume=True)
    pipeline = train(config, tmp_path, progress=False)
    assert pipeline.meta["training"]["steps"] == 15


def test_a_fresh_start_does_not_keep_records_of_a_dead_run(corpora, tmp_path):
    config = classify_config(corpora, checkpoint_every=4)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path, progress=False, callbacks=[stop_at(3)])
    train(config, tmp_path, progress=False)
    steps = [r["step"] for r in train_records(tmp_path)]
    assert steps == sorted(set(steps)), steps


# -- early stopping, metrics log, learning curve ----------------------------------------------


def test_early_stopping_keeps_the_best_model(reference):
    _, pipeline, output = reference("early")  # eval every 2 steps, patience 3, 20 epochs of 5 steps
    training = pipeline.meta["training"]
    assert training["stopped_early"]
    assert training["steps"] < 4 * STEPS_PER_EPOCH
    devs = dev_records(output)
    assert [r["step"] for r in devs] == list(range(2, training["steps"] + 1, 2))
    best = max(r["dev"]["accuracy"] for r in devs)
    first_best = next(r for r in devs if r["dev"]["accuracy"] == best)
    assert training["best"] == best and training["best_step"] == first_best["step"]
    assert training["steps"] == devs[-1]["step"] == first_best["step"] + 3 * 2  # three evaluations without gain
    # the saved model is the best one, not the last one
    assert pipeline.meta["metrics"]["dev"]["accuracy"] == best
    assert pipeline.meta["metrics"]["dev"]["loss"] == first_best["dev"]["loss"]
    best_weights = load_file(str(output / "checkpoints" / "best" / "model.safetensors"))
    last_weights = load_file(str(output / "checkpoints" / "last" / "model.safetensors"))
    state = pipeline.model.state_dict()
    assert all(torch.equal(best_weights[k], state[k]) for k in state)
    assert not all(torch.equal(last_weights[k], state[k]) for k in state)
    assert json.loads((output / "checkpoints" / "best" / "state.json").read_text())["best_step"] == first_best["step"]
    assert (output / "model" / "model" / "weights.safetensors").read_bytes() == \
        (output / "checkpoints" / "best" / "model.safetensors").read_bytes()


def test_language_model_keeps_the_lowest_dev_loss(tmp_path):
    """For the generate task lower is better: the best is the minimum dev loss."""
    rng = random.Random(1)
    corpus = tmp_path / "lm.txt"
    corpus.write_text("\n".join("".join(rng.choice("ab") for _ in range(12)) for _ in range(40)) + "\n")
    config = {
        "seed": 2, "task": {"name": "generate", "block_size": 8},
        "corpus": {"train": str(corpus), "format": "plain-text"}, "tokenizer": {"name": "char"},
        "encoder": {"name": "vocab", "dim": 8}, "model": {"name": "gru", "hidden_size": 16},
        "trainer": {"name": "torch", "epochs": 8, "batch_size": 8, "lr": 0.1, "eval_every": 3},
    }
    pipeline = train(config, tmp_path / "run", progress=False)
    devs = dev_records(tmp_path / "run")
    best = min(r["dev"]["loss"] for r in devs)
    assert pipeline.meta["training"]["best"] == best
    assert pipeline.meta["metrics"]["dev"]["loss"] == pytest.approx(best, abs=1e-6)


def test_metrics_log_learning_curve_and_checkpoints(reference):
    _, pipeline, output = reference("base")
    log = records(output)
    trains, devs = train_records(output), dev_records(output)
    assert len(trains) + len(devs) == len(log)
    assert [r["step"] for r in trains] == [2, 4, 5, 6, 8, 10, 12, 14, 15]  # every 2 steps and at each epoch end
    for record in trains:
        assert math.isfinite(record["train_loss"]) and record["train_loss"] > 0
        assert record["lr"] == 0.02
        assert record["tokens_per_s"] > 0
    assert trains[-1]["train_loss"] < trains[0]["train_loss"]
    assert [r["step"] for r in devs] == [5, 10, 15]
    for record in devs:
        assert {"loss", "accuracy", "macro_f1"} <= record["dev"].keys()
        assert all(isinstance(v, (int, float)) for v in record["dev"].values())  # no per-class tables in the log
    assert (output / "learning-curve.png").read_bytes().startswith(PNG_MAGIC)
    assert pipeline.meta["training"]["best_step"] in (5, 10, 15)
    assert pipeline.meta["training"]["tokens_per_second"] > 0
    assert pipeline.meta["seed"] == 3 and pipeline.meta["config"]["seed"] == 3
    assert set(pipeline.meta["corpus"]) == {"train", "dev"}
    assert sorted(p.name for p in (output / "checkpoints").iterdir()) == ["best", "last"]
    assert_no_temporary_entries(output)


def test_cosine_schedule_with_warmup_in_the_log(reference):
    _, _, output = reference("rich")  # lr 0.02, 3 warmup steps, 15 steps, logged every step
    lrs = [r["lr"] for r in train_records(output)]
    # the lr after step s: (s+1)/3 of the peak during warmup, then cosine from the peak to 0 over 12 steps
    expected = [0.02 * (s + 1) / 3 if s < 3 else 0.01 * (1 + math.cos(math.pi * (s - 3) / 12)) for s in range(1, 16)]
    assert lrs == pytest.approx(expected, abs=1e-12)
    assert lrs[-1] == pytest.approx(0, abs=1e-12)
    assert max(lrs) == pytest.approx(0.02)


def test_max_steps_stops_mid_epoch(corpora, tmp_path):
    pipeline = train(classify_config(corpora, max_steps=7, schedule="linear", log_every=1), tmp_path, progress=False)
    assert pipeline.meta["training"]["steps"] == 7
    assert train_records(tmp_path)[-1]["lr"] == pytest.approx(0, abs=1e-12)  # linear decay over 7 steps
    assert json.loads((tmp_path / "checkpoints" / "last" / "state.json").read_text())["step"] == 7


def test_the_seed_argument_wins_over_the_config(reference, tmp_path):
    config, expected, _ = reference("base")  # seed = 3
    other = train(config, tmp_path, progress=False, seed=4)
    assert other.meta["seed"] == 4 and other.meta["config"]["seed"] == 4
    assert not torch.equal(other.model.output.weight, expected.model.output.weight)


# -- options and errors through a run ------------------------------------------------------------


@pytest.mark.parametrize("options, words", [
    ({"optimizer": "adamx"}, ["adamx", "'adam', 'adamw', 'sgd'"]),
    ({"schedule": "cosnie"}, ["cosnie", "'constant', 'linear', 'cosine', 'plateau'"]),
    ({"schedule": "plateau", "warmup_steps": 2}, ["warmup_steps", "plateau"]),
    ({"precision": "fp16"}, ["fp16", "CUDA"]),
    ({"precision": "bf16"}, ["bf16", "CUDA"]),
    ({"lr": 0}, ["lr", "positive"]),
    ({"epochs": 0}, ["epochs", "at least 1"]),
])
def test_invalid_trainer_options_are_option_errors(corpora, tmp_path, options, words):
    with pytest.raises(OptionError) as error:
        train(classify_config(corpora, **options), tmp_path, progress=False, device="cpu")
    for word in words:
        assert word in str(error.value)
    assert not (tmp_path / "checkpoints").exists()


def test_non_finite_loss_names_the_step(corpora, tmp_path):
    """An absurd learning rate overflows the weights; the loss turns NaN and training
    stops with an error naming the step, not with a model full of NaNs."""
    done: list[int] = []
    config = classify_config(corpora, optimizer="sgd", lr=1e38, clip_grad_norm=None)
    with pytest.raises(NlpkitError, match=r"training loss became (nan|inf|-inf) at step (\d+)") as error:
        train(config, tmp_path, progress=False, callbacks=[done.append])
    assert f"at step {len(done) + 1}." in str(error.value)
    assert "trainer.lr" in str(error.value)
    assert not (tmp_path / "model").exists()


def test_overflowing_update_is_an_nlpkit_error(corpora, tmp_path):
    with pytest.raises(NlpkitError, match="step"):
        train(classify_config(corpora, lr=1e38), tmp_path, progress=False)


def test_patience_zero_is_refused(corpora, tmp_path):
    with pytest.raises(OptionError, match="patience"):
        train(classify_config(corpora, patience=0), tmp_path, progress=False)


@pytest.mark.parametrize("task", ["classify", "tag"])
def test_training_without_dev_data_is_refused_before_any_step(corpora, tmp_path, task):
    config = classify_config(corpora)
    del config["corpus"]["dev"]
    if task == "tag":
        (tmp_path / "t.conll").write_text("The\tDET\ncat\tNOUN\n\nA\tDET\ndog\tNOUN\n", encoding="utf-8")
        config = {**config, "task": {"name": "tag"}, "corpus": {"train": str(tmp_path / "t.conll"), "format": "conll"},
                  "tokenizer": {"name": "whitespace"}}
    with pytest.raises(UsageError, match=f"The '{task}' task needs dev data.*split = \\[0.9, 0.1\\]"):
        train(config, tmp_path / "run", progress=False)
    assert not (tmp_path / "run" / "checkpoints").exists()
