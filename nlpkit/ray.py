"""nlpkit inside Ray Data: :func:`annotate` adds a pipeline's results to a dataset's rows.

For people already in Ray: ``nlpkit.ray.annotate(ray.data.read_text(...), "zh-cws")``
returns a dataset to write, join or feed on. Ray is imported here only when called
(``pip install "nlpkit[ray]"``); ``import nlpkit`` never imports this module.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import MissingDependencyError


def annotate(dataset: Any, pipeline: str, *, column: str = "text", actors: int = 1, gpus_per_actor: float = 0.0,
             batch_size: int = 64, scores: bool = False) -> Any:
    """``dataset`` with two more columns: ``result``, the JSON ``nlpkit predict -f json`` prints
    for the row's ``column`` (a string, or None), and ``error`` (None, or why the row has no
    result). Runs on an actor pool of ``actors`` actors, each loading ``pipeline`` (a
    pipeline or tokenizer name, or a folder every node reaches) once; ``scores``: compute
    confidences, as ``nlpkit predict --scores``."""
    try:
        import ray.data
    except ImportError:
        raise MissingDependencyError("nlpkit.ray needs Ray Data: pip install \"nlpkit[ray]\"") from None
    return dataset.map_batches(
        _Annotate, fn_constructor_kwargs={"pipeline": pipeline, "column": column, "batch_size": batch_size,
                                          "device": "cuda" if gpus_per_actor else "cpu", "scores": scores},
        batch_format="pandas", batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=gpus_per_actor or None,
    )


class _Annotate:
    """The actor: the pipeline loaded once; each call annotates one pandas batch."""

    def __init__(self, pipeline: str, column: str, batch_size: int, device: str, scores: bool = False) -> None:
        from .annotation import TextAnnotator

        self.column, self.texts = column, TextAnnotator(pipeline, batch_size, device, scores)

    def __call__(self, batch: Any) -> Any:
        values = list(batch[self.column])
        usable = [i for i, v in enumerate(values) if isinstance(v, str)]
        outcomes = dict(zip(usable, self.texts.annotate([values[i] for i in usable])))
        results, errors = [], []
        for i in range(len(values)):
            outcome = outcomes.get(i, {"error": f"column '{self.column}' holds no text here"})
            results.append(json.dumps(outcome["result"], ensure_ascii=False) if "result" in outcome else None)
            errors.append(outcome.get("error"))
        return batch.assign(result=results, error=errors)
