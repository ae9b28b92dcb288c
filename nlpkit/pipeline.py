"""A trained pipeline: tokenizer, encoder, model, decoder and task, saved as a directory.

::

    model-dir/
      pipeline.json        format version, nlpkit version, task, each stage's name and
                           providing plugin and distribution, labels
      tokenizer/config.json  tokenizer/files/ (copies of the files it reads: user dictionaries)
      encoder/config.json  encoder/vocab.json
      model/config.json    model/weights.safetensors (count models: what they save)
      decoder/config.json
      task/                what the task learnt from the data, when it keeps anything
                           (segment: words.txt, the training words, for OOV recall)
      meta.json            metrics, seed, corpus checksums, library versions, config

No pickle anywhere: configs are JSON and weights are safetensors, so loading a
pipeline never runs code from the directory. Writes go to a temporary directory
that replaces the old one only when complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .about import __version__
from .errors import (
    InputError,
    MissingDependencyError,
    UnknownComponentError,
    UsageError,
)
from .io import atomic_dir
from .parallel import batched
from .registry import PIPELINE_STAGES, SECTION_KINDS

FORMAT_VERSION = 1
STAGES = {stage: SECTION_KINDS[stage] for stage in PIPELINE_STAGES}


class Pipeline:
    """``text -> tokenize -> encode -> model -> decode -> result``; call it on text."""

    def __init__(self, task, tokenizer, encoder, model, decoder, labels=None, meta: dict | None = None) -> None:  # type: ignore[no-untyped-def]
        self.task, self.tokenizer, self.encoder = task, tokenizer, encoder
        self.model, self.decoder, self.labels = model, decoder, labels
        self.meta = meta or {}

    def __call__(self, text: str, *, scores: bool = False) -> Any:
        """The result for one text; ``scores`` as in :meth:`pipe`."""
        return next(iter(self.pipe([text], scores=scores)))

    def pipe(self, texts: Iterable[str], batch_size: int = 64, *, scores: bool = False) -> Iterator[Any]:
        """Predict for a stream of texts, ``batch_size`` at a time, in input order.

        Confidences cost time (a softmax per token, or an HMM's forward-backward), so they
        are computed only with ``scores``: entity scores (``Entity.score``), per-token scores
        of taggers and per-word scores of segmenters (``result.scores``); without it those
        are ``None`` (``null`` in JSON). A classifier's probabilities are its result: always there.
        """
        if not hasattr(self.task, "predict"):
            raise UsageError(f"A '{self.task.name}' pipeline does not label text, it writes it: run "
                             "'nlpkit generate MODEL --prefix TEXT', or Pipeline.generate() in Python.")
        for chunk in batched(texts, batch_size):
            yield from self.task.predict(self, chunk, batch_size, scores=scores)

    def generate(self, prefix: str = "", max_length: int = 200, seed: int | None = None) -> str:
        """Sample a continuation of ``prefix`` (language-model pipelines)."""
        import torch

        from .tasks.base import model_device

        if not hasattr(self.task, "generate"):
            raise UsageError(f"A '{self.task.name}' pipeline cannot generate text; train a 'generate' task.")
        generator = None
        if seed is not None:
            generator = torch.Generator(device=model_device(self.model)).manual_seed(seed)
        return self.task.generate(self, prefix, max_length, generator)

    def to(self, device: Any) -> Pipeline:
        self.model.to(device)
        return self

    # -- saving -----------------------------------------------------------------------

    def to_disk(self, path: str | Path) -> None:
        """Write the pipeline directory at ``path``, replacing any old one only when complete."""
        with atomic_dir(path) as tmp:
            self._write(tmp)

    def _write(self, root: Path) -> None:
        for stage in STAGES:
            (root / stage).mkdir()
        options = _bundle_files(self.tokenizer, root / "tokenizer")
        _write_json(root / "tokenizer" / "config.json", {"name": self.tokenizer.name, "options": options})
        _write_json(root / "encoder" / "config.json", {"name": self.encoder.name, "options": self.encoder.config()})
        self.encoder.to_disk(root / "encoder")
        model_config = {"name": self.model.name, "options": self.model.config(),
                        "head": self.model.head, "num_outputs": self.model.num_outputs}
        _write_json(root / "model" / "config.json", model_config)
        self.model.to_disk(root / "model")
        _write_json(root / "decoder" / "config.json", {"name": self.decoder.name, "options": self.decoder.config()})
        self.task.to_disk(root / "task")  # what the task learnt from the data, if anything
        _write_json(root / "meta.json", self.meta)
        from .integrity import digests

        _write_json(root / "pipeline.json", {
            "format_version": FORMAT_VERSION,
            "nlpkit_version": __version__,
            "task": {"name": self.task.name, "options": self.task.config()},
            "stages": {stage: _provenance(kind, getattr(self, stage).name) for stage, kind in STAGES.items()},
            "labels": None if self.labels is None else self.labels.to_json(),
            "files": digests(root),  # checked on load
        })

    # -- loading ----------------------------------------------------------------------

    @classmethod
    def from_disk(cls, path: str | Path, device: Any = "auto") -> Pipeline:
        """Load a pipeline directory (or a training output folder holding ``model/``), or a
        pretrained pipeline by name (``nlpkit.load("zh-cws")``; ``nlpkit models`` lists them).
        Every file is checked against the sha256 that ``pipeline.json`` records."""
        from .integrity import verify
        from .pretrained import locate

        root = pipeline_root(locate(path))
        spec = _read_json(root / "pipeline.json")
        if spec.get("format_version", 0) > FORMAT_VERSION:
            raise UsageError(
                f"{root} was written by nlpkit {spec.get('nlpkit_version')} in pipeline format "
                f"{spec['format_version']}; this nlpkit ({__version__}) reads up to format {FORMAT_VERSION}. "
                "Upgrade: pip install -U nlpkit"
            )
        verify(root, spec.get("files") or {})  # pipelines saved before checksums have none
        pipeline = _build(root, spec)
        pipeline.model = pipeline.model.place(device)
        return pipeline


load = Pipeline.from_disk


def _build(root: Path, spec: dict) -> Pipeline:
    from .tasks import task_class
    from .vocab import Vocab

    classes = {stage: _stage_class(stage, spec) for stage in STAGES}
    options = _read_json(root / "tokenizer" / "config.json")["options"]
    tokenizer = classes["tokenizer"](**_bundled_files(classes["tokenizer"], options, root / "tokenizer"))
    encoder = classes["encoder"](**_read_json(root / "encoder" / "config.json")["options"])
    encoder.from_disk(root / "encoder")
    model = _load_model(root / "model", classes["model"], encoder)
    decoder = classes["decoder"](**_read_json(root / "decoder" / "config.json")["options"])
    task = task_class(spec["task"]["name"])(**spec["task"]["options"])
    task.from_disk(root / "task")
    labels = None if spec.get("labels") is None else Vocab.from_json(spec["labels"])
    meta = _read_json(root / "meta.json") if (root / "meta.json").exists() else {}
    return Pipeline(task, tokenizer, encoder, model, decoder, labels, meta)


def _bundle_files(tokenizer: Any, folder: Path) -> dict:
    """The tokenizer's options with each file it reads (``file_options``: user dictionaries,
    a segmenter pipeline's directory) copied into ``folder/files/`` and named relative to
    ``folder``; a pretrained pipeline's name stays a name."""
    options = tokenizer.config()
    for name in getattr(tokenizer, "file_options", ()):
        value = options.get(name)
        paths = [value] if isinstance(value, str) else list(value or ())
        copies = [_bundle_one(path, folder, f"{name}-{i}") for i, path in enumerate(paths)]
        if paths:
            options[name] = copies[0] if isinstance(value, str) else copies
    return options


def _bundle_one(path: str, folder: Path, prefix: str) -> str:
    """Copy one file, or one pipeline directory, into ``folder/files``; its new relative name."""
    import shutil

    from .pretrained import is_path

    if not is_path(path):
        return path  # a pretrained pipeline, found by name wherever it is installed
    source = Path(path).expanduser()
    if source.is_dir():
        source = pipeline_root(source)
    copy = Path("files") / f"{prefix}-{Path(path).name}"
    (folder / "files").mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, folder / copy)
    else:
        shutil.copyfile(source, folder / copy)
    return copy.as_posix()


def _bundled_files(cls: type, options: dict, folder: Path) -> dict:
    """Options read back with bundled files named by their place in ``folder`` (a path
    that is not there, as pipelines from before bundling hold, is kept as it is)."""
    def place(path: str) -> str:
        inside = folder / path
        return str(inside) if not Path(path).is_absolute() and inside.exists() else path

    options = dict(options)
    for name in getattr(cls, "file_options", ()):
        value = options.get(name)
        if isinstance(value, str):
            options[name] = place(value)
        elif value:
            options[name] = [place(p) for p in value]
    return options


def _load_model(folder: Path, cls: type, encoder: Any) -> Any:
    """Rebuild the model from ``model/config.json`` and read what it saved there."""
    config = _read_json(folder / "config.json")
    model = cls.build(encoder, config["head"], config["num_outputs"], **config["options"])
    model.from_disk(folder)
    return model


def _stage_class(stage: str, spec: dict) -> type:
    from .registry import registry

    info = spec["stages"][stage]
    try:
        return registry(STAGES[stage]).get(info["name"])
    except UnknownComponentError:
        dist = info.get("distribution") or "the plugin that provides it"
        raise MissingDependencyError(
            f"This pipeline needs {stage} '{info['name']}' from distribution '{dist}', which is not installed. "
            f"Install it: pip install {dist}"
        ) from None


def _provenance(kind: str, name: str) -> dict:
    from .registry import registry

    entry = registry(kind).entry(name)
    return {"name": entry.name, "plugin": entry.plugin, "distribution": entry.distribution, "version": entry.version}


def pipeline_root(path: Path) -> Path:
    """The pipeline directory ``path`` is, or the ``model/`` of the training run it is."""
    if (path / "pipeline.json").is_file():
        return path
    if (path / "model" / "pipeline.json").is_file():
        return path / "model"
    raise InputError("not an nlpkit pipeline: no pipeline.json here (nor in model/)", str(path))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("missing from the pipeline directory", str(path)) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", str(path)) from None
