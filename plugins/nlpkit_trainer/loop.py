"""The ``torch`` trainer's loop: one device, AMP, clipping, schedules, early stopping,
and checkpoints that resume to exactly the weights an uninterrupted run reaches;
several processes under ``torchrun`` through :mod:`nlpkit_trainer.distributed`."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from typing import Literal

import torch

from nlpkit.device import describe
from nlpkit.errors import NlpkitError, OptionError, UsageError
from nlpkit.options import check_types
from nlpkit.trainer import Trainer, TrainingJob, world_size

from . import checkpoint, distributed
from .log import MetricsLog, plot_learning_curve, scalars
from .optim import make_optimizer, make_schedule, resolve_precision


class TorchTrainer(Trainer):
    """Mini-batch training on one device (``--device``; cuda, mps or cpu), or on
    several processes started by ``torchrun`` (DistributedDataParallel).

    Evaluates on the dev set every ``eval_every`` steps (default: each epoch),
    keeps the best model by the task's metric, stops after ``patience``
    evaluations without improvement, and writes ``checkpoints/last`` every
    ``checkpoint_every`` steps and at each evaluation. ``batch_size`` is the global
    batch of one optimizer step: ``grad_accum_steps`` splits it into micro-batches
    (less memory, the same gradient), and N processes each take 1/N of it.

    ``ema`` (0: off) keeps an exponential moving average of the weights, updated after
    every optimizer step (``average = ema * average + (1 - ema) * weights``, with
    :class:`torch.optim.swa_utils.AveragedModel`); dev evaluation, the best model and
    the saved pipeline then use the average, which smooths the step-to-step noise of
    the last epochs. ``0.998`` averages over roughly the last 500 steps.

    ``label_smoothing`` (0: off) trains softmax heads on targets that give that much of
    their mass to the other labels (Szegedy et al. 2016), as torch's ``cross_entropy`` does;
    the dev loss stays the plain cross-entropy. A CRF's path NLL has no such targets: it is
    refused there.
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
        grad_accum_steps: int = 1,
        ema: float = 0.0,
        label_smoothing: float = 0.0,
    ) -> None:
        self.epochs, self.max_steps, self.batch_size = epochs, max_steps, batch_size
        self.optimizer, self.lr, self.weight_decay, self.momentum = optimizer, lr, weight_decay, momentum
        self.schedule, self.warmup_steps = schedule, warmup_steps
        self.plateau_factor, self.plateau_patience = plateau_factor, plateau_patience
        self.clip_grad_norm, self.precision = clip_grad_norm, precision
        self.eval_every, self.patience, self.checkpoint_every = eval_every, patience, checkpoint_every
        self.log_every, self.eval_batch_size = log_every, eval_batch_size
        self.grad_accum_steps, self.ema, self.label_smoothing = grad_accum_steps, ema, label_smoothing
        _validate(self)

    def fit(
        self, job: TrainingJob, device: torch.device, resume: bool = False, progress: bool = True,
        callbacks: Sequence[Callable[[int], None]] = (),
    ) -> dict:
        group = None
        if distributed.launched():
            self.check_world_size(world_size())
            group, device = distributed.start(device)
        try:
            if group is not None:
                distributed.check_same_job(group, self._job_description(job, resume))
            run = _Run(self, job, device, progress and (group is None or group.main), callbacks, group)
            if resume:
                run.restore()
            elif run.main:
                run.log.truncate_after(-1)  # a fresh run never appends to an old log
            return run.train()
        except RuntimeError as exc:
            if group is not None and distributed.lost_peers(exc):
                raise distributed.rank_error(group, exc) from exc
            raise
        finally:
            distributed.stop(group)

    def check_world_size(self, world: int) -> None:
        """Refuse ``world`` processes when the global batch cannot split evenly over them."""
        distributed.check_world_size(self.batch_size, self.grad_accum_steps, world)

    def _job_description(self, job: TrainingJob, resume: bool) -> dict:
        """What every rank of a multi-process job must agree on."""
        return {"config and corpus fingerprint": job.fingerprint, "trainer": self.config(), "examples": len(job.train),
                "seed": job.seed, "resume": resume, "torch": torch.__version__}


def _averaged(model: torch.nn.Module, decay: float):  # type: ignore[no-untyped-def]
    """The exponential moving average of ``model``'s weights (and buffers), or None when off."""
    if not decay:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def _empty_window() -> dict:
    return {"loss": 0.0, "batches": 0, "tokens": 0, "seconds": 0.0}


def _validate(cfg: TorchTrainer) -> None:
    """Every option checked at construction, before any data is read."""
    what = "Trainer 'torch'"
    check_types(TorchTrainer, cfg.config(), what)
    at_least_one = ("epochs", "batch_size", "log_every", "eval_batch_size", "max_steps", "eval_every",
                    "checkpoint_every", "patience", "grad_accum_steps")
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
    if not 0 <= cfg.ema < 1:
        raise OptionError(f"{what} option 'ema' must be at least 0 (off) and below 1, not {cfg.ema}: "
                          "the weight of the old average at each step, e.g. 0.998.")
    if not 0 <= cfg.label_smoothing < 1:
        raise OptionError(f"{what} option 'label_smoothing' must be at least 0 (off) and below 1, not "
                          f"{cfg.label_smoothing}: the share of each target spread over the other labels, e.g. 0.1.")
    if cfg.schedule == "plateau" and cfg.warmup_steps:
        raise OptionError(f"{what}: warmup_steps cannot be combined with schedule=plateau.")
    if cfg.batch_size % cfg.grad_accum_steps:
        raise OptionError(f"{what} option 'grad_accum_steps' ({cfg.grad_accum_steps}) must divide batch_size "
                          f"({cfg.batch_size}): each step's batch is split into that many micro-batches.")


def _loss_options(model: torch.nn.Module, label_smoothing: float) -> dict:
    """The training loss's extra arguments: ``label_smoothing`` when on, checked against
    what the model's ``loss`` takes (a third-party model may not take it)."""
    import inspect

    if not label_smoothing:
        return {}
    if "label_smoothing" not in inspect.signature(model.loss).parameters:
        raise OptionError(f"Trainer 'torch' option 'label_smoothing': model '{model.name}' does not take it "
                          "(its loss() has no label_smoothing argument); leave it at 0.")
    return {"label_smoothing": label_smoothing}


class _Run:
    """The state of one training run (on this process, when there are several)."""

    def __init__(self, cfg: TorchTrainer, job: TrainingJob, device: torch.device, progress: bool, callbacks,  # type: ignore[no-untyped-def]
                 group: distributed.Group | None = None) -> None:
        self.cfg, self.job, self.device, self.progress, self.callbacks = cfg, job, device, progress, callbacks
        self.group, self.main = group, group is None or group.main
        self.model = job.model.to(device)
        self.forward_model: torch.nn.Module = self.model  # the DDP wrapper when there are several processes
        self.loss_options = _loss_options(self.model, cfg.label_smoothing)
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
        self.ema = _averaged(self.model, cfg.ema)
        self.evaluated: torch.nn.Module = self.model if self.ema is None else self.ema.module  # dev, best, saved
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
        if self.ema is not None:
            if "ema" not in state:
                raise UsageError(f"--resume: the checkpoint in {folder} holds no weight average (ema); "
                                 "resume with the trainer options it was made with.")
            self.ema.load_state_dict(state["ema"])
        checkpoint.set_rng_state(state["rng"])
        self.counters = counters
        if self.main:
            self.log.truncate_after(counters["step"])

    def _save_last(self) -> None:
        if not self.main:
            return
        state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "scaler": self.scaler.state_dict(), "rng": checkpoint.rng_state()}
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        checkpoint.save(self.job.output / "checkpoints" / "last", self.model, self.counters, state)

    # -- the loop ---------------------------------------------------------------------

    def train(self) -> dict:
        from tqdm import tqdm

        c = self.counters
        if self.group is not None:
            self.forward_model = distributed.wrap(self.model, self.device, self._probe_batch())
        bar = tqdm(total=self.total, initial=c["step"], disable=not self.progress, unit="step",
                   desc=f"train on {self._where()}", dynamic_ncols=True)
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

    def _probe_batch(self):  # type: ignore[no-untyped-def]
        return self.job.train.batch(self.job.train.epoch_order(self.cfg.batch_size, self.job.seed, 0)[0][:2]).to(self.device)

    def _where(self) -> str:
        return distributed.describe_group(self.group, describe(self.device))

    def _step(self, indices: list[int]) -> tuple[float, int]:
        if self.group is not None or self.cfg.grad_accum_steps > 1:
            return self._split_step(indices)
        batch = self.job.train.batch(indices).to(self.device)
        with torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None):
            loss = self.model.loss(self.model(batch), batch, **self.loss_options)
        if not torch.isfinite(loss):
            raise NlpkitError(
                f"The training loss became {float(loss.detach())} at step {self.counters['step'] + 1}. "
                "Lower the learning rate (trainer.lr), keep clip_grad_norm on, or use precision=fp32."
            )
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self._update()
        return float(loss.detach()), int(batch.mask.sum())

    def _split_step(self, indices: list[int]) -> tuple[float, int]:
        """One optimizer step on a global batch split over ranks and accumulation
        micro-steps. Each part's mean loss is weighted by its share of the global
        batch's loss units (times the world size, which DDP's averaging divides out),
        so the summed gradient is the gradient of the whole batch's mean loss."""
        world, accum = (self.group.world if self.group else 1), self.cfg.grad_accum_steps
        parts = distributed.shard(indices, world, self.group.rank if self.group else 0, accum)
        batches = [self.job.train.batch(part or indices[:1]).to(self.device) for part in parts]  # an empty part
        units = [distributed.loss_units(self.model, b) if part else 0 for part, b in zip(parts, batches)]  # weighs 0
        total = self._sum([float(sum(units))])[0]
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum, tokens = 0.0, 0
        for k, (batch, n) in enumerate(zip(batches, units)):
            with self._no_sync(k < accum - 1):
                with torch.autocast(self.device.type, dtype=self.dtype or torch.float32, enabled=self.dtype is not None):
                    loss = self.model.loss(self.forward_model(batch), batch, **self.loss_options)
                self.scaler.scale(loss * (n * world / max(total, 1.0))).backward()
            loss_sum, tokens = loss_sum + float(loss.detach()) * n, tokens + (int(batch.mask.sum()) if n else 0)
        loss_sum, tokens = self._sum([loss_sum, float(tokens)])
        mean = loss_sum / max(total, 1.0)
        if not math.isfinite(mean):
            raise NlpkitError(
                f"The training loss became {mean} at step {self.counters['step'] + 1}. "
                "Lower the learning rate (trainer.lr), keep clip_grad_norm on, or use precision=fp32."
            )
        self._update()
        return mean, int(tokens)

    def _no_sync(self, skip: bool):  # type: ignore[no-untyped-def]
        """DDP's ``no_sync`` on accumulation micro-steps before the last: gradients add up
        locally and are all-reduced once per optimizer step."""
        if skip and self.group is not None:
            return self.forward_model.no_sync()  # type: ignore[operator]
        return contextlib.nullcontext()

    def _sum(self, values: list[float]) -> list[float]:
        return distributed.sum_all(values, self.device) if self.group is not None else values

    def _update(self) -> None:
        """Clip, step the optimizer (through the scaler) and the per-step schedule."""
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
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        if not isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step()

    def _evaluate(self, bar, end_of_epoch: bool = False) -> None:  # type: ignore[no-untyped-def]
        c = self.counters
        dev = self._dev_metrics()
        value = dev[self.job.metric]
        c["evaluated_step"] = c["step"]
        sign = 1 if self.job.higher_is_better else -1
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(sign * value)
        if c["best"] is None or sign * value > sign * c["best"]:
            c["best"], c["best_step"], c["bad_evals"] = value, c["step"], 0
            if self.main:
                checkpoint.save(self.job.output / "checkpoints" / "best", self.evaluated, {**c, "dev": scalars(dev)})
        else:
            c["bad_evals"] += 1
        if end_of_epoch:
            c["epoch"], c["batch"] = c["epoch"] + 1, 0
        self.last_dev = dev
        if self.main:
            self.log.write({"step": c["step"], "epoch": c["epoch"], "dev": scalars(dev)})
        bar.set_postfix({f"dev {self.job.metric}": f"{value:.4f}"}, refresh=False)

    def _dev_metrics(self) -> dict:
        """Dev metrics, computed on rank 0; the other ranks receive its scalars, so that
        every rank takes the same best-model, patience and plateau decisions."""
        if self.group is None:
            return self.job.evaluate(self.evaluated)
        dev = self.job.evaluate(self.evaluated) if self.main else None
        shared = distributed.broadcast(scalars(dev) if self.main else None, self.group)
        return dev if self.main else shared

    def _log_train(self, window: dict, bar) -> None:  # type: ignore[no-untyped-def]
        c = self.counters
        loss = window["loss"] / window["batches"]
        rate = window["tokens"] / window["seconds"] if window["seconds"] > 0 else math.nan
        lr = self.optimizer.param_groups[0]["lr"]
        if self.main:
            self.log.write({"step": c["step"], "epoch": c["epoch"], "train_loss": loss, "lr": lr, "tokens_per_s": rate})
        bar.set_postfix({"loss": f"{loss:.4f}"}, refresh=False)
        window.update(_empty_window())

    def _done(self) -> bool:
        c = self.counters
        stopped = self.cfg.patience is not None and c["bad_evals"] >= self.cfg.patience
        return stopped or c["step"] >= self.total

    def _stale_checkpoint(self) -> bool:
        if not self.main:
            return False
        folder = self.job.output / "checkpoints" / "last"
        return not folder.exists() or checkpoint.load_counters(folder).get("step") != self.counters["step"]

    def _finish(self) -> dict:
        c = self.counters
        best = self.job.output / "checkpoints" / "best"
        if self.main and (best / checkpoint.MODEL).is_file():  # other ranks may not see rank 0's disk
            checkpoint.load_weights(best, self.model)
        if self.main:
            plot_learning_curve(self.log.path, self.job.output / "learning-curve.png", self.job.metric)
        stopped_early = self.cfg.patience is not None and c["bad_evals"] >= self.cfg.patience
        return {"best": c["best"], "best_step": c["best_step"], "steps": c["step"], "epochs": c["epoch"],
                "stopped_early": stopped_early, "train_seconds": c["seconds"],
                "tokens_per_second": c["tokens"] / c["seconds"] if c["seconds"] else math.nan,
                "device": self._where()}
