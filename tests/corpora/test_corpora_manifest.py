"""The bundled manifest: complete, consistent with the shared corpora, and strictly parsed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from nlpkit.corpus import corpus_formats
from nlpkit.errors import InputError, UsageError
from nlpkit_corpora import load_manifest
from nlpkit_corpora.manifest import SPLITS, parse_manifest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest()
#: shared folders not (yet) in the manifest: english_raw is built from NLTK zip archives, and no
#: transform reproduces it from a download.
UNLISTED = {"english_raw"}
REQUIRED = ("name", "description", "task", "language", "format", "licence", "citation", "homepage", "source")
_COMMIT = re.compile(r"/([0-9a-f]{40})/")


@pytest.mark.parametrize("name", MANIFEST.names())
def test_every_corpus_has_all_fields(name: str) -> None:
    corpus = MANIFEST.get(name)
    for key in REQUIRED:
        assert isinstance(getattr(corpus, key), str) and getattr(corpus, key).strip(), key
    assert corpus.format in corpus_formats()
    assert corpus.homepage.startswith(("https://", "http://"))
    assert corpus.files
    for f in corpus.files:
        assert f.split in SPLITS and f.size > 0 and re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert f.url.startswith("https://raw.githubusercontent.com/") and _COMMIT.search(f.url), f.url
        assert (f.format or corpus.format) in corpus_formats()
    assert corpus.held_out == ()  # every held-out split is a downloadable file now


def test_held_out_files_are_downloadable_entries() -> None:
    conll = MANIFEST.get("conll2003")
    assert [(f.path, f.split) for f in conll.held_out_files] == [("test.txt", "test")]
    assert not conll.file("train").held_out and conll.size == sum(f.size for f in conll.files)
    assert MANIFEST.get("names").held_out_files == ()
    msr = MANIFEST.get("sighan2005_msr")
    assert [f.path for f in msr.held_out_files] == ["msr_test.utf8", "msr_test_gold.utf8", "msr_training_words.utf8"]
    assert msr.file("msr_training_words.utf8").split == "train"
    pku_notes = MANIFEST.get("sighan2005_pku").notes
    assert "sighan2005_msr" in pku_notes and "not listed" not in pku_notes


def _published_test_splits(shared: Path) -> dict[tuple[str, str], tuple[int, str, str]]:
    """The table of ``TEST_SPLITS.md`` beside the shared corpora: (corpus, path) -> (size, sha256, source)."""
    table = shared / "TEST_SPLITS.md"
    if not table.is_file():
        pytest.skip(f"{table} not found")
    rows = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[0-9a-f]{64}", cells[3]):
            rows[cells[0], cells[1]] = (int(cells[2].replace(",", "")), cells[3], cells[4])
    assert rows, f"no rows parsed from {table}"
    return rows


def test_every_test_split_is_a_held_out_file_with_its_published_checksum(shared: Path) -> None:
    rows = _published_test_splits(shared)
    listed = {(c.name, f.path) for c in MANIFEST.corpora.values() for f in c.held_out_files}
    assert listed == set(rows)
    for (name, path), (size, sha256, source) in rows.items():
        f = MANIFEST.get(name).file(path)
        assert (f.size, f.sha256, f.held_out) == (size, sha256, True), f"{name}/{path}"
        assert f.split == ("train" if path.endswith("_words.utf8") else "test"), f"{name}/{path}"
        if source.startswith("https://"):
            assert f.url == source.split(",")[0].split()[0], f"{name}/{path}"
    chnsenticorp, sst2 = MANIFEST.get("chnsenticorp"), MANIFEST.get("sst2")
    train = chnsenticorp.file("train")
    assert chnsenticorp.file("test").transform == {**(train.transform or {}), "part": "test"}
    assert (chnsenticorp.file("test").url, chnsenticorp.file("test").source_git_blob) == (train.url, train.source_git_blob)
    assert sst2.file("test").transform == sst2.file("train").transform == {"kind": "first-space-to-tab"}


def test_manifest_lists_every_shared_corpus_and_file(shared: Path) -> None:
    """The shared development copy has exactly the files that are not held out (and no corpus of held-out files only)."""
    folders = sorted(p.name for p in shared.iterdir() if p.is_dir() and p.name not in UNLISTED)
    developed = [c for c in MANIFEST.corpora.values() if len(c.held_out_files) < len(c.files)]
    assert sorted(c.name for c in developed) == folders
    assert {"ctb6", "ud_chinese_gsd"} <= set(folders)
    for corpus in developed:
        on_disk = sorted(p.name for p in (shared / corpus.name).iterdir() if p.name != "SOURCE.md")
        assert sorted(f.path for f in corpus.files if not f.held_out) == on_disk, corpus.name


def test_urls_use_the_commits_named_in_source_md(shared: Path) -> None:
    for corpus in MANIFEST.corpora.values():
        if not (shared / corpus.name).is_dir():
            continue  # a corpus of held-out files only
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
    assert conll.file("test") is conll.file("test.txt") and conll.file("test").held_out
    with pytest.raises(UsageError, match="has 2 files in split 'test'"):
        MANIFEST.get("sighan2005_msr").file("test")
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
    assert corpus.file("train").held_out is False and corpus.held_out_files == ()


HELD_OUT_FILE = """[[corpora.tiny.files]]
path = "t.txt"
split = "test"
held_out = true
size = 5
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
url = "https://example.org/t.txt"
"""


def test_a_held_out_file_counts_in_the_size_and_resolves(tmp_path: Path) -> None:
    corpus = _parse(tmp_path, VALID + HELD_OUT_FILE).get("tiny")
    assert corpus.file("test").held_out and corpus.held_out_files == (corpus.file("t.txt"),)
    assert corpus.size == 8 and corpus.splits == ["train", "test"]
    assert corpus.to_dict()["files"][1]["held_out"] is True


def test_a_held_out_list_entry_is_a_split_without_url(tmp_path: Path) -> None:
    """The old ``held_out = [...]`` list still parses: it names splits nlpkit cannot fetch."""
    text = VALID.replace("held_out = []", 'held_out = [{ path = "t.txt", split = "test", note = "kept" }]')
    corpus = _parse(tmp_path, text).get("tiny")
    assert corpus.held_out[0].note == "kept"
    with pytest.raises(UsageError, match="'tiny/t.txt' \\(test\\) is held out and the manifest has no URL for it"):
        corpus.file("test")
    assert _parse(tmp_path, VALID.replace("held_out = []\n", "")).get("tiny").held_out == ()
    with pytest.raises(InputError, match=r"corpora.tiny.held_out\[0\]: 't.txt' is also in 'files'"):
        _parse(tmp_path, text + HELD_OUT_FILE)


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
        ('url = "https', 'held_out = "yes"\nurl = "https', r"files\[0\]: 'held_out' has the wrong type \(str\)"),
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
