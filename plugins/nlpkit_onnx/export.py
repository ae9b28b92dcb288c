"""Export a pipeline's network to ONNX: the same pipeline, with its model stage replaced
by an :class:`~nlpkit_onnx.model.OnnxModel`.

The source model is traced by torch's TorchScript-based ONNX exporter with its recurrent
encoder always packing the batch by its lengths: the exporter turns packing into the
``sequence_lens`` input of ONNX's ``RNN``/``GRU``/``LSTM`` operators, so padding changes
no result in the graph either (both directions). Before anything is written, the graph is
run by ONNX Runtime on a batch of another shape and order and compared with torch.
"""

from __future__ import annotations

import io
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from nlpkit.batch import Batch
from nlpkit.count_model import is_count_model
from nlpkit.errors import InputError, MissingDependencyError, UsageError
from nlpkit.recurrent import RecurrentEncoder, run_packed

from .model import INSTALL, OnnxModel

OPSET = 17
#: Largest difference between torch's and ONNX Runtime's scores that the check accepts.
TOLERANCE = 1e-3
#: Tokens of the probe sentences (any text: unknown words are ``<unk>``).
PROBE_WORDS = ("The", "European", "Commission", "said", "on", "Thursday", "it", "disagreed", "with", "German",
               "advice", ".", "中", "国", "进", "出", "口", "银", "行", "与", "北京", "签", "约", "。")


def export_onnx(source: str | Path, output: str | Path, *, opset: int = OPSET) -> Any:
    """Write an ONNX Runtime version of the pipeline ``source`` (a directory or a pretrained
    name) to the folder ``output``; returns the exported pipeline."""
    from nlpkit.pipeline import Pipeline

    _require("onnxruntime")
    pipeline = Pipeline.from_disk(source, device="cpu")
    check_exportable(pipeline.model, str(source))
    model = pipeline.model.eval()
    features = _feature_names(pipeline.encoder)
    exported = OnnxModel.from_graph(
        trace(model, _probe(pipeline.encoder, 5, reverse=False), features, opset), model.head, model.num_outputs,
        source=model.name, features=features, crf_scores=_crf_scores(model))
    exported.place("cpu")
    check_same(model, exported, _probe(pipeline.encoder, 7, reverse=True))
    meta = {**pipeline.meta, "export": _provenance(model, opset)}
    result = Pipeline(pipeline.task, pipeline.tokenizer, pipeline.encoder, exported, pipeline.decoder,
                      pipeline.labels, meta)
    result.to_disk(output)
    return result


def check_exportable(model: Any, source: str) -> None:
    """A :class:`~nlpkit.errors.UsageError` saying why ``model`` has no ONNX export, if it has none."""
    name = getattr(model, "name", type(model).__name__)
    if is_count_model(model):
        raise UsageError(f"Cannot export {source} to ONNX: its model '{name}' is fitted from counts and decoded "
                         "by dynamic programming in Python, not a neural network, so there is no graph to export.")
    if isinstance(model, OnnxModel):
        raise UsageError(f"{source} is already an ONNX pipeline (exported from model '{model.source}'); "
                         "export the source pipeline instead.")
    if getattr(model, "head", None) == "lm":
        raise UsageError(f"Cannot export {source} to ONNX: its model '{name}' is a language model, which generates "
                         "text one token at a time carrying its state; only tagging and classification heads export.")
    if not isinstance(getattr(model, "encoder", None), RecurrentEncoder):
        raise UsageError(f"Cannot export {source} to ONNX: model '{name}' has no ONNX export (models built on "
                         "nlpkit.recurrent.RecurrentEncoder do: rnn, gru, lstm, bilstm, bilstm-crf).")


# -- tracing ------------------------------------------------------------------------------


class _Network(torch.nn.Module):
    """The model as a function of tensors: ``(ids, mask, *features) -> emissions or logits``."""

    def __init__(self, model: Any, features: list[str]) -> None:
        super().__init__()
        self.model, self.features = model, features

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, *features: torch.Tensor) -> torch.Tensor:
        scores = self.model(Batch(ids, mask, None, dict(zip(self.features, features))))
        return scores.logits if scores.logits is not None else scores.emissions


def trace(model: Any, batch: Batch, features: list[str], opset: int = OPSET) -> bytes:
    """The ONNX graph of ``model`` (in eval mode), traced on ``batch`` (rows longest first)."""
    inputs = (batch.ids, batch.mask, *(batch.features[name] for name in features))
    names = ["ids", "mask", *features]
    axes = {"ids": {0: "batch", 1: "time"}, "mask": {0: "batch", 1: "time"},
            **{name: {0: "batch", 1: "time", 2: "width"} for name in features}}
    output = "logits" if model.head == "classify" else "emissions"
    axes[output] = {0: "batch"} if model.head == "classify" else {0: "batch", 1: "time"}
    buffer = io.BytesIO()
    with _always_packed(model.encoder), _quiet_native_warnings(), warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(_Network(model, features).eval(), inputs, buffer, dynamo=False, input_names=names,
                              output_names=[output], dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
        except (RuntimeError, TypeError, ValueError, NotImplementedError, AttributeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"Cannot export model '{model.name}' to ONNX: tracing failed ({first}).") from None
    return buffer.getvalue()


@contextmanager
def _always_packed(encoder: RecurrentEncoder) -> Iterator[None]:
    """Run ``encoder`` with its batch always packed (as the exporter maps packing to
    ``sequence_lens``), whatever the lengths of the batch it is traced on."""
    encoder.forward = types.MethodType(_packed_forward, encoder)  # type: ignore[method-assign]
    try:
        yield
    finally:
        del encoder.forward


@contextmanager
def _quiet_native_warnings() -> Iterator[None]:
    """Hide what the exporter's C++ code prints on file descriptor 2 while it runs: shape
    inference warns that packing has no ONNX shape, which is harmless here (the packing
    becomes ``sequence_lens``). Python exceptions are not affected."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _packed_forward(self: RecurrentEncoder, vectors: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return run_packed(self.rnn, self.prepare(vectors), lengths, for_export=True)  # shape: [B, T, D*H]


# -- checking -----------------------------------------------------------------------------


def check_same(model: Any, exported: OnnxModel, batch: Batch) -> None:
    """Refuse a graph whose scores on ``batch`` differ from torch's (real tokens only)."""
    model.eval()
    with torch.inference_mode():
        theirs, ours = model(batch), exported(batch)
    if model.head == "classify":
        pairs = [(theirs.logits, ours.logits)]
    else:
        pairs = [(theirs.emissions[batch.mask], ours.emissions[batch.mask])]
    worst = max(float((a.float() - b.float()).abs().max()) for a, b in pairs)
    if not worst <= TOLERANCE:
        raise UsageError(f"The ONNX graph of model '{model.name}' does not reproduce it: scores differ by up to "
                         f"{worst:.3g} on a probe batch; it was not written.")


def _probe(encoder: Any, rows: int, reverse: bool) -> Batch:
    """A batch of ``rows`` sentences of different lengths encoded by ``encoder``: longest
    first (as tracing wants), or shortest first (to check an order the trace never saw)."""
    from nlpkit.data import SequenceData

    words = list(PROBE_WORDS)
    sentences = [[words[(i * 7 + j) % len(words)] for j in range(3 + 4 * i)] for i in range(rows)]
    sentences.sort(key=len, reverse=not reverse)
    sentences[-1 if not reverse else 0] = [words[0]]  # one single-token row
    data = SequenceData.encode(encoder, sentences)
    return data.batch(list(range(len(sentences))))


def _feature_names(encoder: Any) -> list[str]:
    """The features the encoder gives beside the word ids, in a fixed order."""
    return sorted(encoder.features(["a", "b"]) or {})


def _crf_scores(model: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    layer = getattr(model, "crf_layer", None)
    if layer is None:
        return None
    with torch.no_grad():
        return layer.scores()


def _provenance(model: Any, opset: int) -> dict[str, Any]:
    import onnxruntime

    return {"format": "onnx", "source_model": model.name, "source_options": model.config(), "opset": opset,
            "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def _require(module: str) -> None:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"nlpkit export --format onnx needs {module}: {INSTALL}") from None


def check_output(source: str, output: Path) -> None:
    """Refuse to write over the source pipeline, or over a folder that is not a pipeline."""
    from nlpkit.pipeline import pipeline_root
    from nlpkit.pretrained import locate

    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; name a folder for the exported pipeline.")
    if output.is_dir() and any(output.iterdir()) and not (output / "pipeline.json").is_file():
        raise UsageError(f"{output} exists and is not an nlpkit pipeline; name a new folder (it would be replaced).")
    try:
        root = pipeline_root(locate(source))
    except InputError:
        return  # loading the source reports it
    if output.resolve() == root.resolve():
        raise UsageError(f"{output} is the source pipeline itself; export to another folder.")
