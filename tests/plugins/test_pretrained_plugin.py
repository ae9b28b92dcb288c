"""The built-in ``pretrained`` plugin registers every pipeline folder with a card, and a
damaged card costs that pipeline only, with a warning naming it."""

from __future__ import annotations

import json
import shutil

import pytest

import nlpkit_pretrained
from nlpkit.plugins import PluginLoadWarning, reset
from nlpkit.pretrained import catalog


@pytest.fixture
def pipelines_folder(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The plugin reading its pipelines from a folder of the test's (two copies of one)."""
    source = nlpkit_pretrained.pipelines_dir() / "zh-cws-hmm"
    for name in ("aa-good", "bb-bad"):
        shutil.copytree(source, tmp_path / name)
        card = json.loads((tmp_path / name / "card.json").read_text(encoding="utf-8"))
        (tmp_path / name / "card.json").write_text(json.dumps({**card, "name": name, "aliases": []}), encoding="utf-8")
    (tmp_path / "no-card").mkdir()
    monkeypatch.setattr(nlpkit_pretrained, "pipelines_dir", lambda: tmp_path)
    reset()
    yield tmp_path
    reset()


def test_every_folder_with_a_card_is_registered(pipelines_folder) -> None:  # type: ignore[no-untyped-def]
    assert [p.name for p in catalog() if p.plugin == "pretrained"] == ["aa-good", "bb-bad"]


def test_a_damaged_card_skips_that_pipeline_only(pipelines_folder) -> None:  # type: ignore[no-untyped-def]
    (pipelines_folder / "bb-bad" / "card.json").write_text("{not json", encoding="utf-8")
    with pytest.warns(PluginLoadWarning, match="skipped the pretrained pipeline in bb-bad: .*card.json: not valid JSON"):
        names = [p.name for p in catalog() if p.plugin == "pretrained"]
    assert names == ["aa-good"]
