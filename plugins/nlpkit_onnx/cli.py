"""``nlpkit export PIPELINE --format onnx -o DIR``: a pipeline whose network runs on ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("pipeline")
@click.option("--format", "fmt", type=click.Choice(["onnx"]), default="onnx", show_default=True,
              help="What to export to.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="The folder to write the exported pipeline to (replaced if it holds a pipeline).")
@click.option("--opset", type=click.IntRange(14), default=17, show_default=True, help="ONNX opset version.")
def export(pipeline: str, fmt: str, output: Path, opset: int) -> None:
    """Export PIPELINE (a directory or a pretrained name) so that its network runs on ONNX Runtime.

    The result is an ordinary pipeline directory: `nlpkit predict`, `serve` and `annotate`,
    and nlpkit.load() in Python, run it like any other. RNN, GRU, LSTM and BiLSTM(-CRF)
    models with tagging, NER, segmentation and classification heads export; the CRF's
    Viterbi decoding stays in nlpkit's decoder.

    \b
    Examples:
      nlpkit export en-ner --format onnx -o en-ner-onnx
      nlpkit predict en-ner-onnx "EU rejects German call ."
    """
    from .export import check_output, export_onnx

    check_output(pipeline, output)
    result = export_onnx(pipeline, output, opset=opset)
    size = (output / "model" / "model.onnx").stat().st_size / 1e6
    click.echo(f"Exported {pipeline} (model '{result.model.source}', {fmt}) to {output}: model/model.onnx "
               f"{size:.1f} MB, checked against torch.")
