"""The ``onnx`` model: an exported network run by ONNX Runtime, in an ordinary pipeline.

Its ``model/`` folder holds ``model.onnx`` (the encoder's input layer, the recurrent network
and the head, as one graph) and, for a CRF model, ``crf.safetensors`` (the transition, start
and end scores, constraints applied). It returns the :class:`~nlpkit.scores.Scores` the
source model returned, so the pipeline's decoder (``viterbi``, ``argmax``) runs unchanged.

An ONNX file is a protobuf graph of standard operators: loading one runs no Python code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from nlpkit.batch import Batch
from nlpkit.errors import InputError, MissingDependencyError, UsageError
from nlpkit.model import Head, Model
from nlpkit.scores import Scores

GRAPH = "model.onnx"
CRF_SCORES = "crf.safetensors"
CRF_NAMES = ("transitions", "start", "end")
INSTALL = 'pip install "nlpkit[onnx]"'


class OnnxModel(Model):
    """A network exported by ``nlpkit export --format onnx``, run by ONNX Runtime.

    Options (written by the export, not chosen by hand):

    - ``source``: the name of the model it was exported from (``bilstm-crf``, ``lstm``...);
    - ``features``: the encoder features the graph reads beside the word ids (``chars``,
      ``bigrams``, ``lexicon``...), in its input order;
    - ``crf``: whether ``model/`` holds CRF scores for the ``viterbi`` decoder.

    ONNX Runtime uses as many intra-op threads as torch (``torch.get_num_threads()``),
    read when a batch runs, with all graph optimisations on.
    """

    name = "onnx"
    heads = ("tag", "classify")

    def __init__(self, embedding: Any, head: Head, num_outputs: int, /, *, source: str = "",
                 features: list[str] | None = None, crf: bool = False) -> None:
        super().__init__(embedding, head, num_outputs)
        self.source, self.features, self.crf = source, list(features or []), crf
        self.graph: bytes = b""
        self.provider = "CPUExecutionProvider"
        self._session: Any = None
        self._threads = 0
        for name in CRF_NAMES:
            self.register_buffer(name, None)

    @classmethod
    def build(cls, encoder: Any, head: Head, num_outputs: int, **options: Any) -> OnnxModel:
        """No torch input layer: the encoder's embedding is inside the graph."""
        return cls(None, head, num_outputs, **options)

    @classmethod
    def from_graph(cls, graph: bytes, head: Head, num_outputs: int, *, source: str, features: list[str],
                   crf_scores: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None) -> OnnxModel:
        """The model for an exported ``graph`` (and the source model's CRF scores, if any)."""
        model = cls(None, head, num_outputs, source=source, features=features, crf=crf_scores is not None)
        model.graph = graph
        if crf_scores is not None:
            for name, value in zip(CRF_NAMES, crf_scores):
                setattr(model, name, value.detach().float().cpu().contiguous())
        return model

    # -- saving -----------------------------------------------------------------------

    def to_disk(self, path: Path) -> None:
        (Path(path) / GRAPH).write_bytes(self.graph)
        if self.crf:
            from safetensors.torch import save_file

            save_file({name: getattr(self, name) for name in CRF_NAMES}, str(Path(path) / CRF_SCORES))

    def from_disk(self, path: Path) -> None:
        graph = Path(path) / GRAPH
        try:
            self.graph = graph.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the ONNX graph: {exc.strerror}", str(graph)) from None
        if self.crf:
            self._read_crf(Path(path) / CRF_SCORES)
        self._open()  # a broken graph fails on load, not on the first text

    def _read_crf(self, file: Path) -> None:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            scores = load_file(str(file))
            for name in CRF_NAMES:
                setattr(self, name, scores[name])
        except (OSError, KeyError, SafetensorError) as exc:
            raise InputError(f"cannot load the CRF scores: {exc}", str(file)) from None

    def place(self, device: Any) -> OnnxModel:
        """CPU, or CUDA when asked for and ONNX Runtime has its CUDA provider (``auto``
        takes CUDA only then); scores come back on the CPU, where the decoders run."""
        available = _onnxruntime().get_available_providers()
        wants_cuda = device in (None, "auto") or str(device).startswith("cuda")
        provider = "CUDAExecutionProvider" if wants_cuda and "CUDAExecutionProvider" in available else "CPUExecutionProvider"
        if str(device).startswith("cuda") and provider != "CUDAExecutionProvider":
            raise UsageError(f"'{device}' was asked for, but this ONNX Runtime has no CUDA provider "
                             f"(it has: {', '.join(available)}); use --device cpu, or install onnxruntime-gpu.")
        if provider != self.provider:
            self.provider, self._session = provider, None
        return self

    # -- running ----------------------------------------------------------------------

    def session(self) -> Any:
        """The ONNX Runtime session, (re)opened when torch's thread count changed."""
        if self._session is None or self._threads != torch.get_num_threads():
            self._open()
        return self._session

    def _open(self) -> None:
        ort = _onnxruntime()
        options = ort.SessionOptions()
        self._threads = torch.get_num_threads()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        state = ort.capi.onnxruntime_pybind11_state
        try:
            providers = [self.provider] if self.provider == "CPUExecutionProvider" else [self.provider, "CPUExecutionProvider"]
            self._session = ort.InferenceSession(self.graph, options, providers=providers)
        except (state.Fail, state.InvalidProtobuf, state.InvalidGraph, state.InvalidArgument, RuntimeError) as exc:
            raise InputError(f"ONNX Runtime cannot load the exported graph: {exc}", GRAPH) from None

    def forward(self, batch: Batch) -> Scores:  # type: ignore[override]
        """The source model's scores for ``batch``, computed by ONNX Runtime (emissions of
        padding positions are zeros)."""
        feeds = {"ids": _array(batch.ids), "mask": _array(batch.mask)}
        for name in self.features:
            if name not in batch.features:
                raise UsageError(f"this ONNX model reads '{name}' features beside the word ids and the batch has "
                                 "none: encode the tokens with the pipeline's own encoder")
            feeds[name] = _array(batch.features[name])
        values = torch.from_numpy(self._run(feeds))
        if self.head == "classify":
            return Scores(logits=values)  # shape: [B, C]
        if not self.crf:
            return Scores(emissions=values, mask=batch.mask)  # shape: [B, T, C]
        return Scores(emissions=values, mask=batch.mask, transitions=self.transitions, start=self.start, end=self.end)

    def _run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Run the graph on groups of rows of similar length, each cut to its longest row.

        ONNX Runtime's recurrent operators step through every row of a batch up to the
        longest one (torch's packed sequences stop each row at its end): a batch of texts in
        input order, as ``Pipeline.pipe`` makes, would mostly compute padding."""
        session = self.session()
        lengths = feeds["mask"].sum(axis=1)  # shape: [B]
        feeds = {i.name: feeds[i.name] for i in session.get_inputs()}  # an input the graph never read is not in it
        order = np.argsort(-lengths, kind="stable")
        groups = length_groups(lengths[order].tolist())
        if len(groups) == 1:
            return session.run(None, feeds)[0]
        out: np.ndarray | None = None
        for start, end in groups:
            rows = order[start:end]
            width = max(int(lengths[rows[0]]), 1)
            part = session.run(None, {name: value[rows, :width] for name, value in feeds.items()})[0]
            if out is None:  # logits [B, C], or emissions [B, T, C] with zeros at padding
                shape = (len(order), part.shape[1]) if part.ndim == 2 else (len(order), feeds["ids"].shape[1], part.shape[2])
                out = np.zeros(shape, dtype=part.dtype)
            out[rows, : part.shape[1]] = part
        assert out is not None
        return out

    def loss(self, scores: Scores, batch: Batch, label_smoothing: float = 0.0) -> torch.Tensor:
        """The source model's loss: the CRF's NLL per real token, or cross-entropy."""
        if not self.crf:
            return super().loss(scores, batch, label_smoothing)
        from nlpkit.crf import crf_nll

        assert scores.emissions is not None and scores.mask is not None and batch.labels is not None
        return crf_nll(scores.emissions, batch.labels, scores.mask, self.transitions, self.start, self.end,
                       reduction="token_mean")


def length_groups(lengths: list[int], smallest: int = 8, ratio: float = 0.75) -> list[tuple[int, int]]:
    """Cut ``lengths`` (longest first) into runs ``[start, end)``: a new run starts when a
    row is shorter than ``ratio`` times its run's longest and the run has ``smallest`` rows,
    so little padding is computed while runs stay large enough to batch well."""
    groups, start = [], 0
    for i, length in enumerate(lengths):
        if i - start >= smallest and length < ratio * lengths[start]:
            groups.append((start, i))
            start = i
    groups.append((start, len(lengths)))
    return groups


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError(f"Running an exported ONNX pipeline needs ONNX Runtime: {INSTALL}") from None
    return onnxruntime

