"""The plugin's pretrained pipeline, ``example-surnames``: registered by the
``register_pipelines`` hook from its card, loaded by name, checked on load."""

from __future__ import annotations

import json

import nlpkit
from nlpkit.pretrained import catalog
from nlpkit.testing import invoke


def test_the_pipeline_is_registered_from_its_card(sentences_plugin: str | None) -> None:
    entry = catalog().get("example-surnames")
    assert (entry.task, entry.language, entry.licence) == ("classify", "mul", "MIT")
    assert entry.plugin == "sentences" and entry.distribution == sentences_plugin
    assert (entry.path / "pipeline.json").is_file()


def test_it_labels_surnames_by_name() -> None:
    pipeline = nlpkit.load("example-surnames", device="cpu")
    assert [r.label for r in pipeline.pipe(["Tanaka", "Rossi", "Schmidt", "Ivanov", "Zhang"])] == [
        "Japanese", "Italian", "German", "Russian", "Chinese"]


def test_nlpkit_models_lists_it_with_its_score() -> None:
    listed = json.loads(invoke("models", "--json").stdout)["pipelines"]
    [entry] = [p for p in listed if p["name"] == "example-surnames"]
    assert entry["scores"] == {"names sample dev accuracy": 0.88}
