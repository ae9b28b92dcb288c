"""The ``torch`` trainer's loop: one device, AMP, clipping, schedules, early stopping,
and checkpoints that resume to exactly the weights an uninterrupted run reaches."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Literal

import torch

from nlpkit.device import describe
from nlpkit.errors import NlpkitError, OptionError, UsageError
from nlpkit.options import check_types
from nlpkit.trainer import Trainer, TrainingJob

from . import checkpoint
from .log import MetricsLog, plot_learning_curve, scalars
from .optim import make_optimizer, make_schedule, resolve_precision


class TorchTrainer(Trainer):
    """Mini-batch training on one device (``--device``; cuda, mps or cpu).

    Evaluates on the dev set every ``eval_every`` steps (default: each epoch),
    keeps the best model by the task's metric, stops after ``patience``
    evaluations without improvement, and writes ``checkpoints/last`` every
    ``checkpoint_every`` steps and at each evaluation.
    """

    name = "torch"

    def __init__(
        self,
        *,
        epochs: int = 10,
        max_steps: int | None = None,
        batch_size: int = 32,
        optimizer: Literal["adam", "adamw", "sgd"] = "adam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        momentum: float = 0.9,
        schedule: Literal["constant", "linear", "cosine", "plateau"] = "constant",
        warmup_steps: int = 0,
        plateau_factor: float = 0.5,
        plateau_patience: int = 1,
        clip_grad_norm: float | None = 5.0,
        precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto",
        eval_every: int | None = None,
        patience: int | None = None,
        checkpoint_every: int | None = None,
        log_every: int = 50,
        eval_batch_size: int = 64,
    ) -> None:
        self.epochs, self.max_steps, self.batch_size = epochs, max_steps, batch_size
        self.optimizer, self.lr, self.weight_decay, self.momentum = optimizer, lr, weight_decay, momentum
        self.schedule, self.warmup_steps = schedule, warmup_steps
        self.plateau_factor, self.plateau_patience = plateau_factor, plateau_patience
        self.clip_grad_norm, self.precision = clip_grad_norm, precision
        self.eval_every, self.patience, self.checkpoint_every = eval_every, patience, checkpoint_every
        self.log_every, self.eval_batch_size = log_every, eval_batch_size
        _validate(self)

    def fit(
        self, job: TrainingJob, device: torch.device, resume: bool = False, progress: bool = True,
        callbacks: Sequence[Callable[[int], None]] = (),
    ) -> dict:
        run = _Run(self, job, device, progress, callbacks)
        if resume:
            run.restore()
        else:
            run.log.truncate_after(-1)  # a fresh run never appends to an old log
        return run.train()


def _empty_window() -> dict:
    return {"loss": 0.0, "batches": 0, "tokens": 0, "seconds": 0.0}


def _validate(cfg: TorchTrainer) -> None:
    """Every option checked at construction, before any data is read."""
    what = "Trainer 'torch'"
    check_types(TorchTrainer, cfg.config(), what)
    at_least_one = ("epochs", "batch_size", "log_every", "eval_batch_size", "max_steps", "eval_every",
                    "checkpoint_every", "patience")
    for name in at_least_one:
        value = getattr(cfg, name)
        if value is not None and value < 1:
            raise OptionError(f"{what} option '{name}' must be at least 1, not {value}.")
    for name in ("lr", "plateau_factor"):
        value = getattr(cfg, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise OptionError(f"{what} option '{name}' must be a positive finite number, not {value}.")
    if not cfg.plateau_factor < 1:
        raise OptionError(f"{what} option 'plateau_factor' must be below 1, not {cfg.plateau_factor}.")
    for name in ("weight_decay", "momentum", "warmup_steps", "plateau_patience", "clip_grad_norm"):
        value = getattr(cfg, name)
        if value is not None and not math.isfinite(value):
            raise OptionError(f"{what} option '{name}' must be a finite number, not {value}.")
        if value is not None and value < 0:
            raise OptionError(f"{what} option '{name}' must not be negative, not {getattr(cfg, name)}.")
    if cfg.schedule == "plateau" and cfg.warmup_steps:
        raise OptionError(f"{what}: warmup_steps cannot be combined with schedule=plateau.")


class _Run:
    """The state of one training run."""

    def __init__(self, cfg: TorchTrainer, job: TrainingJob, device: torch.device, progress: bool, callbacks) -> None:  # type: ignore[no-untyped-def]
        self.cfg, self.job, self.device, self.progress, self.callbacks = cfg, job, device, progress, callbacks
        self.model = job.model.to(device)
        self.steps_per_epoch = len(job.train.epoch_order(cfg.batch_size, job.seed, 0))
        self.total = cfg.epochs * self.steps_per_epoch
        if cfg.max_steps:
            self.total = min(self.total, cfg.max_steps)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(cfg.optimizer, params, cfg.lr, cfg.weight_decay, cfg.momentum)
        self.scheduler = make_schedule(cfg.schedule, self.optimizer, cfg.warmup_steps, self.total,
                                       cfg.plateau_factor, cfg.plateau_patience)
        self.dtype = resolve_precision(cfg.precision, device)
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.dtype == torch.float16)
        self.counters = {"step": 0, "epoch": 0, "batch": 0, "best": None, "best_step": None, "bad_evals": 0,
                         "fingerprint": job.fingerprint, "tokens": 0, "seconds": 0.0, "window": _empty_window()}
        self.log = MetricsLog(job.output / "metrics.jsonl")
        self.last_dev: dict = {}

    # -- resume -----------------------------------------------------------------------

    def restore(self) -> None:
        folder = self.job.output / "checkpoints" / "last"
        if not (folder / checkpoint.COUNTERS).is_file():
            raise UsageError(f"--resume: no checkpoint in {folder}; start without --resume.")
        counters = checkpoint.load_counters(folder)
        if counters.get("fingerprint") != self.job.fingerprint:
            raise UsageError(
                f"--resume: the checkpoint in {folder} was made with another config or corpus "
                f"(fingerprint {counters.get('fingerprint')}, this run {self.job.fingerprint}). "
                "Use the same config and data, or a new output directory without --resume."
            )
        checkpoint.load_weights(folder, self.model)
        state = checkpoint.load_state(folder)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        checkpoint.set_rng_state(state["rng"])
        self.counters = counters
        self.log.truncate_after(counters["step"])

    def _save_last(self) -> None:
        state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "scaler": self.scaler.state_dict(), "rng": checkpoint.rng_state()}
        checkpoint.save(self.job.output / "checkpoints" / "last", self.model, self.counters, state)

    # -- the loop ---------------------------------------------------------------------

    def train(self) -> dict:
        from tqdm import tqdm

        c = self.counters
        bar = tqdm(total=self.total, initial=c["step"], disable=not self.progress, unit="step",
                   desc=f"train on {describe(self.device)}", dynamic_ncols=True)
        with bar:
            while c["epoch"] < self.cfg.epochs and not self._done():
                self._epoch(bar)
            if c.get("evaluated_step") != c["step"]:  # e.g. max_steps ended an epoch early
                self._evaluate(bar)
        if self._stale_checkpoint():
            self._save_last()
        return self._finish()

    def _epoch(self, bar) -> None:  # type: ignore[no-untyped-def]
        c = self.counters
        order = self.job.train.epoch_order(self.cfg.batch_size, self.job.seed, c["epoch"])
        window = c["window"]  # since the last training record; saved with checkpoints
        for position in range(c["batch"], len(order)):
            if self._done():
                return
            started = time.perf_counter()
            loss, tokens = self._step(order[position])
            seconds = time.perf_counter() - started
            c["step"], c["batch"] = c["step"] + 1, position + 1
            c["tokens"], c["seconds"] = c["tokens"] + tokens, c["seconds"] + seconds
            for key, value in (("loss", loss), ("batches", 1), ("tokens", tokens), ("seconds", seconds)):
                window[key] += value
            bar.update(1)
            if c["step"] % self.cfg.log_every == 0 or position + 1 == len(order):
                self._log_train(window, bar)
            for callback in self.callbacks:
                callback(c["step"])
            evaluate = bool(self.cfg.eval_every) and c["step"] % self.cfg.eval_every == 0
            if evaluate:
                self._evaluate(bar)
            if evaluate or (self.cfg.checkpoint_every and c["step"] % self.cfg.checkpoint_every == 0):
                self._save_last()
        if not self.cfg.eval_every:
            self._evaluate(bar, end_of_epoch=True)
        else:
            c["epoch"], c["batch"] = c["epoch"] + 1, 0
        self._save_last()

    def _step(self, indices: list[int]) -> tuple[float, int]:
        batch = self.job.train.batch(indices).to(self.device)
        with torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None):
            loss = self.model.loss(self.model(batch), batch)
        if not torch.isfinite(loss):
            raise NlpkitError(
                f"The training loss became {float(loss.detach())} at step {self.counters['step'] + 1}. "
                "Lower the learning rate (trainer.lr), keep clip_grad_norm on, or use precision=fp32."
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.cfg.clip_grad_norm:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip_grad_norm)
        try:
            self.scaler.step(self.optimizer)
        except RuntimeError as exc:  # e.g. an update that overflows the weights' dtype
            raise NlpkitError(
                f"The optimizer step failed at step {self.counters['step'] + 1}: {exc}. Lower the learning rate."
            ) from None
        self.scaler.update()
        if not isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step()
        return float(loss.detach()), int(batch.mask.sum())

    def _evaluate(self, bar, end_of_epoch: bool = False) -> None:  # type: ignore[no-untyped-def]
        c = self.counters
        dev = self.job.evaluate(self.model)
        value = dev[self.job.metric]
        c["evaluated_step"] = c["step"]
        sign = 1 if self.job.higher_is_better else -1
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(sign * value)
        if c["best"] is None or sign * value > sign * c["best"]:
            c["best"], c["best_step"], c["bad_evals"] = value, c["step"], 0
            checkpoint.save(self.job.output / "checkpoints" / "best", self.model, {**c, "dev": scalars(dev)})
        else:
            c["bad_evals"] += 1
        if end_of_epoch:
            c["epoch"], c["batch"] = c["epoch"] + 1, 0
        self.last_dev = dev
        self.log.write({"step": c["step"], "epoch": c["epoch"], "dev": scalars(dev)})
        bar.set_postfix({f"dev {self.job.metric}": f"{value:.4f}"}, refresh=False)

    def _log_train(self, window: dict, bar) -> None:  # type: ignore[no-untyped-def]
        c = self.counters
        loss = window["loss"] / window["batches"]
        rate = window["tokens"] / window["seconds"] if window["seconds"] > 0 else math.nan
        lr = self.optimizer.param_groups[0]["lr"]
        self.log.write({"step": c["step"], "epoch": c["epoch"], "train_loss": loss, "lr": lr, "tokens_per_s": rate})
        bar.set_postfix({"loss": f"{loss:.4f}"}, refresh=False)
        window.update(_empty_window())

    def _done(self) -> bool:
        c = self.counters
        stopped = self.cfg.patience is not None and c["bad_evals"] >= self.cfg.patience
        return stopped or c["step"] >= self.total

    def _stale_checkpoint(self) -> bool:
        folder = self.job.output / "checkpoints" / "last"
        return not folder.exists() or checkpoint.load_counters(folder).get("step") != self.counters["step"]

    def _finish(self) -> dict:
        c = self.counters
        best = self.job.output / "checkpoints" / "best"
        if (best / checkpoint.MODEL).is_file():
            checkpoint.load_weights(best, self.model)
        plot_learning_curve(self.log.path, self.job.output / "learning-curve.png", self.job.metric)
        stopped_early = self.cfg.patience is not None and c["bad_evals"] >= self.cfg.patience
        return {"best": c["best"], "best_step": c["best_step"], "steps": c["step"], "epochs": c["epoch"],
                "stopped_early": stopped_early, "train_seconds": c["seconds"],
                "tokens_per_second": c["tokens"] / c["seconds"] if c["seconds"] else math.nan,
                "device": describe(self.device)}
