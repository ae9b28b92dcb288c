"""The ``torch`` trainer plugin on its own: options, optimisers, LR schedules, precision,
checkpoints written whole or not at all (Ctrl-C injected at every line), the metrics
log, and ``TorchTrainer.fit`` on a hand-built :class:`~nlpkit.trainer.TrainingJob`
whose dev metric is scripted, so best-model, patience and plateau logic are exact."""

from __future__ import annotations

import itertools
import json
import math
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from nlpkit import io as nlpkit_io
from nlpkit.data import SequenceData
from nlpkit.errors import InputError, OptionError, UsageError
from nlpkit.registry import registry
from nlpkit.testing import invoke
from nlpkit.trainer import TrainingJob
from nlpkit_trainer import checkpoint
from nlpkit_trainer.log import MetricsLog, plot_learning_curve, scalars
from nlpkit_trainer.loop import TorchTrainer
from nlpkit_trainer.optim import make_optimizer, make_schedule, resolve_precision

CPU = torch.device("cpu")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_registered_as_torch_and_default():
    assert registry("trainers").get("torch") is TorchTrainer
    assert registry("trainers").get("default") is TorchTrainer


# -- options ------------------------------------------------------------------------------


@pytest.mark.parametrize("options, words", [
    ({"lr": 0}, ["'lr'", "positive", "0"]),
    ({"lr": -0.1}, ["'lr'", "positive", "-0.1"]),
    ({"epochs": 0}, ["'epochs'", "at least 1", "0"]),
    ({"batch_size": 0}, ["'batch_size'", "at least 1"]),
    ({"log_every": 0}, ["'log_every'", "at least 1"]),
    ({"eval_batch_size": -1}, ["'eval_batch_size'", "at least 1", "-1"]),
])
def test_invalid_options_are_refused_at_construction(options, words):
    with pytest.raises(OptionError) as error:
        TorchTrainer(**options)
    message = str(error.value)
    assert "Trainer 'torch'" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("options", [
    {"lr": math.nan}, {"lr": math.inf}, {"lr": "abc"}, {"patience": 0}, {"max_steps": 0}, {"max_steps": -1},
    {"eval_every": 0}, {"checkpoint_every": 0}, {"warmup_steps": -1}, {"clip_grad_norm": -1.0},
], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_more_invalid_options_are_refused_at_construction(options):
    with pytest.raises(OptionError, match=next(iter(options))):
        TorchTrainer(**options)


@pytest.mark.parametrize("options", [
    {"optimizer": "adamx"}, {"schedule": "cosnie"}, {"schedule": "plateau", "warmup_steps": 10},
    {"precision": "fp8"},
], ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_option_values_are_checked_before_any_data_is_read(options):
    with pytest.raises(OptionError):
        TorchTrainer(**options)


# -- optimisers and schedules -------------------------------------------------------------------


def one_parameter_optimizer(lr: float = 1.0) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


@pytest.mark.parametrize("name, cls", [("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)])
def test_make_optimizer(name, cls):
    parameter = torch.nn.Parameter(torch.zeros(2))
    optimizer = make_optimizer(name, [parameter], 0.5, 0.01, 0.8)
    assert type(optimizer) is cls
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.5 and group["weight_decay"] == 0.01
    if name == "sgd":
        assert group["momentum"] == 0.8


def test_unknown_optimizer():
    with pytest.raises(OptionError, match="Unknown optimizer 'adamx'; use adam, adamw or sgd"):
        make_optimizer("adamx", [torch.nn.Parameter(torch.zeros(1))], 0.1, 0.0, 0.9)


def lr_sequence(name: str, warmup: int, total: int) -> list[float]:
    """The learning rate of each of ``total`` steps, then the one after the last step."""
    optimizer = one_parameter_optimizer()
    schedule = make_schedule(name, optimizer, warmup, total, 0.5, 1)
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return lrs + [optimizer.param_groups[0]["lr"]]


def test_constant_schedule():
    assert lr_sequence("constant", 0, 5) == [1.0] * 6


def test_constant_schedule_with_warmup_ramps_up_then_stays():
    assert lr_sequence("constant", 4, 8) == pytest.approx([0.25, 0.5, 0.75, 1, 1, 1, 1, 1, 1])


def test_linear_schedule_decays_to_zero():
    assert lr_sequence("linear", 0, 10) == pytest.approx([1 - s / 10 for s in range(11)])


def test_cosine_schedule_decays_to_zero():
    lrs = lr_sequence("cosine", 0, 10)
    assert lrs == pytest.approx([0.5 * (1 + math.cos(math.pi * s / 10)) for s in range(11)])
    assert lrs[0] == 1 and lrs[5] == pytest.approx(0.5) and lrs[-1] == pytest.approx(0, abs=1e-12)
    assert all(a > b for a, b in itertools.pairwise(lrs))


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_warmup_ramps_up_linearly_then_decays_to_zero(name):
    lrs = lr_sequence(name, 4, 12)
    assert lrs[:5] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])  # the peak is reached at the end of warmup
    assert all(a > b for a, b in itertools.pairwise(lrs[4:]))
    assert lrs[-1] == pytest.approx(0, abs=1e-12)
    assert max(lrs) == 1.0


def test_plateau_schedule_reduces_the_lr_when_the_metric_stalls():
    optimizer = one_parameter_optimizer()
    schedule = make_schedule("plateau", optimizer, 0, 100, 0.5, 1)
    lrs = []
    for value in (0.5, 0.6, 0.6, 0.6, 0.55, 0.7):  # higher is better ("max")
        schedule.step(value)
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]  # patience 1: the second stalled evaluation halves it


@pytest.mark.parametrize("name, warmup, words", [
    ("plateau", 5, ["warmup_steps", "schedule=plateau"]),
    ("cosnie", 0, ["Unknown schedule 'cosnie'", "constant, linear, cosine or plateau"]),
])
def test_invalid_schedules(name, warmup, words):
    with pytest.raises(OptionError) as error:
        make_schedule(name, one_parameter_optimizer(), warmup, 10, 0.5, 1)
    for word in words:
        assert word in str(error.value)


# -- precision ------------------------------------------------------------------------------------


def test_precision_on_cpu():
    assert resolve_precision("auto", CPU) is None
    assert resolve_precision("fp32", CPU) is None
    for precision in ("fp16", "bf16"):
        with pytest.raises(OptionError, match=f"precision={precision} needs a CUDA device; this run uses cpu"):
            resolve_precision(precision, CPU)


def test_unknown_precision_is_named_as_unknown():
    with pytest.raises(OptionError, match="auto, fp32, bf16 or fp16"):
        resolve_precision("fp8", CPU)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_precision_on_cuda():
    cuda = torch.device("cuda")
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    assert resolve_precision("auto", cuda) is expected
    assert resolve_precision("fp16", cuda) is torch.float16
    assert resolve_precision("bf16", cuda) is torch.bfloat16
    assert resolve_precision("fp32", cuda) is None


# -- checkpoints ------------------------------------------------------------------------------------


def linear(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 2)


def trainer_state(model: torch.nn.Module) -> dict:
    optimizer = torch.optim.Adam(model.parameters())
    return {"optimizer": optimizer.state_dict(), "rng": checkpoint.rng_state()}


def test_checkpoint_round_trip(tmp_path):
    model = linear(0)
    checkpoint.save(tmp_path / "last", model, {"step": 7, "fingerprint": "abc"}, trainer_state(model))
    assert sorted(p.name for p in (tmp_path / "last").iterdir()) == ["model.safetensors", "state.json", "trainer.pt"]
    other = linear(1)
    checkpoint.load_weights(tmp_path / "last", other)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    assert checkpoint.load_counters(tmp_path / "last") == {"step": 7, "fingerprint": "abc"}
    assert set(checkpoint.load_state(tmp_path / "last")) == {"optimizer", "rng"}
    assert [p.name for p in tmp_path.iterdir()] == ["last"]


def test_checkpoint_replaces_the_previous_one(tmp_path):
    checkpoint.save(tmp_path / "last", linear(0), {"step": 1}, {"x": torch.zeros(1)})
    checkpoint.save(tmp_path / "last", linear(1), {"step": 2})  # no trainer state: best/ checkpoints
    assert checkpoint.load_counters(tmp_path / "last") == {"step": 2}
    assert not (tmp_path / "last" / "trainer.pt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["last"]


def test_checkpoint_errors(tmp_path):
    checkpoint.save(tmp_path / "last", linear(0), {"step": 1})
    with pytest.raises(InputError, match="cannot load checkpoint weights into this model"):
        checkpoint.load_weights(tmp_path / "last", torch.nn.Linear(3, 4))
    with pytest.raises(InputError, match="not a readable checkpoint"):
        checkpoint.load_counters(tmp_path / "nothing")


def test_rng_state_round_trip():
    state = checkpoint.rng_state()
    first = torch.rand(5)
    checkpoint.set_rng_state(state)
    assert torch.equal(torch.rand(5), first)


def interrupt_at_each_line(code, action: Callable[[], None]) -> Iterator[bool]:
    """Run ``action`` again and again, raising KeyboardInterrupt (as Ctrl-C would) at the
    1st, 2nd, 3rd... line executed in ``code``, until a run completes; yield whether each
    run was interrupted."""
    for target in range(1000):
        seen = 0

        def local(frame, event, arg, target=target):  # type: ignore[no-untyped-def]
            nonlocal seen
            if event == "line":
                seen += 1
                if seen == target + 1:
                    raise KeyboardInterrupt(f"line {frame.f_lineno}")
            return local

        def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
            return local if frame.f_code is code else None

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            action()
            interrupted = False
        except KeyboardInterrupt:
            interrupted = True
        finally:
            sys.settrace(previous)
        yield interrupted
        if not interrupted:
            return
    raise AssertionError("never completed")


def check_interrupted_saves(tmp_path: Path, code) -> int:
    """Ctrl-C at each line of ``code`` while ``last/`` (step 1) is replaced by step 2: ``last/``
    is always one complete checkpoint, and nothing else is left in the folder."""
    old, new = linear(0), linear(1)
    interruptions = 0
    folder = tmp_path / "checkpoints"

    def save_new() -> None:
        checkpoint.save(folder / "last", new, {"step": 2}, trainer_state(new))

    def reset() -> None:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        checkpoint.save(folder / "last", old, {"step": 1}, trainer_state(old))

    reset()
    for interrupted in interrupt_at_each_line(code, save_new):
        assert sorted(p.name for p in folder.iterdir()) == ["last"], f"after interruption {interruptions + 1}"
        step = checkpoint.load_counters(folder / "last")["step"]
        loaded = linear(2)
        checkpoint.load_weights(folder / "last", loaded)
        expected = {1: old, 2: new}[step]
        assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), expected.state_dict().values()))
        assert set(checkpoint.load_state(folder / "last")) == {"optimizer", "rng"}
        if not interrupted:
            assert step == 2
            break
        interruptions += 1
        reset()
    return interruptions


def test_ctrl_c_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path):
    assert check_interrupted_saves(tmp_path, checkpoint.save.__code__) >= 4


def test_ctrl_c_while_swapping_a_checkpoint_into_place(tmp_path):
    assert check_interrupted_saves(tmp_path, nlpkit_io.atomic_dir.__wrapped__.__code__) >= 4


# -- the metrics log ------------------------------------------------------------------------------------


def test_metrics_log_appends_reads_and_truncates(tmp_path):
    log = MetricsLog(tmp_path / "run" / "metrics.jsonl")
    assert log.read() == []
    for step in range(1, 6):
        log.write({"step": step, "train_loss": 1 / step, "text": "é"})
    log.write({"step": 5, "dev": {"accuracy": 0.5}})
    assert [r["step"] for r in log.read()] == [1, 2, 3, 4, 5, 5]
    log.truncate_after(3)
    assert log.read() == [{"step": s, "train_loss": 1 / s, "text": "é"} for s in (1, 2, 3)]
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["metrics.jsonl"]


def test_scalars_keep_top_level_numbers_only():
    metrics = {"loss": 0.5, "accuracy": 1, "flag": True, "per_class": {"a": {"f1": 1.0}}, "confusion": [[1]]}
    assert scalars(metrics) == {"loss": 0.5, "accuracy": 1}


def test_learning_curve_is_a_png_even_with_nan(tmp_path):
    log = MetricsLog(tmp_path / "metrics.jsonl")
    log.write({"step": 1, "train_loss": 0.9, "lr": 0.1})
    log.write({"step": 2, "train_loss": math.nan, "lr": 0.1})
    log.write({"step": 2, "dev": {"accuracy": 0.5}})
    plot_learning_curve(log.path, tmp_path / "curve.png", "accuracy")
    assert (tmp_path / "curve.png").read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png", "metrics.jsonl"]


# -- fit on a hand-built job -----------------------------------------------------------------------------


def job(tmp_path: Path, dev_values: list[float], higher_is_better: bool = True, seed: int = 0) -> TrainingJob:
    """24 random sequences (6 batches of 4) labelled by the parity of their sum, a tiny GRU,
    and a dev "metric" that returns the next of ``dev_values`` at each evaluation."""
    rng = random.Random(seed)
    ids = [[rng.randint(1, 9) for _ in range(rng.randint(1, 6))] for _ in range(24)]
    data = SequenceData(ids, [sum(x) % 2 for x in ids], pad_id=0)
    torch.manual_seed(seed)
    gru = registry("models").get("gru")
    model = gru(torch.nn.Embedding(10, 4, padding_idx=0), "classify", 2, hidden_size=4)
    values = iter(dev_values)
    return TrainingJob(model, data, lambda m: {"score": next(values), "loss": 0.0}, "score", higher_is_better,
                       tmp_path, seed, "fingerprint")


def fit(trainer: TorchTrainer, training_job: TrainingJob, **kwargs) -> tuple[dict, dict[int, dict]]:
    weights: dict[int, dict] = {}

    def record(step: int) -> None:
        weights[step] = {k: v.clone() for k, v in training_job.model.state_dict().items()}

    result = trainer.fit(training_job, CPU, progress=False, callbacks=[record], **kwargs)
    return result, weights


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_fit_calls_back_after_every_step_and_reports(tmp_path):
    result, weights = fit(TorchTrainer(epochs=2, batch_size=4, log_every=1), job(tmp_path, [0.1, 0.2]))
    assert sorted(weights) == list(range(1, 13))
    assert not same(weights[1], weights[12])
    assert result["steps"] == 12 and result["epochs"] == 2 and result["device"] == "cpu"
    assert result["best"] == 0.2 and result["best_step"] == 12 and not result["stopped_early"]
    assert result["train_seconds"] > 0 and result["tokens_per_second"] > 0
    log = MetricsLog(tmp_path / "metrics.jsonl").read()
    assert [r["step"] for r in log if "train_loss" in r] == list(range(1, 13))
    assert [r["dev"] for r in log if "dev" in r] == [{"score": 0.1, "loss": 0.0}, {"score": 0.2, "loss": 0.0}]
    assert (tmp_path / "learning-curve.png").read_bytes().startswith(PNG_MAGIC)


def test_patience_stops_and_the_best_weights_come_back(tmp_path):
    trainer = TorchTrainer(epochs=5, batch_size=4, eval_every=1, patience=3)
    training_job = job(tmp_path, [0.5, 0.7, 0.6, 0.7, 0.65, 0.99, 0.99])  # a tie is no improvement
    result, weights = fit(trainer, training_job)
    assert result["stopped_early"] and result["steps"] == 5
    assert result["best"] == 0.7 and result["best_step"] == 2
    assert same(training_job.model.state_dict(), weights[2])
    assert checkpoint.load_counters(tmp_path / "checkpoints" / "best")["best_step"] == 2
    assert checkpoint.load_counters(tmp_path / "checkpoints" / "last")["step"] == 5
    assert checkpoint.load_counters(tmp_path / "checkpoints" / "last")["bad_evals"] == 3


def test_lower_is_better_keeps_the_minimum(tmp_path):
    trainer = TorchTrainer(epochs=5, batch_size=4, eval_every=1, max_steps=5)
    training_job = job(tmp_path, [3.0, 2.0, 2.5, 1.0, 1.5], higher_is_better=False)
    result, weights = fit(trainer, training_job)
    assert result["best"] == 1.0 and result["best_step"] == 4 and result["steps"] == 5
    assert same(training_job.model.state_dict(), weights[4])


def test_plateau_schedule_follows_the_metric_direction(tmp_path):
    """For a lower-is-better metric, a rising value is a stall: the lr halves after each."""
    trainer = TorchTrainer(epochs=5, batch_size=4, eval_every=1, max_steps=6, lr=0.1, log_every=1,
                           schedule="plateau", plateau_patience=0, plateau_factor=0.5)
    fit(trainer, job(tmp_path, [1.0, 0.9, 0.95, 0.97, 0.8, 0.7], higher_is_better=False))
    log = MetricsLog(tmp_path / "metrics.jsonl").read()
    lrs = [r["lr"] for r in log if "lr" in r]  # logged after each step, before that step's evaluation
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.025, 0.025])


def test_max_steps_mid_epoch_writes_the_last_checkpoint(tmp_path):
    result, weights = fit(TorchTrainer(epochs=3, batch_size=4, max_steps=7), job(tmp_path, [0.1, 0.2]))
    assert sorted(weights) == list(range(1, 8)) and result["steps"] == 7
    counters = checkpoint.load_counters(tmp_path / "checkpoints" / "last")
    assert counters["step"] == 7 and counters["epoch"] == 1 and counters["batch"] == 1


def test_fit_resumes_to_the_same_weights(tmp_path):
    values = [0.1, 0.3, 0.2]
    trainer = TorchTrainer(epochs=3, batch_size=4, checkpoint_every=4, lr=0.05)
    _, reference = fit(trainer, job(tmp_path / "a", values))

    def stop(step: int) -> None:
        if step == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.fit(job(tmp_path / "b", values), CPU, progress=False, callbacks=[stop])
    assert checkpoint.load_counters(tmp_path / "b" / "checkpoints" / "last")["step"] == 8
    resumed_job = job(tmp_path / "b", values[1:])  # the evaluation at step 6 happened before the checkpoint
    result, resumed = fit(trainer, resumed_job, resume=True)
    assert sorted(resumed) == list(range(9, 19))
    assert same(resumed[18], reference[18])
    assert result["best"] == 0.3 and result["best_step"] == 12
    records = [json.loads(line) for line in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "dev" in r] == [6, 12, 18]


@pytest.mark.parametrize("ema", [1.0, -0.1, 1.5])
def test_ema_outside_0_to_1_is_refused(ema):
    with pytest.raises(OptionError, match="'ema' must be at least 0"):
        TorchTrainer(ema=ema)


def test_ema_evaluates_and_keeps_the_moving_average_of_the_weights(tmp_path):
    """Dev evaluation sees the average, and the best average is what comes back: after
    step k it is d * average + (1 - d) * weights_k, starting from the weights of step 1."""
    decay = 0.7
    training_job = job(tmp_path, [0.9, 0.1])  # the first epoch's evaluation is the best
    result, weights = fit(TorchTrainer(epochs=2, batch_size=4, lr=0.1, ema=decay), training_job)
    average = weights[1]
    for step in range(2, 7):
        average = {k: decay * average[k] + (1 - decay) * weights[step][k] for k in average}
    assert result["best_step"] == 6
    final = training_job.model.state_dict()
    for key, value in average.items():
        torch.testing.assert_close(final[key], value)
    assert not same(final, weights[6])  # the average, not the weights of step 6


@pytest.mark.parametrize("smoothing", [1.0, -0.1])
def test_label_smoothing_outside_0_to_1_is_refused(smoothing):
    with pytest.raises(OptionError, match="'label_smoothing' must be at least 0"):
        TorchTrainer(label_smoothing=smoothing)


def test_label_smoothing_takes_the_step_of_torchs_smoothed_cross_entropy(tmp_path):
    """One plain SGD step equals the hand-made step on cross_entropy(label_smoothing=0.2)."""
    training_job = job(tmp_path, [0.5])
    model = training_job.model
    start = {k: v.clone() for k, v in model.state_dict().items()}
    batch = training_job.train.batch(training_job.train.epoch_order(4, training_job.seed, 0)[0])
    logits = model(batch).logits  # shape: [4, 2]
    loss = torch.nn.functional.cross_entropy(logits, batch.labels, label_smoothing=0.2)
    grads = dict(zip([n for n, _ in model.named_parameters()], torch.autograd.grad(loss, list(model.parameters()))))
    expected = {k: start[k] - 0.1 * grads[k] if k in grads else start[k] for k in start}
    trainer = TorchTrainer(epochs=1, max_steps=1, batch_size=4, optimizer="sgd", momentum=0.0, lr=0.1,
                           clip_grad_norm=None, label_smoothing=0.2)
    _, weights = fit(trainer, training_job)
    for key, value in expected.items():
        torch.testing.assert_close(weights[1][key], value)


def test_label_smoothing_is_refused_for_a_crf(tmp_path, samples):
    (tmp_path / "train.conll").write_text(samples.conll(samples.ner_sentences(20, seed=1)), encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[task]\nname = "ner"\n[corpus]\ntrain = "train.conll"\nformat = "conll"\nsplit = [0.8, 0.2]\n'
        '[encoder]\nname = "vocab"\ndim = 4\n[model]\nname = "bilstm-crf"\nhidden_size = 4\n[decoder]\n'
        'name = "viterbi"\n[trainer]\nname = "torch"\nepochs = 1\nlabel_smoothing = 0.1\n', encoding="utf-8")
    result = invoke("train", tmp_path / "c.toml", "-o", tmp_path / "run", "--device", "cpu")
    assert result.exit_code == 2 and "'label_smoothing' smooths softmax targets" in result.stderr, result.output


def test_ema_resumes_to_the_same_average(tmp_path):
    from safetensors.torch import load_file

    values = [0.1, 0.3, 0.2]
    trainer = TorchTrainer(epochs=3, batch_size=4, checkpoint_every=4, lr=0.05, ema=0.8)
    fit(trainer, job(tmp_path / "a", values))

    def stop(step: int) -> None:
        if step == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trainer.fit(job(tmp_path / "b", values), CPU, progress=False, callbacks=[stop])
    fit(trainer, job(tmp_path / "b", values[1:]), resume=True)
    best = [tmp_path / run / "checkpoints" / "best" for run in "ab"]
    assert [checkpoint.load_counters(b)["best_step"] for b in best] == [12, 12]
    assert same(*(load_file(str(b / checkpoint.MODEL)) for b in best))
    plain = TorchTrainer(epochs=3, batch_size=4, checkpoint_every=4, lr=0.05)
    with pytest.raises(KeyboardInterrupt):
        plain.fit(job(tmp_path / "c", values), CPU, progress=False, callbacks=[stop])
    with pytest.raises(UsageError, match="holds no weight average"):
        trainer.fit(job(tmp_path / "c", values[1:]), CPU, progress=False, resume=True)


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    TorchTrainer(epochs=1, batch_size=4).fit(job(tmp_path, [0.5]), CPU, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "train on cpu" in captured.err and "6/6" in captured.err


def test_max_steps_inside_an_epoch_still_evaluates_the_last_weights(tmp_path):
    """6 batches per epoch, stopped after 4 steps: the run ends with a dev evaluation at step 4."""
    result, _ = fit(TorchTrainer(epochs=3, batch_size=4, max_steps=4, log_every=1), job(tmp_path, [0.5]))
    assert (result["steps"], result["best_step"], result["best"]) == (4, 4, 0.5)
    records = MetricsLog(tmp_path / "metrics.jsonl").read()
    assert [r["step"] for r in records if "dev" in r] == [4]


# -- gradient accumulation (the multi-process tests are in test_distributed.py) -----------------


@pytest.mark.parametrize("options, words", [
    ({"grad_accum_steps": 0}, ["'grad_accum_steps'", "at least 1"]),
    ({"grad_accum_steps": 3, "batch_size": 8}, ["'grad_accum_steps' (3) must divide batch_size (8)"]),
    ({"grad_accum_steps": 1.5}, ["grad_accum_steps"]),
])
def test_grad_accum_steps_is_checked_at_construction(options, words):
    with pytest.raises(OptionError) as error:
        TorchTrainer(**options)
    for word in words:
        assert word in str(error.value)


def test_accumulated_micro_batches_give_the_step_of_the_whole_batch(tmp_path):
    """Four micro-batches weighted by their share of the batch's loss units give the
    whole batch's gradient: the weights match to float rounding (summation order)."""
    whole, parts = job(tmp_path / "whole", [0.5] * 4), job(tmp_path / "parts", [0.5] * 4)
    fit(TorchTrainer(epochs=2, batch_size=8, lr=0.05, log_every=1), whole)
    fit(TorchTrainer(epochs=2, batch_size=8, lr=0.05, log_every=1, grad_accum_steps=4), parts)
    for name, value in whole.model.state_dict().items():
        torch.testing.assert_close(value, parts.model.state_dict()[name], rtol=0, atol=1e-6)
