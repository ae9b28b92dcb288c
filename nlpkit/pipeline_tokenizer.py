"""A trained word-segmentation pipeline as a tokenizer.

``nlpkit tokenize -t runs/cws "我来到北京"`` and ``nlpkit.get_tokenizer("runs/cws")``
take the directory of a ``segment`` pipeline (or the run folder holding it), or a
pretrained one by name (``-t zh-cws``), wherever a tokenizer name goes: its predicted
words are the tokens, with exact offsets. In a training config it is the tokenizer
``pipeline`` (``[tokenizer] name = "pipeline"``, ``path = "zh-cws"``), or just
``name = "zh-cws"``; a saved pipeline keeps a name as a name and a copy of a directory.

Nothing here imports torch: :mod:`nlpkit.pipeline` does, when the pipeline is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import InputError, OptionError, UsageError
from .options import check_options
from .tokenizer import Tokenizer
from .tokens import Tokens


class PipelineTokenizer(Tokenizer):
    """The words a ``segment`` pipeline finds, as :class:`~nlpkit.tokens.Tokens`.

    ``path`` is the pipeline directory (or a training run folder holding ``model/``);
    ``device`` where it runs (``auto``, ``cpu``, ``cuda``...); ``batch_size`` texts per
    forward pass. Any other pipeline (a classifier, a tagger) is a :class:`UsageError`.
    """

    name = "pipeline"
    #: A saved pipeline keeps a copy of the segmenter's directory (a pretrained name stays a name).
    file_options = ("path",)

    def __init__(self, path: str, *, device: str = "auto", batch_size: int = 64) -> None:
        from .pipeline import load
        from .pretrained import locate

        self.path, self.device, self.batch_size = str(path), device, batch_size
        task = pipeline_task(locate(path))
        if task != "segment":
            raise UsageError(
                f"{path} holds a '{task}' pipeline, which does not split text into words; only a 'segment' "
                "pipeline (word segmentation, trained with [task] name = \"segment\") can be used as a tokenizer."
            )
        self._pipeline = load(path, device=device)

    def tokenize(self, text: str) -> Tokens:
        return self.tokenize_batch([text])[0]

    def tokenize_batch(self, texts: list[str]) -> list[Tokens]:
        return [result.words for result in self._pipeline.pipe(texts, batch_size=self.batch_size)]


def pipeline_task(path: Path) -> str:
    """The task name recorded in the pipeline at ``path`` (or in ``path/model``), read
    without loading the pipeline."""
    for root in (path, path / "model"):
        spec = root / "pipeline.json"
        if spec.is_file():
            try:
                return str(json.loads(spec.read_text(encoding="utf-8"))["task"]["name"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise InputError(f"not a readable nlpkit pipeline description: {exc}", str(spec)) from None
    raise InputError("not an nlpkit pipeline: no pipeline.json here (nor in model/); a tokenizer given as a "
                     "folder must be a trained 'segment' pipeline", str(path))


def pipeline_tokenizer(path: str, options: dict[str, Any]) -> PipelineTokenizer:
    """A :class:`PipelineTokenizer` for ``path`` with checked ``options``."""
    what = f"Tokenizer '{path}' (a segment pipeline)"
    check_options(PipelineTokenizer, options, what)
    if "path" in options:
        raise OptionError(f"{what}: the folder is the path; give no 'path' option.")
    return PipelineTokenizer(str(Path(path).expanduser()), **options)
