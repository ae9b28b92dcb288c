"""``nlpkit annotate PIPELINE INPUT... -o OUTDIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("pipeline", metavar="PIPELINE")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="OUTDIR", help="Folder for the shards and manifest.json.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True, help="local: processes of this machine.")
@click.option("--address", default=None, help="ray: a cluster to join (auto, or ray://HOST:PORT); default: a local Ray.")
@click.option("--actors", type=click.IntRange(1), default=1, show_default=True, help="ray: actors, each loading the pipeline.")
@click.option("--gpus-per-actor", type=click.FloatRange(0), default=0.0, show_default=True, help="ray: GPUs per actor.")
@click.option("--format", "fmt", type=click.Choice(["auto", "text", "jsonl"]), default="auto", show_default=True,
              help="auto: JSON lines for .jsonl/.json/.ndjson names, else one text per line.")
@click.option("--field", default="text", show_default=True, help="The field of each JSON line that holds the text.")
@click.option("--shard-lines", type=click.IntRange(1), default=10_000, show_default=True, help="Input lines per shard.")
@click.option("--max-chars", type=click.IntRange(1), default=100_000, show_default=True,
              help="A longer text becomes an error record.")
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True)
@click.option("--scores", is_flag=True, help="Compute confidences, as nlpkit predict --scores.")
@click.option("--overwrite", is_flag=True, help="Replace the output of another run in OUTDIR.")
@click.option("--progress/--no-progress", default=None, help="A progress bar (default: when stderr is a terminal).")
def annotate(pipeline: str, inputs: tuple[str, ...], output: str, engine: str, jobs: int, address: str | None,
             actors: int, gpus_per_actor: float, fmt: str, field: str, shard_lines: int, max_chars: int,
             batch_size: int, scores: bool, overwrite: bool, progress: bool | None) -> None:
    """Annotate whole corpora with PIPELINE (a pipeline or tokenizer name, or a folder).

    INPUTs are files, globs or folders, one text per line (or a field of JSON lines).
    OUTDIR gets shards/*.jsonl, one record per input line ({"id": "FILE:LINE", "file",
    "line", "result"}, or "error" for a line that could not be annotated), and
    manifest.json. Rerun the same command to resume: finished shards are kept.

    \b
    Examples:
      nlpkit annotate zh-cws corpus/*.txt -o out/cws --jobs 2
      nlpkit annotate en-ner news.jsonl --field body -o out/ner
      nlpkit annotate jieba big.txt -o out/jieba --shard-lines 50000
      nlpkit annotate zh-cws /shared/corpus -o /shared/out --engine ray --address auto --actors 16
    """
    from .shards import Manifest, plan
    from .sources import input_files

    files = input_files(inputs)
    folder = Path(output)
    settings = {"pipeline": pipeline, "format": fmt, "field": field, "shard_lines": shard_lines, "max_chars": max_chars,
                "inputs": [str(f) for f in files], **({"scores": True} if scores else {})}
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(folder, settings, overwrite)
    shards = plan(files, shard_lines)
    todo = [s for s in shards if not manifest.finished(s)]
    job = {"name": pipeline, "folder": str(folder.resolve()), "field": field, "format": fmt, "max_chars": max_chars,
           "batch_size": batch_size, "device": "cuda" if gpus_per_actor else "cpu", "scores": scores}
    total = sum(s.stop - s.start for s in todo)
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    with tqdm(total=total, unit=" texts", disable=not show, smoothing=0.1) as bar:
        def done(entry: dict) -> None:
            manifest.add(entry)
            bar.update(entry["records"])

        if engine == "ray":
            from . import ray_engine

            ray_engine.run(todo, job, done, address=address, actors=actors, gpus_per_actor=gpus_per_actor)
        else:
            from . import local

            local.run(todo, jobs, job, done)
    manifest.save(complete=True)
    records = sum(e["records"] for e in manifest.done.values())
    errors = sum(e["errors"] for e in manifest.done.values())
    click.echo(f"Annotated {records:,} lines into {len(manifest.done)} shards in {folder} "
               f"({len(shards) - len(todo)} kept from an earlier run); {errors:,} error records.", err=True)
