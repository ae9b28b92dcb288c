"""``nlpkit train``: train a pipeline from a TOML config."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("config_path", metavar="CONFIG", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, metavar="DIR", help="Run folder: checkpoints, metrics, and the pipeline in DIR/model.")
@click.option("--set", "overrides", multiple=True, metavar="SECTION.KEY=VALUE", help="Override a config value; repeatable.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--seed", type=int, default=None, help="Random seed [default: the config's seed, else 0].")
@click.option("--resume", is_flag=True, help="Continue from DIR/checkpoints/last.")
@click.option("--overwrite", is_flag=True, help="Replace a previous run in DIR.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [default: on a terminal].")
def train(config_path: str, output: str, overrides: tuple[str, ...], device: str, seed: int | None,
          resume: bool, overwrite: bool, progress: bool | None) -> None:
    """Train the pipeline CONFIG describes and save it in OUTPUT/model.

    \b
    Examples:
      nlpkit train configs/names-gru.toml -o runs/names
      nlpkit train configs/names-gru.toml -o runs/names --set model.hidden_size=256 --device cuda
      nlpkit train configs/names-gru.toml -o runs/names --resume
    """
    from ..config import load_config
    from ..training import train as run_training

    config = load_config(config_path, list(overrides))
    show = sys.stderr.isatty() if progress is None else progress
    try:
        pipeline = run_training(config, output, device=device, seed=seed, resume=resume, overwrite=overwrite, progress=show)
    except KeyboardInterrupt:
        last = Path(output) / "checkpoints" / "last"
        if last.is_dir():
            click.echo(f"Interrupted. The last complete checkpoint is in {last}; continue with --resume.", err=True)
        else:
            click.echo("Interrupted before the first checkpoint; start again (with --overwrite).", err=True)
        sys.exit(130)
    _summary(pipeline, output)


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
