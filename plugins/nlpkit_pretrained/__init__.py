"""Pretrained pipelines shipped with nlpkit, by name: ``nlpkit.load("zh-cws")``,
``nlpkit predict en-ner "..."``, ``nlpkit tokenize -t zh-cws``; ``nlpkit models`` lists them.

Each pipeline is a directory under ``pipelines/`` (package data) with its ``card.json``,
written by ``benchmarks/build_pretrained.py`` from a config in ``configs/``. The plugin
registers every directory it finds, as a third-party package would register its own.
It also registers the ``pipeline`` tokenizer: a ``segment`` pipeline (by name or
directory) used as the tokenizer of another pipeline, such as ``zh-pos``.
"""

from __future__ import annotations

import warnings
from importlib.resources import files
from pathlib import Path

from nlpkit import hookimpl
from nlpkit.errors import NlpkitError
from nlpkit.plugins import PluginLoadWarning
from nlpkit.pretrained import CARD_FILE, read_card


def pipelines_dir() -> Path:
    """Where this package's pipeline directories are."""
    return Path(str(files(__package__) / "pipelines"))


@hookimpl
def register_pipelines(register):  # type: ignore[no-untyped-def]
    root = pipelines_dir()
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        if not (folder / CARD_FILE).is_file():
            continue
        try:
            facts = read_card(folder)
        except NlpkitError as exc:  # one damaged card must not take the other pipelines away
            warnings.warn(f"nlpkit skipped the pretrained pipeline in {folder.name}: {exc}", PluginLoadWarning,
                          stacklevel=2)
            continue
        register(**facts)


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register("nlpkit.pipeline_tokenizer:PipelineTokenizer", name="pipeline")
