"""``nlpkit train``: train a pipeline from a TOML config; ``--nproc N`` runs it on N
processes through torch's elastic launcher (what ``torchrun`` runs), one machine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import NlpkitError, UsageError


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="DIR",
              help="Run folder: checkpoints, metrics, and the pipeline in DIR/model.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override a config value; repeatable.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--seed", type=int, default=None, help="Random seed [default: the config's seed, else 0].")
@click.option("--resume", is_flag=True, help="Continue from DIR/checkpoints/last.")
@click.option("--overwrite", is_flag=True, help="Replace a previous run in DIR.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [default: on a terminal].")
@click.option("--nproc", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Train on N processes of this machine (DistributedDataParallel; one per GPU with --device cuda).")
def train(config_path: str, output: str, overrides: tuple[str, ...], device: str, seed: int | None,
          resume: bool, overwrite: bool, progress: bool | None, nproc: int) -> None:
    """Train the pipeline CONFIG describes and save it in OUTPUT/model.

    \b
    Examples:
      nlpkit train configs/names-gru.toml -o runs/names
      nlpkit train configs/names-gru.toml -o runs/names --set model.hidden_size=256 --device cuda
      nlpkit train configs/names-gru.toml -o runs/names --resume
      nlpkit train configs/names-gru.toml -o runs/names --nproc 2
    """
    from ..config import load_config
    from ..trainer import is_main_process
    from ..training import train as run_training

    config = load_config(config_path, list(overrides))
    if nproc > 1:
        _check_batch_split(config, nproc)
        _check_device(device, nproc)
        _launch(nproc, _worker_argv(config_path, output, overrides, device, seed, resume, overwrite, progress))
        return
    show = sys.stderr.isatty() if progress is None else progress
    try:
        pipeline = run_training(config, output, device=device, seed=seed, resume=resume, overwrite=overwrite, progress=show)
    except KeyboardInterrupt:
        last = Path(output) / "checkpoints" / "last"
        if not is_main_process():
            sys.exit(130)
        if last.is_dir():
            click.echo(f"Interrupted. The last complete checkpoint is in {last}; continue with --resume.", err=True)
        else:
            click.echo("Interrupted before the first checkpoint; start again (with --overwrite).", err=True)
        sys.exit(130)
    if pipeline is not None:  # None on the ranks other than 0 of a multi-process job
        _summary(pipeline, output)


def _check_batch_split(config: dict, nproc: int) -> None:
    """Refuse a batch that cannot split over the processes before starting any."""
    from ..training import _build

    trainer = _build(config, "trainer")
    check = getattr(trainer, "check_world_size", None)
    if check is not None:
        check(nproc)


def _check_device(device: str, nproc: int) -> None:
    """Refuse a device this machine lacks (or too few GPUs) once, here, rather than from
    every worker process with torch's log lines around it."""
    from ..device import resolve_device

    target = resolve_device(device)
    if target.type == "cuda" and target.index is None:
        import torch

        if torch.cuda.device_count() < nproc:
            raise UsageError(f"--nproc {nproc} --device cuda runs one process per GPU, and torch sees "
                             f"{torch.cuda.device_count()}; use --nproc {torch.cuda.device_count()} or --device cpu.")


def _worker_argv(config_path: str, output: str, overrides: tuple[str, ...], device: str, seed: int | None,
                 resume: bool, overwrite: bool, progress: bool | None) -> list[str]:
    """The ``nlpkit`` arguments each process runs: this command without ``--nproc``."""
    root = click.get_current_context().find_root()
    argv = ["--traceback"] if root.params.get("traceback") else []
    argv += ["train", config_path, "-o", output, "--device", device]
    for override in overrides:
        argv += ["--set", override]
    if seed is not None:
        argv += ["--seed", str(seed)]
    argv += ["--resume"] if resume else []
    argv += ["--overwrite"] if overwrite else []
    if progress is not None:
        argv.append("--progress" if progress else "--no-progress")
    return argv


def _summary(pipeline, output: str) -> None:  # type: ignore[no-untyped-def]
    metric = pipeline.task.metric
    dev = pipeline.meta["metrics"]["dev"]
    training = pipeline.meta["training"]
    if training.get("fitted_from_counts"):
        how = (f"fitted from counts in {training['seconds']:.1f} s, {training['tokens_per_second']:.0f} tokens/s "
               f"on {training['device']}")
    else:
        how = (f"best at step {training['best_step']} of {training['steps']}, "
               f"{training['tokens_per_second']:.0f} tokens/s on {training['device']}")
    click.echo(f"Saved the pipeline to {output}/model (dev {metric} {dev[metric]:.4f}, {how}).", err=True)
    if "test" in pipeline.meta["metrics"]:
        click.echo(f"Held-out split: {metric} {pipeline.meta['metrics']['test'][metric]:.4f}.", err=True)
    curve = Path(output) / "learning-curve.png"
    click.echo(f"Metrics: {output}/metrics.jsonl" + (f"; learning curve: {curve}." if curve.exists() else "."), err=True)


def _launch(nproc: int, argv: list[str]) -> None:
    """Run ``python -m nlpkit ARGV`` on ``nproc`` processes with torch's elastic launcher,
    as ``torchrun --standalone --nproc_per_node N -m nlpkit ARGV`` would; a failed rank
    stops the others and becomes one error naming it, with its exit code."""
    import os

    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    # torchrun would set 1 thread (with a warning); share the cores instead
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    args = get_args_parser().parse_args(["--standalone", f"--nproc_per_node={nproc}", "-m", "nlpkit", *argv])
    try:
        run(args)
    except ChildFailedError as exc:
        raise _failure(exc, nproc) from None
    except SignalException as exc:
        click.echo(f"Stopped by {exc.sigval.name}: the {nproc} training processes were ended.", err=True)
        sys.exit(128 + int(exc.sigval))


def _failure(exc, nproc: int) -> NlpkitError:  # type: ignore[no-untyped-def]
    """One error naming the rank that failed first (and any other that failed by itself,
    not by the launcher's SIGTERM), with that rank's exit code, or 128 + the signal
    that killed it, as a shell reports it."""
    import signal

    first, failure = exc.get_first_failure()
    others = [rank for rank in sorted(exc.failures) if rank != first and exc.failures[rank].exitcode != -signal.SIGTERM]
    what = "; ".join(f"rank {rank} {_how(exc.failures[rank])}" for rank in [first, *others])
    stopped = " The launcher stopped the other processes." if len(others) + 1 < nproc else ""
    error = NlpkitError(
        f"Training on {nproc} processes failed: {what}.{stopped} A rank's own error, if it printed one, is "
        "above; a rank killed by a signal was often out of memory."
    )
    error.exit_code = failure.exitcode if failure.exitcode > 0 else 128 - failure.exitcode
    return error


def _how(failure) -> str:  # type: ignore[no-untyped-def]
    if failure.exitcode < 0:
        return f"was killed by {failure.signal_name()}"
    return f"exited with code {failure.exitcode}"
