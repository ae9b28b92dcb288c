"""``nlpkit predict``: run a trained pipeline on text."""

from __future__ import annotations

import click

from ..formats import FORMATS


@click.command()
@click.argument("model_dir", metavar="MODEL_DIR")
@click.argument("texts", nargs=-1)
@click.option("-i", "--input", "input_path", metavar="FILE", help="Read one text per line from FILE ('-' for stdin).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True)
@click.option("--scores", is_flag=True,
              help="Compute confidences (-f json): entity scores, per-token tag and per-word segment scores.")
def predict(model_dir: str, texts: tuple[str, ...], input_path: str | None, output: str | None, fmt: str,
            batch_size: int, device: str, errors: str, scores: bool) -> None:
    """Label TEXT arguments, stdin, or --input FILE with the pipeline in MODEL_DIR.

    One result per input line. Classifiers print LABEL<TAB>PROBABILITY; taggers
    word/TAG; ner pipelines the text with each entity marked, Obama[PER:0-5];
    segment pipelines the words separated by spaces. -f json is lossless (offsets,
    entities); -f conll gives one token and its tag per line. Confidences cost time and
    are computed only with --scores: without it, JSON has "score": null for entities
    and "scores": null for taggers and segmenters.

    \b
    Examples:
      nlpkit predict runs/names/model Satoshi Schmidt
      nlpkit predict runs/pos -f conll "The cat sat."
      nlpkit predict runs/ner "Obama visited Paris ."
      nlpkit predict runs/ner -f json --scores "Obama visited Paris ."
      nlpkit predict runs/sentiment -i reviews.txt -f json -o predictions.jsonl
    """
    from contextlib import ExitStack

    from ..formats import format_result
    from ..io import STDIN, atomic_write, read_lines
    from ..pipeline import load
    from .tokenize import _stdout

    pipeline = load(model_dir, device=device)
    source = (line for line, _ in read_lines(input_path or STDIN, errors)) if input_path or not texts else iter(texts)
    with ExitStack() as stack:
        out = stack.enter_context(atomic_write(output)) if output else _stdout()
        for result in pipeline.pipe(source, batch_size=batch_size, scores=scores):
            out.write(result.format(fmt) if hasattr(result, "format") else format_result(result, fmt))
        out.flush()
