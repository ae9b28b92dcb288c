"""Data references: ``package:`` in the core, every other scheme through the plugin hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlpkit import hookimpl
from nlpkit.errors import UsageError
from nlpkit.plugins import register_plugin, unregister_plugin
from nlpkit.references import portable_name, resolve_reference


class DemoScheme:
    """A run-time plugin answering ``demo:NAME`` with a file in its folder, as a third party could."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def resolve_data_path(self, reference: str) -> Path | None:
        return self.folder / reference.removeprefix("demo:") if reference.startswith("demo:") else None

    @hookimpl
    def portable_data_name(self, path: Path) -> str | None:
        return f"demo:{path.name}" if path.parent == self.folder else None


@pytest.fixture
def demo(tmp_path: Path, fresh_plugins):  # type: ignore[no-untyped-def]
    name = register_plugin(DemoScheme(tmp_path), name="demo-scheme")
    yield tmp_path
    unregister_plugin(name)


@pytest.fixture
def without_corpora(fresh_plugins, monkeypatch: pytest.MonkeyPatch) -> None:
    """nlpkit with its ``corpora`` plugin disabled: nothing answers ``corpus:`` or ``sample:``."""
    monkeypatch.setenv("NLPKIT_DISABLE_PLUGINS", "corpora")


@pytest.mark.parametrize("value", ["data/train.tsv", "/abs/train.tsv", "C:\\data\\train.tsv", "c:/data/train.tsv",
                                   "unknown-scheme:train.tsv", "train:dev.tsv"])
def test_plain_paths_and_unanswered_unknown_schemes_are_no_reference(value: str) -> None:
    assert resolve_reference(value) is None


def test_package_references_are_the_cores_own(without_corpora) -> None:
    path = resolve_reference("package:jieba/dict.txt")
    assert path is not None and path.name == "dict.txt" and path.is_file()


def test_a_plugin_answers_its_own_scheme_both_ways(demo: Path) -> None:
    assert resolve_reference("demo:words.txt") == demo / "words.txt"
    assert portable_name(demo / "words.txt") == "demo:words.txt"
    assert portable_name(demo / "sub" / "other.txt") == "other.txt"  # nobody knows it: the file name


def test_the_corpora_plugin_answers_samples() -> None:
    from nlpkit_corpora import sample_path

    assert resolve_reference("sample:zh") == sample_path("zh")
    assert portable_name(sample_path("zh")) == "sample:zh"


@pytest.mark.parametrize("value", ["corpus:sst2/dev.tsv", "corpus:sst2", "sample:zh"])
def test_corpus_and_sample_references_without_the_corpora_plugin_say_what_to_enable(without_corpora, value: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_reference(value)
    message = str(info.value)
    assert "\n" not in message
    assert f"No plugin resolves '{value}'" in message
    assert "'corpora' plugin" in message and "NLPKIT_DISABLE_PLUGINS" in message


def test_portable_names_without_the_corpora_plugin_are_file_names(without_corpora, tmp_path: Path) -> None:
    assert portable_name(tmp_path / "corpus" / "train.txt") == "train.txt"
