"""``nlpkit train``: from a config to a saved pipeline.

Reads the corpora, fits the encoder and labels on the training data, builds the
model, hands a :class:`~nlpkit.trainer.TrainingJob` to the configured trainer, and
saves the best model as a pipeline in ``OUTPUT/model``; training artefacts
(checkpoints, ``metrics.jsonl``, ``learning-curve.png``) stay in ``OUTPUT``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import platform
import random
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .about import __version__
from .config import component_options
from .corpus import Example, read_corpus
from .count_model import is_count_model
from .errors import UsageError
from .registry import SECTION_KINDS, registry

#: Trainer options that say how long to train, not what is trained: changing them
#: keeps a checkpoint resumable. (``grad_accum_steps`` only says in how many
#: micro-batches a step's batch is computed.)
DURATION_OPTIONS = ("epochs", "max_steps", "patience", "checkpoint_every", "log_every", "eval_every", "eval_batch_size",
                    "grad_accum_steps")


def train(
    config: dict[str, Any], output: str | Path, *, device: str = "auto", seed: int | None = None,
    resume: bool = False, overwrite: bool = False, progress: bool = True,
    callbacks: Sequence[Callable[[int], None]] = (),
):  # type: ignore[no-untyped-def]
    """Train the pipeline ``config`` describes; return it (also saved in ``OUTPUT/model``).

    In a multi-process job (torchrun) only rank 0 evaluates, saves and returns the
    pipeline; the other ranks return None."""
    from .pipeline import Pipeline
    from .tasks import task_class
    from .trainer import TrainingJob

    output = Path(output)
    _prepare_output(output, resume, overwrite)
    seed = int(config.get("seed", 0) if seed is None else seed)
    config = {**config, "seed": seed}
    _seed_everything(seed)
    task_name, task_options = component_options(config, "task")
    task = task_class(task_name)(**task_options)
    task.check_config(config)
    tokenizer, encoder, decoder = (_build(config, s) for s in ("tokenizer", "encoder", "decoder"))
    train_ex, dev_ex, test_ex = load_examples(config.get("corpus", {}), seed)
    train_data, dev_data, labels = task.datasets(train_ex, dev_ex, tokenizer, encoder)
    if dev_data is None:
        raise UsageError(f"The '{task.name}' task needs dev data to pick the best model: give [corpus] dev = FILE, "
                         "or split = [0.9, 0.1] to hold out a seeded tenth of the training file.")
    model = _build_model(config, task, encoder, labels, seed)
    if is_count_model(model):
        result = _fit_counts(model, train_data, output)
    else:  # a neural model: the trainer (and torch) are needed only now
        from .device import resolve_device

        trainer = _build(config, "trainer")
        _check_decoder(model, decoder, train_data)
        job = TrainingJob(
            model, train_data, lambda m: task.evaluate(m, decoder, dev_data, labels, getattr(trainer, "eval_batch_size", 64)),
            task.metric, task.higher_is_better, output, seed, _fingerprint(config, encoder, labels),
        )
        result = trainer.fit(job, resolve_device(device), resume=resume, progress=progress, callbacks=callbacks)
    from .trainer import is_main_process

    if not is_main_process():
        return None
    metrics = {"dev": task.evaluate(model, decoder, dev_data, labels)}
    if test_ex is not None:
        metrics["test"] = task.evaluate(model, decoder, task.dataset(test_ex, tokenizer, encoder, labels), labels)
    meta = _meta(config, metrics, result)
    pipeline = Pipeline(task, tokenizer, encoder, model, decoder, labels, meta)
    pipeline.to_disk(output / "model")
    return pipeline


def _check_decoder(model: Any, decoder: Any, data: Any) -> None:
    """Decode two training examples before training, so that a decoder that cannot read
    this model's output (viterbi on a softmax tagger) fails now, not after an epoch."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            decoder.decode(model(data.batch(list(range(min(2, len(data)))))), torch.Generator().manual_seed(0))
    finally:
        model.train(was_training)


def load_examples(corpus: dict[str, Any], seed: int) -> tuple[list[Example], list[Example] | None, list[Example] | None]:
    """Train, dev and test examples: from their files, or a seeded split of ``train``."""
    if "train" not in corpus or "format" not in corpus:
        raise UsageError("The config's [corpus] needs 'train' (a path or corpus:NAME/FILE) and 'format'.")
    fmt = corpus["format"]
    train = read_corpus(corpus["train"], fmt)
    dev = read_corpus(corpus["dev"], fmt) if corpus.get("dev") else None
    test = read_corpus(corpus["test"], fmt) if corpus.get("test") else None
    if corpus.get("split"):
        if dev is not None:
            raise UsageError("[corpus] gives both 'dev' and 'split': use one.")
        from .splits import split_examples

        parts = split_examples(train, corpus["split"], int(corpus.get("split_seed", seed)), bool(corpus.get("stratify", False)))
        train, dev = parts[0], parts[1]
        test = parts[2] if len(parts) > 2 else test
    return train, dev, test


def _prepare_output(output: Path, resume: bool, overwrite: bool) -> None:
    used = (output / "checkpoints").exists() or (output / "model").exists()
    if used and not (resume or overwrite):
        raise UsageError(
            f"{output} already holds a training run. Continue it with --resume, replace it with --overwrite, "
            "or choose another --output."
        )
    if overwrite and not resume:
        for name in ("checkpoints", "model", "metrics.jsonl", "learning-curve.png"):
            target = output / name
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    output.mkdir(parents=True, exist_ok=True)


def _build(config: dict[str, Any], section: str) -> Any:
    defaults = {"tokenizer": "char", "encoder": "vocab", "decoder": "argmax", "trainer": "torch"}
    kind = SECTION_KINDS[section]
    name, options = component_options(config, section) if section in config else (defaults[section], {})
    if section == "tokenizer":
        from .api import get_tokenizer

        return get_tokenizer(name, **options)  # a registered tokenizer, or a segment pipeline
    return registry(kind).get(name)(**options)


def _build_model(config: dict[str, Any], task: Any, encoder: Any, labels: Any, seed: int) -> Any:
    if "model" not in config:
        raise UsageError(f"The config needs a [model] section: one of {', '.join(registry('models').names())}.")
    name, options = component_options(config, "model")
    cls = registry("models").get(name)
    if task.head not in cls.heads:
        raise UsageError(f"Model '{name}' cannot do task '{task.name}' (it supports heads: {', '.join(cls.heads)}).")
    _seed_everything(seed)  # the same initial weights whatever data preparation drew
    model = cls.build(encoder, task.head, task.num_outputs(encoder, labels), **options)
    if labels is not None:
        model.bind_labels(list(labels.items))  # before training: labels that misfit a scheme fail now
    return model


def _fit_counts(model: Any, data: Any, output: Path) -> dict:
    """Fit a :class:`~nlpkit.count_model.CountModel` in one pass (no trainer, no
    checkpoints) and log it as one line of ``metrics.jsonl``; the trainer's summary keys."""
    import time

    from .io import atomic_write

    if getattr(data, "tokens", None) is None or data.targets is None:
        raise UsageError(f"Model '{model.name}' is fitted from tagged sentences: use task tag, ner or segment.")
    started = time.perf_counter()
    model.fit(data.tokens, data.targets)
    seconds = time.perf_counter() - started
    tokens = sum(len(t) for t in data.tokens)
    result = {"best": None, "best_step": 1, "steps": 1, "epochs": 1, "seconds": seconds,
              "tokens_per_second": tokens / seconds if seconds else float("nan"), "device": "cpu (numpy)",
              "fitted_from_counts": True}
    with atomic_write(output / "metrics.jsonl") as out:
        out.write(json.dumps({"step": 1, "epoch": 1, "fit_seconds": seconds, "tokens": tokens}) + "\n")
    return result


def _seed_everything(seed: int) -> None:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:  # count models (HMM) never import torch
        sys.modules["torch"].manual_seed(seed)


def _fingerprint(config: dict[str, Any], encoder: Any, labels: Any) -> str:
    """What must not change for a checkpoint to resume: everything but the training length."""
    trainer = {k: v for k, v in config.get("trainer", {}).items() if k not in DURATION_OPTIONS}
    stable = {**config, "trainer": trainer, "vocab": encoder.fitted.items, "labels": labels.items if labels else None}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _meta(config: dict[str, Any], metrics: dict, result: dict) -> dict:
    import numpy

    return {
        "metrics": metrics,
        "training": result,
        "seed": config["seed"],
        "config": config,
        "corpus": {k: _checksum(Path(config["corpus"][k])) for k in ("train", "dev", "test") if config["corpus"].get(k)},
        "versions": {"nlpkit": __version__, "python": platform.python_version(), "torch": _version("torch"),
                     "numpy": numpy.__version__},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def _version(distribution: str) -> str | None:
    """An installed distribution's version, read without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _checksum(path: Path) -> dict:
    """sha256 of a corpus file, or of a folder's files in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return {"path": str(path), "sha256": digest.hexdigest()}
