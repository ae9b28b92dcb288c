"""``nlpkit corpus``: list, info, verify and download through the real CLI group."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nlpkit.cli import cli

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("NLPKIT_CORPORA") or REPO.parent / "shared" / "corpora")

TINY = """manifest_version = 1
[corpora.tiny]
description = "A tiny corpus written by the test"
task = "classification"
language = "en"
format = "label-tab-text"
licence = "CC0"
citation = "none"
homepage = "https://example.org"
source = "test"
held_out = [{{ path = "test.tsv", split = "test", note = "kept back" }}]

[[corpora.tiny.files]]
path = "train.tsv"
split = "train"
size = {size}
sha256 = "{sha256}"
url = "{url}"
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLPKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NLPKIT_CORPORA", raising=False)


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real corpora not found at {SHARED}; set NLPKIT_CORPORA to the shared corpora folder")
    return SHARED


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["corpus", *args], env=env)


def tiny(tmp_path: Path, data: bytes = b"1\tgood\n0\tbad\n", lie: bool = False) -> Path:
    """A one-file manifest whose URL is a file:// path in ``tmp_path``; ``lie`` records a wrong sha256."""
    source = tmp_path / "train-source.tsv"
    source.write_bytes(data)
    digest = hashlib.sha256(data + (b"!" if lie else b"")).hexdigest()
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(TINY.format(size=len(data), sha256=digest, url=source.as_uri()), encoding="utf-8")
    return manifest


def test_list_shows_every_corpus() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    for name in ("conll2003", "wnut17", "ud_english_ewt", "chnsenticorp", "tinyshakespeare"):
        assert name in result.stdout
    assert "Search path:" in result.stdout


def test_list_json(shared: Path) -> None:
    result = run("list", "--json", env={"NLPKIT_CORPORA": str(shared)})
    data = json.loads(result.stdout)
    assert data["search_path"] == [str(shared)]
    by_name = {c["name"]: c for c in data["corpora"]}
    assert len(by_name) == 10 and by_name["sst2"]["status"] == "present"
    assert by_name["conll2003"]["held_out"] == [{"path": "test.txt", "split": "test", "note": "eng.testb, 3,453 sentences"}]
    required = {"name", "description", "task", "language", "format", "licence", "citation", "homepage", "files"}
    assert required <= set(by_name["sst2"])


def test_info_shows_files_and_held_out_splits() -> None:
    result = run("info", "conll2003")
    assert result.exit_code == 0, result.output
    assert "Tjong Kim Sang" in result.stdout
    assert "raw.githubusercontent.com/kamalkraj/BERT-NER/e5be564156f194f1becb0d82aeaf6e762d9eb9ed/data/train.txt" in result.stdout
    assert "held out:\n  test.txt" in result.stdout


def test_unknown_name_is_one_error_line() -> None:
    result = run("info", "conll2030")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Unknown corpus 'conll2030'. Did you mean 'conll2003'? Known corpora: conll2003, wnut17, resume_ner, "
        "sighan2005_pku, sxu_cws, ud_english_ewt, chnsenticorp, sst2, names, tinyshakespeare. "
        "Run 'nlpkit corpus list' for details.\n"
    )


def test_verify_passes_on_the_real_corpora(shared: Path) -> None:
    result = run("verify", "--dir", str(shared))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 35 and result.stdout.count("ok       ") == 35
    assert "ok       ud_english_ewt/en_ewt-ud-train.conllu" in result.stdout


def test_verify_fails_on_one_changed_byte(shared: Path, tmp_path: Path) -> None:
    shutil.copytree(shared / "names", tmp_path / "names")
    data = bytearray((tmp_path / "names" / "Korean.txt").read_bytes())
    data[0] ^= 0x20  # "Ahn" -> "ahn"
    (tmp_path / "names" / "Korean.txt").write_bytes(bytes(data))
    result = run("verify", "names", "sst2", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "WRONG-SHA256 names/Korean.txt: " in result.stdout
    assert "ok       names/Arabic.txt" in result.stdout
    assert "MISSING  sst2/dev.tsv: " in result.stdout
    assert result.stderr.startswith("Error: 3 of 20 corpus files failed verification (2 missing, 1 damaged)")
    assert f"'nlpkit corpus download names sst2 --dir {tmp_path}'" in result.stderr


def test_verify_without_names_skips_absent_corpora_but_fails_if_none(tmp_path: Path) -> None:
    result = run("verify", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: No corpus files found in {tmp_path}.")


def test_download_and_verify_with_a_custom_manifest(tmp_path: Path) -> None:
    manifest, dest = tiny(tmp_path), tmp_path / "corpora"
    result = run("--manifest", str(manifest), "download", "tiny", "--dir", str(dest))
    assert result.exit_code == 0, result.output
    assert result.stdout == "downloaded tiny/train.tsv (13 B)\n"
    assert (dest / "tiny" / "train.tsv").read_bytes() == b"1\tgood\n0\tbad\n"
    assert "set NLPKIT_CORPORA=" in result.stderr  # dest is not on the search path
    result = run("--manifest", str(manifest), "download", "tiny", "--dir", str(dest))
    assert result.stdout == "present    tiny/train.tsv (13 B)\n"
    result = run("--manifest", str(manifest), "verify", "--dir", str(dest))
    assert (result.exit_code, result.stdout) == (0, "ok       tiny/train.tsv\n")


def test_download_into_nlpkit_corpora(tmp_path: Path) -> None:
    result = run("--manifest", str(tiny(tmp_path)), "download", "tiny", env={"NLPKIT_CORPORA": str(tmp_path / "c")})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "tiny" / "train.tsv").is_file()
    assert "Note:" not in result.stderr


def test_download_checksum_mismatch_keeps_nothing(tmp_path: Path) -> None:
    result = run("--manifest", str(tiny(tmp_path, lie=True)), "download", "tiny", "--dir", str(tmp_path / "corpora"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Downloaded tiny/train.tsv does not match the manifest")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "corpora" / "tiny").exists()


def test_download_checks_every_name_first(tmp_path: Path) -> None:
    result = run("--manifest", str(tiny(tmp_path)), "download", "tiny", "tinyy", "--dir", str(tmp_path / "corpora"))
    assert result.exit_code == 2
    assert "Unknown corpus 'tinyy'. Did you mean 'tiny'?" in result.stderr
    assert not (tmp_path / "corpora").exists()


def test_bad_manifest_option_is_an_error_line(tmp_path: Path) -> None:
    result = run("--manifest", str(tmp_path / "none.toml"), "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'none.toml'}: cannot read the corpus manifest")


def test_corpus_is_a_top_level_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "corpus" in result.stdout
    result = run("--help")
    assert all(c in result.stdout for c in ("download", "info", "list", "verify"))
