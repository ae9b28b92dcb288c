#!/usr/bin/env python
"""The checks of ``benchmarks/gpu_check.sh``: every claim the project makes about CUDA.

The shell script runs one check group per process (``python benchmarks/gpu_check.py
CHECK --device cuda --results FILE --work DIR``), each under its own timeout, so that a
crash, a hang or a broken CUDA context in one group leaves the others running. Each
group appends one JSON line per row to FILE as soon as the row is known (``check``,
``claim``: the file and line that make the claim, ``result``: PASS, FAIL, SKIP or
REPORT for a figure with no pass mark, ``figure``, ``seconds``), and prints it as a
``ROW`` line. ``report FILE`` renders the rows as one markdown table.

``--device cpu`` runs every group on the CPU with tiny sizes (a smoke test of this
script on a machine without a GPU): AMP rows are skipped (the trainer refuses
bf16/fp16 off CUDA), the process-group check uses gloo instead of NCCL, the GPU
Viterbi path (``_viterbi_backpointers``) is compared with the CPU one on CPU tensors,
and the torchrun launch and the checks that read whole corpora skip unless
``GPU_CHECK_FULL=1`` (the script's ``--full``).

Nothing but the standard library is imported at the top: ``shim`` and ``report`` run in
an environment without torch or nlpkit, and a check that skips costs no torch import.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

#: Sizes per mode: ``cuda`` is sized to finish the whole script within its budget on one
#: H100-class GPU; ``cpu`` is the smoke test.
SIZES: dict[str, dict[str, Any]] = {
    "cuda": {
        "train_steps": 20, "embed": 64, "hidden": 128, "train_sentences": 64, "dev_sentences": 64,
        "crf_settings": ((32, 40, 9), (64, 100, 20)), "crf_calls": 20, "crf_rounds": 3,
        "viterbi_shapes": ((32, 40, 9), (64, 100, 20), (16, 1, 5), (48, 60, 7)), "nbest": 4, "half_steps": 500,
        "w2v_words": 1_000_000, "w2v_epochs": 1, "w2v_repeat": 2, "ddp_steps": 8,
        "upos": ["--set", "model.hidden_size=128", "--set", "trainer.max_steps=50", "--set", "trainer.log_every=10"],
        "shakespeare": ["--set", "trainer.max_steps=40", "--set", "trainer.log_every=10"],
        "throughput": ["--steps", "20", "--repeat", "2"],
    },
    "cpu": {
        "train_steps": 8, "embed": 16, "hidden": 32, "train_sentences": 32, "dev_sentences": 16,
        "crf_settings": ((8, 12, 5),), "crf_calls": 3, "crf_rounds": 1,
        "viterbi_shapes": ((8, 12, 5), (4, 1, 3), (6, 20, 7)), "nbest": 3, "half_steps": 60,
        "w2v_words": 40_000, "w2v_epochs": 1, "w2v_repeat": 1, "ddp_steps": 3,
        "upos": ["--set", "model.hidden_size=16", "--set", "model.num_layers=1", "--set", "encoder.dim=16",
                 "--set", "corpus.train=corpus:ud_english_ewt/en_ewt-ud-dev.conllu",  # the smaller file, for speed
                 "--set", "trainer.max_steps=2", "--set", "trainer.log_every=1"],
        "shakespeare": ["--set", "model.hidden_size=16", "--set", "model.num_layers=1", "--set", "task.block_size=32",
                        "--set", "trainer.max_steps=2", "--set", "trainer.log_every=1"],
        "throughput": ["--steps", "2", "--repeat", "1", "--hidden", "16", "--models", "rnn"],
    },
}

#: Where each claim is made: a file and a phrase on the line that makes it; the line
#: number is looked up when a row is recorded, so the table stays right as files change.
#: ``CRF`` stands for the module of the CRF maths (nlpkit/crf.py).
CLAIMS: dict[str, tuple[str, str]] = {
    "device": ("docs/training.md", "The device is `--device auto` (CUDA, then MPS, then CPU)"),
    "precision": ("docs/training.md", "auto: bf16 on CUDA GPUs that have it"),
    "train": ("README.md", "--device cuda"),
    "crf": ("docs/benchmarks.md", "a quieter run (or the GPU) is needed"),
    "crf-half": ("CRF", "Half-precision inputs"),
    "viterbi": ("docs/benchmarks.md", "GPUs keep backpointers"),
    "ties": ("CRF", "ties go to the lowest tag"),
    "nbest": ("CRF", "def viterbi_nbest"),
    "sync": ("CRF", "no host sync"),
    "nproc": ("nlpkit/cli/train.py", "one per GPU with --device cuda"),
    "predict": ("nlpkit/cli/predict.py", '"--device"'),
    "nproc-refused": ("nlpkit/cli/train.py", "runs one process per GPU"),
    "nccl": ("docs/distributed.md", "`nccl` on CUDA GPUs"),
    "torchrun": ("docs/distributed.md", "$ torchrun --standalone --nproc_per_node 4"),
    "w2v": ("docs/benchmarks.md", "the CUDA target (>= 2x gensim on CPU)"),
    "tests": ("docs/distributed.md", "nccl on CUDA goes through the same code"),
    "upos": ("README.md", "configs/ud-upos-bilstm.toml -o runs/pos"),
    "shakespeare": ("configs/shakespeare-gru.toml", "about 15 minutes"),
    "throughput": ("docs/benchmarks.md", "The CUDA and AMP (bf16 / fp16 + scaler)"),
}

RESULTS: Path | None = None


class Skip(Exception):
    """The row cannot run here (a package or the corpora are missing): SKIP with the reason."""


class Failed(Exception):
    """The claim did not hold: FAIL with the reason."""


# --------------------------------------------------------------------------- rows


def claim_at(key: str) -> str:
    """``file:line`` of a claim (the first line holding its phrase), or the file alone."""
    where, phrase = CLAIMS[key]
    if where == "CRF":
        where = "nlpkit/crf.py"
    try:
        lines = (ROOT / where).read_text(encoding="utf-8").splitlines()
    except OSError:
        return where
    return next((f"{where}:{n}" for n, line in enumerate(lines, 1) if phrase in line), where)


def crf_maths(*names: str) -> Any:
    """Functions of nlpkit's CRF module, :mod:`nlpkit.crf`."""
    import nlpkit.crf

    found = [getattr(nlpkit.crf, name) for name in names]
    return found[0] if len(found) == 1 else found


def record(check: str, claim: str, result: str, figure: str, seconds: float) -> None:
    claim = claim_at(claim) if claim in CLAIMS else claim
    row = {"check": check, "claim": claim, "result": result, "figure": figure, "seconds": round(seconds, 2)}
    if RESULTS is not None:
        with open(RESULTS, "a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"ROW {result:6} {check}: {figure} ({seconds:.1f} s)", flush=True)


def row(check: str, claim: str, fn: Callable[[], tuple[str, str]]) -> str:
    """Run one row: ``fn`` returns (result, figure); Skip, Failed or any error is recorded, never raised."""
    started = time.perf_counter()
    try:
        result, figure = fn()
    except Skip as exc:
        result, figure = "SKIP", str(exc)
    except Failed as exc:
        result, figure = "FAIL", str(exc)
    except Exception as exc:  # noqa: BLE001 - one failing row must not stop the others
        import traceback

        traceback.print_exc()
        result, figure = "FAIL", _one_line(f"{type(exc).__name__}: {exc}")
    record(check, claim, result, figure, time.perf_counter() - started)
    return result


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def passed(ok: bool, figure: str, why: str = "") -> tuple[str, str]:
    if not ok:
        raise Failed(f"{why}; {figure}" if why else figure)
    return "PASS", figure


# --------------------------------------------------------------------------- helpers


def device(mode: str):  # type: ignore[no-untyped-def]
    import torch

    if mode == "cuda" and not torch.cuda.is_available():
        raise Failed(f"torch {torch.__version__} sees no CUDA GPU (built for CUDA {torch.version.cuda})")
    return torch.device(mode)


def sync(dev) -> None:  # type: ignore[no-untyped-def]
    import torch

    if dev.type == "cuda":
        torch.cuda.synchronize()


def corpora_root() -> Path | None:
    """``$NLPKIT_CORPORA``, else ``../shared/corpora`` beside the repository; None when absent."""
    env = os.environ.get("NLPKIT_CORPORA")
    path = Path(env) if env else ROOT.parent / "shared" / "corpora"
    return path if path.is_dir() else None


def full_only(mode: str) -> None:
    """The checks that cost whole corpora or extra launches run on the CPU only with ``--full``."""
    if mode == "cpu" and os.environ.get("GPU_CHECK_FULL") != "1":
        raise Skip("cpu smoke: run with --full for this check")


def need_corpus(*relative: str) -> list[Path]:
    root = corpora_root()
    if root is None:
        raise Skip("corpora not found (set NLPKIT_CORPORA to the folder holding them)")
    paths = [root / r for r in relative]
    missing = [str(r) for r, p in zip(relative, paths) if not p.is_file()]
    if missing:
        raise Skip(f"corpus file(s) not found under {root.name}/: {', '.join(missing)}")
    return paths


def need_module(name: str, package: str, hint: str = "it comes with the test extra: pip install -e '.[test]'") -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Skip(f"{package} is not installed ({exc}); {hint}") from None


def nlpkit_cli(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m nlpkit ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "nlpkit", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False, cwd=ROOT)


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return _one_line(lines[-1]) if lines else "(no output)"


def timed_calls(contenders: dict[str, Callable[[], None]], calls: int, rounds: int, dev) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Milliseconds per call of each contender: one warm-up call, then ``rounds`` runs of
    ``calls`` calls, interleaved with the order rotating (as benchmarks/_bench.py does)."""
    names = list(contenders)
    for name in names:
        contenders[name]()
    sync(dev)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            started = time.perf_counter()
            for _ in range(calls):
                contenders[name]()
            sync(dev)
            times[name].append(1000 * (time.perf_counter() - started) / calls)
    return times


def _rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f} {prefix}{unit}/s"
    return f"{value:.0f} {unit}/s"


# --------------------------------------------------------------------------- a tiny NER task

PEOPLE = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Hughes"]
CITIES = [["Paris"], ["London"], ["Berlin"], ["Madrid"], ["Rome"], ["New", "York"], ["San", "Francisco"]]
TEMPLATES = ["Mr {P} visited {C} .", "{C} welcomed Mrs {P} on Monday .", "Mrs {P} lives in {C} now .",
             "the weather in {C} was fine .", "Mr {P} met Mrs {P} in {C} .", "we flew to {C} with Mr {P} ."]


def _generated(n: int, seed: int) -> list[list[str]]:
    """``n`` sentences as CoNLL lines: a name after Mr / Mrs is B-PER, a city is LOC (IOB2)."""
    import random

    rng = random.Random(seed)
    sentences = []
    for _ in range(n):
        lines = []
        for word in rng.choice(TEMPLATES).split():
            if word == "{P}":
                lines.append(f"{rng.choice(PEOPLE)}\tB-PER")
            elif word == "{C}":
                lines += [f"{w}\t{'B' if i == 0 else 'I'}-LOC" for i, w in enumerate(rng.choice(CITIES))]
            else:
                lines.append(f"{word}\tO")
        sentences.append(lines)
    return sentences


def _conll_sentences(path: Path, n: int) -> list[list[str]]:
    sentences, current = [], []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line.strip():
                if current:
                    sentences.append(current)
                    current = []
                    if len(sentences) >= n:
                        break
            elif not line.startswith("-DOCSTART-"):
                current.append(line)
    return sentences


def ner_data(work: Path, sz: dict) -> tuple[Path, Path, str]:
    """Train and dev files of a tiny NER task: the first sentences of CoNLL-2003 train when
    the corpora are here, else sentences written from templates (PER, LOC; IOB2)."""
    n_train, n_dev = sz["train_sentences"], sz["dev_sentences"]
    root = corpora_root()
    conll = root / "conll2003" / "train.txt" if root else None
    if conll is not None and conll.is_file():
        sentences = _conll_sentences(conll, n_train + n_dev)
        train, dev = sentences[:n_train], sentences[n_train:]
        source = f"CoNLL-2003 train sentences 1-{n_train} (dev: the next {len(dev)})"
    else:
        train, dev = _generated(n_train, 1), _generated(n_dev, 2)
        source = f"{n_train} template sentences (PER, LOC; corpora absent)"
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, part in (("train.conll", train), ("dev.conll", dev)):
        path = work / name
        path.write_text("".join("\n".join(s) + "\n\n" for s in part), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1], source


def ner_config(train: Path, dev: Path, model: str, precision: str, sz: dict, steps: int) -> dict:
    """One batch holds the whole training set, so every step sees the same batch and the
    loss must fall; one evaluation, at the end."""
    options: dict[str, Any] = {"name": model, "hidden_size": sz["hidden"], "dropout": 0.0}
    if model == "bilstm-crf":
        options["scheme"] = "IOB2"
    else:
        options["bidirectional"] = True
    return {
        "seed": 1,
        "task": {"name": "ner", "scheme": "IOB2"},
        "corpus": {"train": str(train), "dev": str(dev), "format": "conll"},
        "tokenizer": {"name": "whitespace"},
        "encoder": {"name": "vocab", "dim": sz["embed"]},
        "model": options,
        "decoder": {"name": "viterbi" if model == "bilstm-crf" else "argmax"},
        "trainer": {"name": "torch", "epochs": steps, "max_steps": steps, "batch_size": sz["train_sentences"],
                    "lr": 0.01, "precision": precision, "log_every": 1, "eval_every": steps},
    }


def toml_text(config: dict) -> str:
    """A config dict (top-level scalars, then flat sections) as TOML."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v)

    top = [f"{k} = {value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    sections = [f"\n[{k}]\n" + "\n".join(f"{kk} = {value(vv)}" for kk, vv in v.items())
                for k, v in config.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n" + "\n".join(sections) + "\n"


def train_losses(run: Path) -> list[float]:
    lines = (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [r["train_loss"] for r in map(json.loads, filter(str.strip, lines)) if "train_loss" in r]


@contextlib.contextmanager
def watch_linear_dtypes() -> Iterator[set[str]]:
    """The dtypes of every ``nn.Linear`` output in training forward passes, seen by hooks the
    trainer's ``fit`` puts on the job's model (under autocast they are the AMP dtype)."""
    import torch
    from torch import nn

    from nlpkit_trainer import loop

    seen: set[str] = set()
    original = loop.TorchTrainer.fit

    def hook(module, inputs, output) -> None:  # type: ignore[no-untyped-def]
        if module.training and torch.is_grad_enabled() and isinstance(output, torch.Tensor):
            seen.add(str(output.dtype).replace("torch.", ""))

    def fit(self, job, *args, **kwargs):  # type: ignore[no-untyped-def]
        hooks = [m.register_forward_hook(hook) for m in job.model.modules() if isinstance(m, nn.Linear)]
        try:
            return original(self, job, *args, **kwargs)
        finally:
            for handle in hooks:
                handle.remove()

    loop.TorchTrainer.fit = fit  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        loop.TorchTrainer.fit = original  # type: ignore[method-assign]


# --------------------------------------------------------------------------- checks


def _nccl_version() -> str | None:
    try:
        import torch.cuda.nccl as nccl

        found = nccl.version()
    except Exception:  # noqa: BLE001 - a version string for the header only
        return None
    return ".".join(map(str, found)) if isinstance(found, tuple) else str(found)


def check_env(mode: str, sz: dict, work: Path) -> None:
    import platform
    from importlib import metadata

    import torch

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    cuda = torch.cuda.is_available()
    meta: dict[str, Any] = {
        "torch": torch.__version__, "cuda": torch.version.cuda, "cuda_available": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None, "gpus": torch.cuda.device_count() if cuda else 0,
        "capability": ".".join(map(str, torch.cuda.get_device_capability(0))) if cuda else None,
        "memory_gib": round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None,
        "bf16": bool(cuda and torch.cuda.is_bf16_supported()),
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "nccl": _nccl_version() if cuda else None,
        "python": platform.python_version(), "cores": os.cpu_count(),
        "nlpkit": version("nlpkit"), "pytorch-crf": version("pytorch-crf"), "gensim": version("gensim"),
        "numpy": version("numpy"),
    }
    if RESULTS is not None:
        with open(RESULTS, "a", encoding="utf-8") as out:
            out.write(json.dumps({"meta": meta}) + "\n")
    print(f"META {json.dumps(meta)}", flush=True)

    def found() -> tuple[str, str]:
        dev = device(mode)
        from nlpkit.device import describe, resolve_device

        picked = resolve_device("auto")
        expected = "cuda" if cuda else "cpu"
        what = f"--device auto -> {describe(picked)}"
        if mode == "cuda":
            what += f"; {meta['gpus']} GPU(s), compute capability {meta['capability']}, {meta['memory_gib']} GiB"
        return passed(picked.type == expected and dev.type == mode, what, f"expected {expected}")

    def precision() -> tuple[str, str]:
        from nlpkit_trainer.optim import resolve_precision

        dev = device(mode)
        auto = resolve_precision("auto", dev)
        if mode == "cuda":
            expected = torch.bfloat16 if meta["bf16"] else torch.float16
            figure = f"auto -> {str(auto).replace('torch.', '')} (bf16 supported: {meta['bf16']})"
            return passed(auto is expected, figure, f"expected {expected}")
        return passed(auto is None, "auto -> fp32 on cpu", "expected fp32 (None)")

    row("device: --device auto picks CUDA", "device", found)
    row("precision: auto is bf16 where supported, else fp16", "precision", precision)


def check_train(model: str, mode: str, sz: dict, work: Path) -> None:
    """The real training path (nlpkit.training.train: config -> trainer -> saved pipeline)
    for one model, fp32 then AMP bf16 and fp16 (gradient scaler)."""
    train_path, dev_path, source = ner_data(work / "data", sz)
    print(f"data: {source}", flush=True)
    for precision in ("fp32", "bf16", "fp16"):
        name = f"train {model} {precision}" + (" (AMP)" if precision != "fp32" else "")

        def one(precision: str = precision) -> tuple[str, str]:
            import torch

            from nlpkit.training import train

            dev = device(mode)
            if mode == "cpu" and precision != "fp32":
                from nlpkit.errors import OptionError
                from nlpkit_trainer.optim import resolve_precision

                try:
                    resolve_precision(precision, dev)
                except OptionError:
                    raise Skip(f"AMP needs CUDA; the trainer refuses precision={precision} on cpu (checked)") from None
                raise Failed(f"the trainer accepted precision={precision} on cpu")
            steps = sz["train_steps"]
            run = work / f"{model}-{precision}"
            config = ner_config(train_path, dev_path, model, precision, sz, steps)
            with watch_linear_dtypes() as seen:
                pipeline = train(config, run, device=mode, progress=False, overwrite=True)
            losses = train_losses(run)
            training = pipeline.meta["training"]
            f1 = pipeline.meta["metrics"]["dev"]["f1"]
            state = torch.load(run / "checkpoints" / "last" / "trainer.pt", map_location="cpu", weights_only=True)
            scaler_on = bool(state.get("scaler"))
            third = max(1, len(losses) // 3)
            figure = (f"loss {losses[0]:.3f} -> {losses[-1]:.3f} in {len(losses)} steps, dev F1 {f1:.3f}, "
                      f"{training['tokens_per_second']:,.0f} tokens/s, Linear outputs {'/'.join(sorted(seen)) or '?'}, "
                      f"grad scaler {'on' if scaler_on else 'off'}, on {training['device']}")
            problems = []
            if len(losses) != steps:
                problems.append(f"{len(losses)} loss records for {steps} steps")
            if not all(math.isfinite(x) for x in losses):
                problems.append("a non-finite loss")
            if not (losses[-1] < losses[0] and statistics.mean(losses[-third:]) < statistics.mean(losses[:third])):
                problems.append("the loss did not fall")
            if not str(training["device"]).startswith(mode):
                problems.append(f"trained on {training['device']}, not {mode}")
            expected = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[precision]
            if seen != {expected}:
                problems.append(f"Linear outputs {sorted(seen)}, expected {expected} under autocast")
            if scaler_on != (precision == "fp16"):
                problems.append(f"grad scaler {'on' if scaler_on else 'off'} with {precision}")
            return passed(not problems, figure, "; ".join(problems))

        row(name, "precision" if precision != "fp32" else "train", one)


def _crf_inputs(b: int, t: int, k: int, seed: int, ties: bool = False, constrained: bool = False):  # type: ignore[no-untyped-def]
    """Random emissions, transitions, start and end (CPU tensors), a prefix mask with one
    full-length row and lengths from 1 to T; integer scores full of ties with ``ties``;
    IOB2 constraints with ``constrained``."""
    import torch

    allowed_transitions, apply_constraints, mask_from_lengths = crf_maths(
        "allowed_transitions", "apply_constraints", "mask_from_lengths")

    g = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> torch.Tensor:
        if ties:
            return torch.randint(-2, 3, shape, generator=g).float()
        return torch.randn(*shape, generator=g)

    emissions, transitions, start, end = draw(b, t, k), draw(k, k), draw(k), draw(k)
    lengths = torch.randint(1, t + 1, (b,), generator=g)
    lengths[0] = t
    mask = mask_from_lengths(lengths, t)
    labels = None
    if constrained:
        labels = ["O"] + [f"{p}-T{i}" for i in range(k) for p in "BI"]
        labels = labels[:k]
        allowed = allowed_transitions(labels, "IOB2")
        transitions, start, end = apply_constraints(transitions, start, end, *allowed)
    return emissions, mask, transitions, start, end, labels


def _obeys(paths, mask, labels) -> bool:  # type: ignore[no-untyped-def]
    """No move of any path is forbidden by IOB2 (I-X only after B-X or I-X)."""
    allowed_transitions = crf_maths("allowed_transitions")

    allowed, first, _ = allowed_transitions(labels, "IOB2")
    for path, n in zip(paths.tolist(), mask.sum(dim=1).tolist()):
        tags = path[:n]
        if not first[tags[0]] or any(not allowed[a, b] for a, b in itertools.pairwise(tags)):
            return False
    return True


def check_crf(mode: str, sz: dict, work: Path) -> None:
    """nlpkit's CRF maths (crf_nll, viterbi) beside pytorch-crf on the device: the same NLL and
    paths, then per-call times of NLL forward+backward and of decoding to lists."""
    calls, rounds = sz["crf_calls"], sz["crf_rounds"]
    for b, t, k in sz["crf_settings"]:
        def one(b: int = b, t: int = t, k: int = k) -> tuple[str, str]:
            import torch

            crf_nll, viterbi = crf_maths("crf_nll", "viterbi")
            try:
                peer = need_module("torchcrf", "pytorch-crf")
            except Skip as exc:
                peer, missing = None, str(exc)
            dev = device(mode)
            emissions, mask, transitions, start, end, _ = _crf_inputs(b, t, k, 0)
            tags = torch.randint(k, (b, t), generator=torch.Generator().manual_seed(1)).to(dev)
            emissions, mask = emissions.to(dev).requires_grad_(), mask.to(dev)
            if peer is not None:
                torch.manual_seed(0)
                crf = peer.CRF(k, batch_first=True).to(dev)
                params = (crf.transitions, crf.start_transitions, crf.end_transitions)
            else:
                params = tuple(x.to(dev).requires_grad_() for x in (transitions, start, end))
            leaves = [emissions, *params]

            def clear() -> None:
                for leaf in leaves:
                    leaf.grad = None

            def nll_ours() -> None:
                clear()
                crf_nll(emissions, tags, mask, *params, reduction="sum").backward()

            def nll_theirs() -> None:
                clear()
                (-crf(emissions, tags, mask, reduction="sum")).backward()

            def decode_ours() -> list[list[int]]:  # to lists, as CRF.decode returns them
                with torch.no_grad():
                    out = viterbi(emissions, mask, *params)[0]
                    return [p[:n] for p, n in zip(out.tolist(), mask.sum(dim=1).tolist())]

            def decode_theirs() -> None:
                with torch.no_grad():
                    crf.decode(emissions, mask)

            if peer is None:
                nll = timed_calls({"nlpkit": nll_ours}, calls, rounds, dev)
                dec = timed_calls({"nlpkit": decode_ours}, calls, rounds, dev)
                raise Skip(f"{missing}; nlpkit alone, median per call: NLL fwd+bwd "
                           f"{statistics.median(nll['nlpkit']):.3f} ms, decode {statistics.median(dec['nlpkit']):.3f} ms")
            with torch.no_grad():
                ours = crf_nll(emissions, tags, mask, *params, reduction="sum").item()
                theirs = -crf(emissions, tags, mask, reduction="sum").item()
                paths, decoded = decode_ours(), crf.decode(emissions, mask)
            gap = abs(ours - theirs) / abs(theirs)
            same_paths = paths == decoded
            nll = timed_calls({"nlpkit": nll_ours, "pytorch-crf": nll_theirs}, calls, rounds, dev)
            dec = timed_calls({"nlpkit": decode_ours, "pytorch-crf": decode_theirs}, calls, rounds, dev)

            def cmp(times: dict[str, list[float]], target: float) -> str:
                a, p = statistics.median(times["nlpkit"]), statistics.median(times["pytorch-crf"])
                verdict = "met" if p / a >= target else "missed"
                return f"{a:.3f} vs {p:.3f} ms ({p / a:.2f}x, target >= {target}x {verdict})"

            figure = (f"NLL rel. gap {gap:.1e}, paths {'identical' if same_paths else 'DIFFER'}; "
                      f"nlpkit vs pytorch-crf, median per call: NLL fwd+bwd {cmp(nll, 1.2)}; decode {cmp(dec, 2.0)}")
            problems = []
            if gap > 1e-4:
                problems.append(f"NLL nlpkit {ours!r} vs pytorch-crf {theirs!r}")
            if not same_paths:
                wrong = [i for i, (x, y) in enumerate(zip(paths, decoded)) if x != y]
                problems.append(f"paths differ in sequences {wrong[:10]}")
            return passed(not problems, figure, "; ".join(problems))

        row(f"CRF vs pytorch-crf {b}x{t}x{k} on {mode}", "crf", one)

    def half() -> tuple[str, str]:
        import torch

        crf_nll, viterbi = crf_maths("crf_nll", "viterbi")

        dev = device(mode)
        b, t, k = 8, sz["half_steps"], 9
        emissions, mask, transitions, start, end, _ = _crf_inputs(b, t, k, 3)
        emissions = (4 * emissions).to(dev)
        mask, params = mask.to(dev), [x.to(dev) for x in (transitions, start, end)]
        tags = torch.randint(k, (b, t), generator=torch.Generator().manual_seed(4)).to(dev)
        gaps, figure = [], []
        for dtype in (torch.float16, torch.bfloat16):
            low = emissions.to(dtype)
            nll = crf_nll(low, tags, mask, *params, reduction="none")
            ref = crf_nll(low.float(), tags, mask, *params, reduction="none")
            same = torch.equal(viterbi(low, mask, *params)[0], viterbi(low.float(), mask, *params)[0])
            gap = float(((nll - ref).abs() / ref.abs()).max())
            finite = bool(torch.isfinite(nll).all())
            gaps.append(gap <= 1e-6 and finite and same and nll.dtype == torch.float32)
            figure.append(f"{str(dtype).replace('torch.', '')}: NLL {str(nll.dtype).replace('torch.', '')} rel. gap {gap:.1e}, "
                          f"{'finite' if finite else 'NOT FINITE'}, paths {'same' if same else 'DIFFER'}")
        return passed(all(gaps), f"T={t}: " + "; ".join(figure), "half-precision inputs not computed in float32")

    row(f"CRF half-precision inputs computed in float32 on {mode}", "crf-half", half)


def check_viterbi(mode: str, sz: dict, work: Path) -> None:
    """The GPU Viterbi (backpointers, on-device backtrace) against the CPU one (numpy
    rescoring): best paths, n-best and constrained transitions on random inputs."""

    def gpu_and_cpu(emissions, mask, transitions, start, end):  # type: ignore[no-untyped-def]
        """(paths, scores) of the GPU path and of the CPU path, both on the CPU."""
        _viterbi_backpointers, viterbi = crf_maths("_viterbi_backpointers", "viterbi")

        dev = device(mode)
        if mode == "cuda":
            gpu = viterbi(*(x.to(dev) for x in (emissions, mask, transitions, start, end)))
        else:
            gpu = _viterbi_backpointers(emissions, mask, transitions, start, end)
        cpu = viterbi(emissions, mask, transitions, start, end)
        return [x.cpu() for x in gpu], cpu

    def compare(ties: bool = False, constrained: bool = False) -> tuple[str, str]:
        import torch

        sequences, worst, wrong, broken = 0, 0.0, [], 0
        for i, (b, t, k) in enumerate(sz["viterbi_shapes"]):
            for seed in range(3):
                emissions, mask, trans, start, end, labels = _crf_inputs(b, t, k, 10 * i + seed, ties, constrained)
                (gp, gs), (cp, cs) = gpu_and_cpu(emissions, mask, trans, start, end)
                sequences += b
                worst = max(worst, float((gs - cs).abs().max()))
                if not torch.equal(gp, cp):
                    wrong.append(f"{b}x{t}x{k} seed {seed}")
                if constrained and not (_obeys(gp, mask, labels) and _obeys(cp, mask, labels)):
                    broken += 1
        figure = (f"{sequences} sequences over {len(sz['viterbi_shapes'])} shapes: paths "
                  f"{'identical' if not wrong else 'DIFFER in ' + ', '.join(wrong[:3])}, max |score gap| {worst:.1e}")
        if constrained:
            figure += f", forbidden moves: {'none' if not broken else broken}"
        return passed(not wrong and worst <= 1e-3 and not broken, figure)

    def nbest() -> tuple[str, str]:
        import torch

        viterbi, viterbi_nbest = crf_maths("viterbi", "viterbi_nbest")

        dev = device(mode)
        n, checked, problems = sz["nbest"], 0, []
        for i, (b, t, k) in enumerate(sz["viterbi_shapes"]):
            for constrained in (False, True):
                emissions, mask, trans, start, end, labels = _crf_inputs(b, t, k, 100 + i, constrained=constrained)
                inputs = (emissions, mask, trans, start, end)
                here = viterbi_nbest(*(x.to(dev) for x in inputs), n=n)
                paths, scores = (x.cpu() for x in here)
                ref_paths, ref_scores = viterbi_nbest(*inputs, n=n)
                best_paths, best_scores = viterbi(*inputs)
                checked += b
                finite = torch.isfinite(scores)
                if not torch.equal(finite, torch.isfinite(ref_scores)) or \
                        not torch.allclose(scores[finite], ref_scores[finite], rtol=1e-5, atol=1e-3):
                    problems.append(f"{b}x{t}x{k}: n-best scores differ from the CPU's")
                # ties go either way: compare the paths whose score is apart from their neighbours'
                gaps = (scores[:, 1:] - scores[:, :-1]).abs().nan_to_num(nan=1.0) > 1e-4  # shape: [B, n-1]
                apart = torch.ones_like(scores, dtype=torch.bool)
                apart[:, 1:] &= gaps
                apart[:, :-1] &= gaps
                if not torch.equal(paths[apart], ref_paths[apart]):
                    problems.append(f"{b}x{t}x{k}: n-best paths differ from the CPU's")
                if not torch.equal(paths[:, 0], best_paths) or not torch.allclose(scores[:, 0], best_scores, atol=1e-3):
                    problems.append(f"{b}x{t}x{k}: the first of the n-best is not the Viterbi path")
                if bool((scores[:, 1:] > scores[:, :-1] + 1e-4).any()):
                    problems.append(f"{b}x{t}x{k}: n-best scores not in descending order")
                if constrained:
                    kept = finite & (scores > -1e3)  # paths that need no forbidden move
                    for j in range(n):
                        rows = kept[:, j]
                        if rows.any() and not _obeys(paths[rows, j], mask[rows], labels):
                            problems.append(f"{b}x{t}x{k}: path {j + 1} of {n} breaks IOB2")
        figure = (f"n={n}, {checked} sequences, free and IOB2-constrained: "
                  + ("paths and scores equal to the CPU's, best first, top-1 = viterbi" if not problems
                     else "; ".join(problems[:3])))
        return passed(not problems, figure)

    def no_sync() -> tuple[str, str]:
        import warnings

        import torch

        _viterbi_backpointers, viterbi_nbest = crf_maths("_viterbi_backpointers", "viterbi_nbest")
        from nlpkit.registry import registry
        from nlpkit.scores import Scores

        dev = device(mode)
        if mode != "cuda":
            raise Skip("host syncs exist on CUDA only")

        def count(fn: Callable[[], Any]) -> int:
            torch.cuda.synchronize()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                torch.cuda.set_sync_debug_mode("warn")
                try:
                    fn()
                finally:
                    torch.cuda.set_sync_debug_mode("default")
            return sum("synchroniz" in str(w.message) for w in caught)

        if count(lambda: torch.ones(1, device=dev).item()) < 1:
            raise Skip("torch's sync debug mode reported no sync for .item(): cannot count syncs here")
        decoder = registry("decoders").get("viterbi")()
        counts: dict[str, list[int]] = {"backtrace": [], "n-best": [], "decoder": []}
        lengths = (20, 200)
        for t in lengths:
            emissions, mask, trans, start, end, _ = _crf_inputs(32, t, 9, 7)
            inputs = [x.to(dev) for x in (emissions, mask, trans, start, end)]
            counts["backtrace"].append(count(lambda inputs=inputs: _viterbi_backpointers(*inputs)))
            counts["n-best"].append(count(lambda inputs=inputs: viterbi_nbest(*inputs, n=4)))
            scores = Scores(emissions=inputs[0], mask=inputs[1], transitions=inputs[2], start=inputs[3], end=inputs[4])
            counts["decoder"].append(count(lambda scores=scores: decoder.decode(scores)))
        figure = "host syncs at T=" + "/".join(map(str, lengths)) + ": " + ", ".join(
            f"{name} {'/'.join(map(str, c))}" for name, c in counts.items())
        flat = all(c[0] == c[1] for c in counts.values()) and counts["backtrace"][0] == 0
        return passed(flat, figure, "syncs grow with the length (a sync inside a loop)")

    def speed() -> tuple[str, str]:
        import torch

        _viterbi_backpointers, viterbi = crf_maths("_viterbi_backpointers", "viterbi")
        dev = device(mode)
        b, t, k = sz["crf_settings"][-1]
        emissions, mask, trans, start, end, _ = _crf_inputs(b, t, k, 5)
        on_dev = [x.to(dev) for x in (emissions, mask, trans, start, end)]
        decode = viterbi if mode == "cuda" else _viterbi_backpointers  # the GPU path, on cpu tensors in cpu mode

        def here() -> None:
            decode(*on_dev)[0].tolist()

        def on_cpu() -> None:
            viterbi(emissions, mask, trans, start, end)[0].tolist()

        with torch.no_grad():
            times = timed_calls({"gpu path": here, "cpu path": on_cpu}, sz["crf_calls"], sz["crf_rounds"], dev)
        a, c = statistics.median(times["gpu path"]), statistics.median(times["cpu path"])
        return "REPORT", (f"{b}x{t}x{k}, decoded to lists, median per call: GPU path (backpointers) on {mode} "
                          f"{a:.3f} ms, CPU path (numpy rescoring) on cpu {c:.3f} ms")

    where = "GPU" if mode == "cuda" else "GPU path on cpu tensors"
    row(f"Viterbi {where} = CPU path, random scores", "viterbi", compare)
    row(f"Viterbi {where} = CPU path, integer scores full of ties", "ties", lambda: compare(ties=True))
    row(f"Viterbi {where} = CPU path, IOB2-constrained transitions", "viterbi",
        lambda: compare(constrained=True))
    row(f"Viterbi n-best on {mode} = CPU", "nbest", nbest)
    row("Viterbi: no host sync inside the decode loops", "sync", no_sync)
    row(f"Viterbi decode time, GPU path on {mode} vs CPU path", "crf", speed)


def check_cli(mode: str, sz: dict, work: Path) -> None:
    """``nlpkit train --nproc 1 --device DEV`` to a pipeline, ``nlpkit predict --device DEV``
    on it, and ``--nproc 2`` (a real 2-GPU NCCL run with 2 GPUs, else refused before any worker)."""
    train_path, dev_path, _ = ner_data(work / "data", sz)
    config = work / "config.toml"
    config.write_text(toml_text(ner_config(train_path, dev_path, "bilstm-crf", "auto", sz, sz["train_steps"])),
                      encoding="utf-8")
    run = work / "run"

    def nproc1() -> tuple[str, str]:
        done = nlpkit_cli("train", config, "-o", run, "--nproc", 1, "--device", mode, "--no-progress")
        saved = [line for line in done.stderr.splitlines() if line.startswith("Saved the pipeline")]
        if done.returncode != 0 or not saved:
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        summary = re.sub(r"^Saved the pipeline to \S+ ", "", saved[0])
        ok = (run / "model" / "meta.json").is_file() and f"on {mode}" in summary
        return passed(ok, f"pipeline saved {summary} (--nproc 1 trains in this process: no process group)")

    def predict() -> tuple[str, str]:
        if not (run / "model").is_dir():
            raise Failed("no pipeline (the train row failed)")
        done = nlpkit_cli("predict", run, "--device", mode, "Mr Smith visited Paris .")
        if done.returncode != 0:
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        return passed(bool(done.stdout.strip()), f"'{_one_line(done.stdout, 120)}'", "nothing printed")

    def nproc2() -> tuple[str, str]:
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        out = work / "run2"
        done = nlpkit_cli("train", config, "-o", out, "--nproc", 2, "--device", "cuda", "--no-progress")
        if gpus >= 2:
            saved = [line for line in done.stderr.splitlines() if line.startswith("Saved the pipeline")]
            ok = done.returncode == 0 and bool(saved) and "(nccl)" in saved[0]
            return passed(ok, f"{gpus} GPUs: {saved[0] if saved else last_line(done.stderr)}")
        expected = "runs one process per GPU" if gpus == 1 else "torch sees no CUDA GPU"
        errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        refused = done.returncode != 0 and bool(errors) and expected in errors[0] and not out.exists()
        return passed(refused, f"{gpus} GPU(s): refused before any worker: '{errors[0] if errors else '-'}'",
                      f"exit {done.returncode}, expected an error saying '{expected}'")

    def torchrun1() -> tuple[str, str]:
        full_only(mode)
        out = work / "run-torchrun"
        done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
                               "-m", "nlpkit", "train", str(config), "-o", str(out), "--device", mode, "--no-progress"],
                              capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
        saved = [line for line in done.stderr.splitlines() if line.startswith("Saved the pipeline")]
        if done.returncode != 0 or not saved:
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        summary = re.sub(r"^Saved the pipeline to \S+ ", "", saved[0])
        return passed((out / "model" / "meta.json").is_file() and f"on {mode}" in summary,
                      f"pipeline saved {summary} (WORLD_SIZE=1: the trainer starts no process group)")

    row(f"CLI: nlpkit train --nproc 1 --device {mode}", "nproc", nproc1)
    row(f"torchrun --nproc_per_node 1 -m nlpkit train --device {mode}", "torchrun", torchrun1)
    row(f"CLI: nlpkit predict --device {mode}", "predict", predict)
    row("CLI: nlpkit train --nproc 2 --device cuda", "nproc-refused", nproc2)


def check_ddp(mode: str, sz: dict, work: Path) -> None:
    """The trainer's multi-process path (process group, DistributedDataParallel, all-reduce
    of loss units, broadcast of dev metrics, job check) on a world of one process: nccl on
    CUDA, gloo on the CPU, as torchrun would start it; then the weights beside a plain run."""

    def one() -> tuple[str, str]:
        import torch.distributed as dist

        from nlpkit.training import train
        from nlpkit_trainer import distributed

        dev = device(mode)
        backend = "nccl" if dev.type == "cuda" else "gloo"
        if not dist.is_available() or (backend == "nccl" and not dist.is_nccl_available()):
            raise Failed(f"torch.distributed {backend} is not available in this torch build")
        train_path, dev_path, _ = ner_data(work / "data", sz)
        config = ner_config(train_path, dev_path, "bilstm-crf", "fp32", sz, sz["ddp_steps"])
        plain = train(config, work / "plain", device=mode, progress=False, overwrite=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0", "LOCAL_RANK": "0",
               "WORLD_SIZE": "1", "LOCAL_WORLD_SIZE": "1"}
        saved_env = {k: os.environ.get(k) for k in env}
        original = distributed.launched
        os.environ.update(env)
        distributed.launched = lambda: True  # torchrun's world of one: the trainer's multi-process path
        try:
            ddp = train(config, work / "ddp", device=mode, progress=False, overwrite=True)
        finally:
            distributed.launched = original
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        where = ddp.meta["training"]["device"]
        a, b = plain.model.state_dict(), ddp.model.state_dict()
        gap = max(float((a[n].float() - b[n].float()).abs().max()) for n in a)
        losses = train_losses(work / "ddp")
        figure = f"{where}, {len(losses)} steps, max |weight gap| vs one plain process {gap:.1e}"
        ok = f"({backend})" in where and bool(losses) and all(math.isfinite(x) for x in losses) and gap <= 1e-4
        return passed(ok, figure, f"expected a ({backend}) group, finite losses and a gap <= 1e-4")

    row(f"DDP path, world of 1 over {'nccl' if mode == 'cuda' else 'gloo'}", "nccl", one)


def _synthetic_corpus(words: int, seed: int = 1) -> list[list[str]]:
    """Zipf-distributed words (a vocabulary of 30,000) in sentences of 5 to 30 words."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = rng.zipf(1.1, size=words * 2)
    ids = ids[ids <= 30_000][:words]
    lengths = rng.integers(5, 31, size=len(ids) // 5 + 1)
    out, at = [], 0
    for n in lengths:
        if at >= len(ids):
            break
        out.append([f"w{i}" for i in ids[at:at + n].tolist()])
        at += int(n)
    return out


def w2v_corpus(words: int) -> tuple[list[list[str]], str]:
    """benchmarks/bench_word2vec.py's English corpus (capped) when the corpora are here,
    else a synthetic Zipf corpus of the same size."""
    if corpora_root() is not None:
        sys.path.insert(0, str(BENCH))
        try:
            import bench_word2vec

            sentences = bench_word2vec.english_corpus(words)
            return sentences, f"bench_word2vec.py's English corpus, first {sum(map(len, sentences)):,} words"
        except SystemExit as exc:  # _bench exits when a corpus file is missing
            print(f"English corpus unavailable ({exc}); using a synthetic one", flush=True)
    sentences = _synthetic_corpus(words)
    return sentences, f"synthetic Zipf corpus, {sum(map(len, sentences)):,} words (corpora absent)"


def check_word2vec(mode: str, sz: dict, work: Path) -> None:
    """nlpkit's word2vec on the device beside gensim on the CPU (2 workers, as in
    docs/benchmarks.md section 11), same corpus and hyper-parameters: words/s."""
    state: dict[str, Any] = {}

    def one(sg: str) -> tuple[str, str]:
        import numpy as np

        from nlpkit_word2vec.train import train_word2vec

        dev = device(mode)
        try:
            gensim = need_module("gensim.models", "gensim")
        except Skip as exc:
            gensim, missing = None, str(exc)
        if "corpus" not in state:
            state["corpus"] = w2v_corpus(sz["w2v_words"])
            print(f"corpus: {state['corpus'][1]}", flush=True)
        sentences, source = state["corpus"]
        hp = {"dim": 100, "window": 5, "negative": 5, "min_count": 5, "sample": 1e-3, "epochs": sz["w2v_epochs"]}
        workers = 1 if dev.type == "cuda" else 2  # several workers are CPU threads; refused on a GPU

        def ours(corpus: list[list[str]]):  # type: ignore[no-untyped-def]
            vectors = train_word2vec(lambda: corpus, mode=sg, seed=1, device=mode, workers=workers, **hp)
            sync(dev)
            return len(vectors), vectors.vectors

        def theirs(corpus: list[list[str]]):  # type: ignore[no-untyped-def]
            model = gensim.Word2Vec(corpus, sg=int(sg == "skipgram"), vector_size=hp["dim"], window=hp["window"],
                                    hs=0, negative=hp["negative"], min_count=hp["min_count"], sample=hp["sample"],
                                    epochs=hp["epochs"], alpha=0.025, min_alpha=0.0001, seed=1, workers=2, cbow_mean=1)
            return len(model.wv.index_to_key), model.wv.vectors

        contenders = {"nlpkit": ours} if gensim is None else {"nlpkit": ours, "gensim": theirs}
        for fn in contenders.values():
            fn(sentences[:2000])  # warm-up: CUDA context, kernels, allocator
        walls: dict[str, list[float]] = {name: [] for name in contenders}
        found: dict[str, Any] = {}
        for r in range(sz["w2v_repeat"]):
            names = list(contenders)[r % len(contenders):] + list(contenders)[:r % len(contenders)]
            for name in names:
                started = time.perf_counter()
                found[name] = contenders[name](sentences)
                walls[name].append(time.perf_counter() - started)
        words = sum(map(len, sentences)) * hp["epochs"]
        rate = {name: words / min(w) for name, w in walls.items()}
        finite = bool(np.isfinite(np.asarray(found["nlpkit"][1])).all())
        ours_text = f"nlpkit on {mode} {_rate(rate['nlpkit'], 'words')} (best of {sz['w2v_repeat']}); {source}"
        if gensim is None:
            raise Skip(f"{missing}; peer not timed; {ours_text}, vectors {'finite' if finite else 'NOT FINITE'}")
        ratio = rate["nlpkit"] / rate["gensim"]
        target = 2.0 if mode == "cuda" else 0.5
        verdict = "met" if ratio >= target else "missed"
        vocab = {name: f[0] for name, f in found.items()}
        figure = (f"{ours_text}; gensim cpu (2 workers) {_rate(rate['gensim'], 'words')}: {ratio:.2f}x "
                  f"(target >= {target}x {verdict}); vocab {vocab['nlpkit']:,} / {vocab['gensim']:,}")
        problems = []
        if vocab["nlpkit"] != vocab["gensim"]:
            problems.append("the vocabularies differ in size")
        if not finite:
            problems.append("non-finite vectors")
        return passed(not problems, figure, "; ".join(problems))

    for sg in ("skipgram", "cbow"):
        row(f"word2vec {sg} on {mode} vs gensim", "w2v", lambda sg=sg: one(sg))


def check_pytest(mode: str, sz: dict, work: Path) -> None:
    """The test suite's CUDA-only tests (skipped on a machine without a GPU)."""

    def one() -> tuple[str, str]:
        need_module("pytest", "pytest")
        need_module("hypothesis", "hypothesis")
        files = ["tests/plugins/test_trainer.py", "tests/plugins/test_decoders.py", "tests/plugins/test_word2vec_train.py"]
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "cuda", *files],
                              capture_output=True, text=True, timeout=240, check=False, cwd=ROOT)
        print(done.stdout[-3000:], done.stderr[-2000:], flush=True)
        summary = last_line(done.stdout)
        if done.returncode not in (0, 5):
            raise Failed(f"pytest exit {done.returncode}: {summary}")
        ran = re.search(r"(\d+) passed", summary)
        if not ran:
            raise Skip(f"no CUDA test ran here: {summary}")
        return "PASS", summary.strip("= ")

    row("tests: the suite's CUDA-only tests (-k cuda)", "tests", one)


def _run_meta(run: Path) -> dict:
    return json.loads((run / "model" / "meta.json").read_text(encoding="utf-8"))


def check_recipe_upos(mode: str, sz: dict, work: Path) -> None:
    def one() -> tuple[str, str]:
        full_only(mode)
        need_corpus("ud_english_ewt/en_ewt-ud-train.conllu", "ud_english_ewt/en_ewt-ud-dev.conllu")
        need_module("spacy", "spaCy", "the config's tokenizer needs it (an nlpkit dependency)")
        run = work / "run"
        done = nlpkit_cli("train", "configs/ud-upos-bilstm.toml", "-o", run, "--device", mode, "--no-progress",
                          *sz["upos"])
        if done.returncode != 0:
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        meta = _run_meta(run)
        training, dev = meta["training"], meta["metrics"]["dev"]
        figure = (f"{training['steps']} steps: dev accuracy {dev.get('accuracy', float('nan')):.4f}, "
                  f"{training['tokens_per_second']:,.0f} tokens/s on {training['device']}")
        if mode == "cpu":
            figure += " [cpu smoke: shrunk model, trained on the dev file]"
        return passed(str(training["device"]).startswith(mode), figure)

    row(f"recipe: ud-upos-bilstm.toml --device {mode} (capped steps)", "upos", one)


def check_recipe_shakespeare(mode: str, sz: dict, work: Path) -> None:
    def one() -> tuple[str, str]:
        full_only(mode)
        (text,) = need_corpus("tinyshakespeare/input.txt")
        run = work / "run"
        done = nlpkit_cli("train", "configs/shakespeare-gru.toml", "-o", run, "--device", mode, "--no-progress",
                          *sz["shakespeare"])
        if done.returncode != 0:
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        meta = _run_meta(run)
        rates = [r["tokens_per_s"] for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines())
                 if "tokens_per_s" in r]
        rate = rates[-1]  # the last window: past cuDNN's first-step set-up
        config = meta["config"]
        chars = len(text.read_text(encoding="utf-8"))
        train_chars = chars * (1 - config["task"].get("dev_fraction", 0.1))
        block = config["task"].get("block_size", 128)
        steps = math.ceil(int(train_chars // block) / config["trainer"]["batch_size"]) * config["trainer"]["epochs"]
        minutes = steps * config["trainer"]["batch_size"] * block / rate / 60
        figure = (f"{rate:,.0f} tokens/s on {meta['training']['device']}: {config['trainer']['epochs']} epochs "
                  f"({steps:,} steps) = about {minutes:.1f} min of training steps (dev evaluations not counted; "
                  f"claim: about 15 min on one H100-class card)")
        if mode == "cpu":
            figure += " [cpu smoke with a shrunk model: not the claim's setting]"
        return "REPORT", figure

    row(f"recipe: shakespeare-gru.toml time estimate on {mode}", "shakespeare", one)


def check_throughput(mode: str, sz: dict, work: Path) -> None:
    def one() -> tuple[str, str]:
        full_only(mode)
        need_corpus("ud_english_ewt/en_ewt-ud-train.conllu")
        out = work / "throughput.json"
        work.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, str(BENCH / "bench_train_throughput.py"), "--device", mode,
                               *sz["throughput"], "--json", str(out)], capture_output=True, text=True,
                              timeout=600, check=False, cwd=ROOT)
        print(done.stdout[-3000:], done.stderr[-2000:], flush=True)
        if done.returncode != 0 or not out.is_file():
            raise Failed(f"exit {done.returncode}: {last_line(done.stderr)}")
        results = json.loads(out.read_text(encoding="utf-8"))["results"]
        parts = []
        for model in dict.fromkeys(k.split(" ")[0] for k in results):
            runs = {k.split(" ", 1)[1]: v["tokens"] / v["best_s"] for k, v in results.items() if k.startswith(model + " ")}
            amp = f", AMP {runs['auto']:,.0f} ({runs['auto'] / runs['fp32']:.2f}x fp32)" if "auto" in runs else ""
            parts.append(f"{model} fp32 {runs['fp32']:,.0f}{amp}, hand-written loop {runs['torch-loop']:,.0f}")
        return "REPORT", "tokens/s (best): " + "; ".join(parts)

    row(f"bench_train_throughput.py on {mode} (fp32, AMP, torch loop)", "throughput", one)


CHECKS: dict[str, Callable[[str, dict, Path], None]] = {
    "env": check_env,
    "train-rnn": lambda m, s, w: check_train("rnn", m, s, w),
    "train-gru": lambda m, s, w: check_train("gru", m, s, w),
    "train-lstm": lambda m, s, w: check_train("lstm", m, s, w),
    "train-bilstm-crf": lambda m, s, w: check_train("bilstm-crf", m, s, w),
    "crf": check_crf,
    "viterbi": check_viterbi,
    "cli": check_cli,
    "ddp": check_ddp,
    "word2vec": check_word2vec,
    "pytest": check_pytest,
    "recipe-upos": check_recipe_upos,
    "recipe-shakespeare": check_recipe_shakespeare,
    "throughput": check_throughput,
}


# --------------------------------------------------------------------------- report and shim


def report(path: Path, header: list[str]) -> str:
    rows, meta = [], {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if "meta" in item:
            meta = item["meta"]
        else:
            rows.append(item)
    lines = [*header]
    if meta:
        gpu = (f"GPU {meta['gpu']} ({meta['memory_gib']} GiB, compute capability {meta['capability']}, "
               f"{meta['gpus']} visible)" if meta.get("gpu") else "no CUDA GPU visible")
        lines.append(f"torch {meta['torch']}, CUDA {meta['cuda']}, cuDNN {meta['cudnn']}, NCCL {meta['nccl']}; {gpu}; "
                     f"Python {meta['python']}, {meta['cores']} CPU cores; nlpkit {meta['nlpkit']}, "
                     f"pytorch-crf {meta['pytorch-crf']}, gensim {meta['gensim']}, numpy {meta['numpy']}")
    else:
        lines.append("torch: the env check wrote no versions (see the log)")
    counts = {r: sum(1 for x in rows if x["result"] == r) for r in ("PASS", "FAIL", "SKIP", "REPORT")}
    lines.append(", ".join(f"{n} {r}" for r, n in counts.items() if n) or "no rows")
    lines += ["", "| check | claim | result | figure | seconds |", "|---|---|---|---|---|"]
    for r in rows:
        cells = [r["check"], f"`{r['claim']}`" if r["claim"] not in ("", "-") else "-", r["result"],
                 str(r["figure"]), f"{float(r['seconds']):.1f}"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def shim(folder: Path) -> None:
    """A dist-info folder declaring nlpkit's entry points (read from pyproject.toml), so that
    the working tree on PYTHONPATH finds its plugins without being installed."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    version = re.search(r'__version__\s*=\s*"([^"]+)"', (ROOT / "nlpkit" / "about.py").read_text(encoding="utf-8"))
    dist = folder / f"nlpkit-{version.group(1) if version else '0'}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: nlpkit\nVersion: {version.group(1) if version else '0'}\n",
                                   encoding="utf-8")
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    text = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n" for group, eps in groups.items())
    (dist / "entry_points.txt").write_text(text, encoding="utf-8")
    print(dist)


def main() -> int:
    global RESULTS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", help=f"one of {', '.join(CHECKS)} (or several, comma-separated: one process), "
                                      "report or shim")
    parser.add_argument("path", nargs="?", help="report: the results file; shim: the folder to write")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--results", type=Path, help="append rows (JSON lines) to this file")
    parser.add_argument("--work", type=Path, help="scratch folder for runs and data")
    parser.add_argument("--header", action="append", default=[], help="report: a line above the table")
    args = parser.parse_args()
    if args.check == "report":
        print(report(Path(args.path), args.header), end="")
        return 0
    if args.check == "shim":
        shim(Path(args.path))
        return 0
    names = args.check.split(",")
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        parser.error(f"unknown check(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}, report, shim")
    RESULTS = args.results
    for name in names:
        work = (args.work or Path(os.environ.get("TMPDIR", "/tmp")) / "gpu_check") / name
        work.mkdir(parents=True, exist_ok=True)
        CHECKS[name](args.device, SIZES[args.device], work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
