"""``nlpkit evaluate``: score a trained pipeline on a corpus."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("model_dir", metavar="MODEL_DIR")
@click.argument("corpus", metavar="CORPUS")
@click.option("--format", "fmt", metavar="FORMAT", default=None,
              help="Corpus format, one `nlpkit plugins` lists [default: the training format].")
@click.option("--json", "as_json", is_flag=True, help="Print all metrics as JSON.")
@click.option("--confusion", metavar="PNG", help="Classification: save the confusion matrix as a PNG.")
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
def evaluate(model_dir: str, corpus: str, fmt: str | None, as_json: bool, confusion: str | None,
             batch_size: int, device: str) -> None:
    """Score the pipeline in MODEL_DIR on CORPUS (a path, or corpus:NAME/FILE).

    \b
    Examples:
      nlpkit evaluate runs/pos corpus:ud_english_ewt/en_ewt-ud-dev.conllu
      nlpkit evaluate runs/sentiment dev.tsv --json --confusion confusion.png
    """
    from pathlib import Path

    from ..config import resolve_corpus_path
    from ..corpus import check_format
    from ..evaluation import evaluate as run_evaluation
    from ..evaluation import plot_confusion
    from ..pipeline import load

    if fmt is not None:
        check_format(fmt)
    pipeline = load(model_dir, device=device)
    if confusion and pipeline.task.name != "classify":
        raise click.UsageError("--confusion applies to classification pipelines only.")
    metrics = run_evaluation(pipeline, resolve_corpus_path(corpus, Path.cwd()), fmt, batch_size)
    if confusion:
        plot_confusion(metrics["confusion"], confusion)
    if as_json:
        click.echo(json.dumps(metrics, indent=2, ensure_ascii=False))
        return
    _table(metrics)


def _table(metrics: dict) -> None:
    """The metrics as text: one line per score (``n/a`` for an undefined one, such as the
    OOV recall of a corpus without OOV words), then any per-class or per-type table."""
    for key, value in metrics.items():
        if isinstance(value, float) or value is None:
            click.echo(f"{key:<16} {_number(value)}")
    for key, heading in (("per_class", "label"), ("per_type", "type")):
        rows = metrics.get(key)
        if rows:
            width = max(len(heading), *(len(label) for label in rows))
            click.echo(f"\n{heading:<{width}}  precision  recall  f1      support")
            for label, row in rows.items():
                click.echo(f"{label:<{width}}  {row['precision']:.4f}     {row['recall']:.4f}  {row['f1']:.4f}  "
                           f"{int(row['support'])}")


def _number(value: float | None) -> str:
    """``value`` to four decimals, or ``n/a`` for an undefined (``None``) score."""
    return "n/a" if value is None else f"{value:.4f}"
