"""The bundled manifest: complete, consistent with the shared corpora, and strictly parsed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from nlpkit_corpora import FORMATS, load_manifest
from nlpkit_corpora.manifest import SPLITS, parse_manifest

from nlpkit.errors import InputError, UsageError

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest()
REQUIRED = ("name", "description", "task", "language", "format", "licence", "citation", "homepage", "source")
_COMMIT = re.compile(r"/([0-9a-f]{40})/")


@pytest.mark.parametrize("name", MANIFEST.names())
def test_every_corpus_has_all_fields(name: str) -> None:
    corpus = MANIFEST.get(name)
    for key in REQUIRED:
        assert isinstance(getattr(corpus, key), str) and getattr(corpus, key).strip(), key
    assert corpus.format in FORMATS
    assert corpus.homepage.startswith(("https://", "http://"))
    assert corpus.files
    for f in corpus.files:
        assert f.split in SPLITS and f.size > 0 and re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert f.url.startswith("https://raw.githubusercontent.com/") and _COMMIT.search(f.url), f.url
        assert (f.format or corpus.format) in FORMATS
    for h in corpus.held_out:
        assert h.path and h.split and h.path not in {f.path for f in corpus.files}


def test_held_out_splits_are_recorded() -> None:
    assert [h.split for h in MANIFEST.get("conll2003").held_out] == ["test"]
    assert MANIFEST.get("names").held_out == ()
    assert {c.name for c in MANIFEST.corpora.values() if c.held_out} >= {"conll2003", "wnut17", "sst2", "ud_english_ewt"}


def test_manifest_lists_every_shared_corpus_and_file(shared: Path) -> None:
    folders = sorted(p.name for p in shared.iterdir() if p.is_dir())
    assert sorted(MANIFEST.names()) == folders
    for corpus in MANIFEST.corpora.values():
        on_disk = sorted(p.name for p in (shared / corpus.name).iterdir() if p.name != "SOURCE.md")
        assert sorted(f.path for f in corpus.files) == on_disk, corpus.name


def test_urls_use_the_commits_named_in_source_md(shared: Path) -> None:
    for corpus in MANIFEST.corpora.values():
        source_md = (shared / corpus.name / "SOURCE.md").read_text(encoding="utf-8")
        for f in corpus.files:
            commit = _COMMIT.search(f.url).group(1)  # type: ignore[union-attr]
            assert commit in source_md, f"{corpus.name}/{f.path}: {commit} not in SOURCE.md"


def test_no_corpus_file_is_copied_into_the_repository() -> None:
    sha256s = {f.sha256 for c in MANIFEST.corpora.values() for f in c.files}
    sizes = {f.size for c in MANIFEST.corpora.values() for f in c.files}
    for path in (REPO / "corpora").rglob("*"):
        if path.is_file() and path.stat().st_size in sizes:
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in sha256s, f"{path} is a corpus file"


def test_file_lookup_by_path_and_split() -> None:
    conll = MANIFEST.get("conll2003")
    assert conll.file("train.txt") is conll.file("train")
    with pytest.raises(UsageError, match="'conll2003/test.txt' \\(test\\) is held out"):
        conll.file("test")
    with pytest.raises(UsageError, match="has 18 files in split 'all'"):
        MANIFEST.get("names").file("all")
    with pytest.raises(UsageError, match="Did you mean 'dev'"):
        conll.file("deb")


def test_unknown_corpus_suggests_a_name() -> None:
    with pytest.raises(UsageError, match="Unknown corpus 'conll2030'. Did you mean 'conll2003'"):
        MANIFEST.get("conll2030")


VALID = """
manifest_version = 1
[corpora.tiny]
description = "d"
task = "ner"
language = "en"
format = "conll"
licence = "CC0"
citation = "c"
homepage = "https://example.org"
source = "s"
held_out = []
[[corpora.tiny.files]]
path = "a.txt"
split = "train"
size = 3
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
url = "https://example.org/a.txt"
"""


def _parse(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return parse_manifest(path)


def test_a_valid_tiny_manifest_parses(tmp_path: Path) -> None:
    corpus = _parse(tmp_path, VALID).get("tiny")
    assert corpus.file("train").size == 3 and corpus.size == 3 and corpus.splits == ["train"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('licence = "CC0"\n', "", "corpora.tiny: missing required key 'licence'"),
        ('format = "conll"', 'format = "xml"', "format 'xml' is not one of"),
        ('sha256 = "ba78', 'sha256 = "zz78', r"corpora.tiny.files\[0\]: 'sha256' = 'zz78"),
        ("size = 3", 'size = "3"', r"'size' has the wrong type \(str\)"),
        ('split = "train"', 'split = "training"', "split 'training' is not one of"),
        ('path = "a.txt"', 'path = "../a.txt"', "must be relative to the corpus folder"),
        ("manifest_version = 1", "manifest_version = 9", "manifest_version is 9"),
        ('url = "https', 'transform = { kind = "rot13" }\nurl = "https', "transform kind 'rot13' is not one of"),
        ('task = "ner"', 'task = "ner', "not valid TOML"),
    ],
)
def test_bad_manifests_name_the_problem(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VALID
    with pytest.raises(InputError, match=message) as info:
        _parse(tmp_path, VALID.replace(old, new, 1))
    assert str(tmp_path / "manifest.toml") in str(info.value)


def test_missing_manifest_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the corpus manifest"):
        load_manifest(tmp_path / "nope.toml")
