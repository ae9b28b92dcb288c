"""The ``corpora`` plugin: its entry point, its hooks, and that loading it stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from nlpkit.cli import cli
from nlpkit.errors import InputError, UsageError
from nlpkit.plugins import plugin_infos, plugin_manager
from nlpkit_corpora import sample_path


def test_it_is_an_entry_point_of_the_nlpkit_distribution() -> None:
    (ep,) = [ep for ep in metadata.entry_points(group="nlpkit") if ep.name == "corpora"]
    assert ep.value == "nlpkit_corpora.plugin"
    info = next(i for i in plugin_infos() if i.name == "corpora")
    assert info.distribution == "nlpkit" and info.error is None


def test_it_adds_the_corpus_command() -> None:
    assert "  corpus " in CliRunner().invoke(cli, ["--help"]).stdout
    data = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).stdout)
    corpora = next(p for p in data["plugins"] if p["name"] == "corpora")
    assert corpora["components"] == {"commands": ["corpus"]}


def test_resolve_data_path_answers_samples_and_corpora_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    (tmp_path / "sst2").mkdir()
    hook = plugin_manager().hook.resolve_data_path
    assert hook(reference="sample:zh") == sample_path("zh")
    assert hook(reference="corpus:sst2") == tmp_path / "sst2"
    assert hook(reference="elsewhere:sst2") is None
    with pytest.raises(UsageError, match="Did you mean 'names'"):
        hook(reference="sample:namez")
    with pytest.raises(UsageError, match="Unknown corpus 'sst3'. Did you mean 'sst2'"):
        hook(reference="corpus:sst3/dev")
    with pytest.raises(InputError, match="Corpus file sst2/dev.tsv not found"):
        hook(reference="corpus:sst2/dev")


def test_portable_data_name_names_samples_and_files_in_a_corpora_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path / "corpora"))
    hook = plugin_manager().hook.portable_data_name
    assert hook(path=sample_path("names")) == "sample:names"
    assert hook(path=tmp_path / "corpora" / "sst2" / "dev.tsv") == "corpus:sst2/dev.tsv"
    assert hook(path=tmp_path / "mine.tsv") is None


def test_loading_the_plugin_imports_none_of_the_package() -> None:
    """Every command's ``nlpkit --help`` loads the plugin: the manifest, hashing and click stay out."""
    code = ("import sys, nlpkit_corpora.plugin, nlpkit_corpora as c\n"
            "print(sorted(m for m in sys.modules if m.startswith('nlpkit_corpora')))\n"
            "print(c.sample_path('zh').name, 'corpus_path' in dir(c))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["['nlpkit_corpora', 'nlpkit_corpora.plugin']", "zh.txt True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    import nlpkit_corpora

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nlpkit_corpora.nope  # noqa: B018


def test_every_public_name_loads_from_its_module() -> None:
    import nlpkit_corpora

    assert sorted(nlpkit_corpora.__all__) == sorted(nlpkit_corpora._LAZY)
    for name in nlpkit_corpora.__all__:
        assert getattr(nlpkit_corpora, name) is not None
