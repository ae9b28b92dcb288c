"""Finding corpus files and verifying them against the manifest, on the real shared corpora."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from nlpkit.errors import InputError, UsageError
from nlpkit_corpora import (
    check_corpus,
    corpus_dir,
    corpus_path,
    load_manifest,
    search_roots,
)
from nlpkit_corpora.locate import sha256_of

MANIFEST = load_manifest()
REPO = Path(__file__).resolve().parents[2]


def copy_corpus(shared: Path, name: str, root: Path) -> Path:
    """Copy one real corpus folder (a small one!) under ``root``; return the copy's folder."""
    shutil.copytree(shared / name, root / name)
    return root / name


def flip_byte(path: Path, offset: int = 10) -> None:
    """Change one byte in place, keeping the size, so only the sha256 can tell."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_env_var_is_the_only_root_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    assert search_roots() == [tmp_path]


def test_default_roots_are_shared_beside_cwd_and_repo_then_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    roots = search_roots()
    assert roots[0] == (tmp_path.parent / "shared" / "corpora").resolve()
    assert (REPO.parent / "shared" / "corpora").resolve() in roots
    assert roots[-1] == (tmp_path / "cache" / "corpora").resolve()


def test_corpus_path_verifies_a_real_file(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(shared))
    path = corpus_path("names", "Korean.txt")
    assert path.read_bytes() == (shared / "names" / "Korean.txt").read_bytes()
    assert corpus_path("sst2", "dev").resolve() == shared.resolve() / "sst2" / "dev.tsv"
    assert corpus_dir("sst2").resolve() == shared.resolve()


def test_every_real_file_matches_the_manifest(shared: Path) -> None:
    """Every development file is there and intact; held-out files, when a copy has them, are intact too."""
    checks = [c for corpus in MANIFEST.corpora.values() for c in check_corpus(corpus, [shared])]
    development = [c for c in checks if not c.file.held_out]
    assert [c.describe() for c in development if not c.ok] == []
    assert len(development) == 39
    assert [c.describe() for c in checks if c.file.held_out and not (c.ok or c.not_downloaded)] == []


def test_one_changed_byte_is_caught(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flip_byte(copy_corpus(shared, "names", tmp_path / "corpora") / "Korean.txt")
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path / "corpora"))
    by_path = {c.file.path: c for c in check_corpus(MANIFEST.get("names"))}
    assert by_path["Korean.txt"].status == "wrong-sha256"
    assert all(c.ok for p, c in by_path.items() if p != "Korean.txt")
    with pytest.raises(InputError, match="names/Korean.txt is damaged: .* has sha256 .*Run 'nlpkit corpus download names'"):
        corpus_path("names", "Korean.txt")
    assert corpus_path("names", "Korean.txt", verify=False).is_file()


def test_a_truncated_file_is_caught_by_its_size(shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_corpus(shared, "names", tmp_path) / "Vietnamese.txt"
    path.write_bytes(path.read_bytes()[:-1])
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    with pytest.raises(InputError, match="has 338 bytes, expected 339"):
        corpus_path("names", "Vietnamese.txt", verify=False)


def test_a_missing_file_says_where_it_looked_and_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    message = (
        f"Corpus file conll2003/train.txt not found; looked in {tmp_path}. "
        "Run 'nlpkit corpus download conll2003', or set NLPKIT_CORPORA"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        corpus_path("conll2003", "train")
    with pytest.raises(InputError, match="Corpus 'conll2003' not found"):
        corpus_dir("conll2003")


def test_bad_names_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="Unknown corpus"):
        corpus_path("conll", "train")
    with pytest.raises(UsageError, match="has no file or split 'tset'"):
        corpus_path("sst2", "tset")


def test_a_held_out_file_not_downloaded_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    message = f"Corpus file sst2/test.tsv not found; looked in {tmp_path}. Run 'nlpkit corpus download sst2'"
    with pytest.raises(InputError, match=re.escape(message)):
        corpus_path("sst2", "test")
    (check,) = [c for c in check_corpus(MANIFEST.get("sst2")) if c.file.held_out]
    assert (check.status, check.not_downloaded) == ("missing", True)
    assert check.describe() == "not downloaded (held out; 'nlpkit corpus download sst2' fetches it)"


def test_a_present_held_out_file_is_checked_like_any_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in with the real size but other bytes: found, so not "not downloaded", and damaged."""
    entry = MANIFEST.get("sst2").file("test")
    (tmp_path / "sst2").mkdir()
    (tmp_path / "sst2" / "test.tsv").write_bytes(b"0" * entry.size)
    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path))
    (check,) = [c for c in check_corpus(MANIFEST.get("sst2")) if c.file.held_out]
    assert (check.status, check.not_downloaded) == ("wrong-sha256", False)
    with pytest.raises(InputError, match="sst2/test.tsv is damaged: .* has sha256"):
        corpus_path("sst2", "test")


def test_hash_cache_notices_a_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"abc")
    first = sha256_of(path)
    path.write_bytes(b"abd")
    os.utime(path, ns=(0, 0))  # an old mtime does not fool it: the ctime changes too
    assert sha256_of(path) != first
