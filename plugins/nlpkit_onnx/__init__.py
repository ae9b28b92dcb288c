"""ONNX Runtime inference for recurrent pipelines: ``nlpkit export --format onnx``.

- :mod:`.export` traces a pipeline's network to ONNX and writes the pipeline again with
  its model stage replaced;
- :mod:`.model` is that stage, the ``onnx`` model: an ONNX Runtime session that returns
  the scores the source model returned, so the decoders run unchanged;
- :mod:`.cli` is the command.

ONNX Runtime and onnx are an optional extra (``pip install "nlpkit[onnx]"``): nothing here
imports them, or torch, until a command runs or an exported pipeline loads.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    register(f"{__name__}.model:OnnxModel", name="onnx")


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import export

    cli.add_command(export)
