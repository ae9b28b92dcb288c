"""``nlpkit corpus``: list, info, verify and download through the real CLI group.

The group lives in :mod:`nlpkit_corpora.cli` and reaches ``nlpkit`` through the
``corpora`` plugin's ``register_commands`` hook, so these tests go through that too.
The ``shared`` and ``isolated`` fixtures are in conftest.py."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from nlpkit.cli import cli

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

[[corpora.tiny.files]]
path = "train.tsv"
split = "train"
size = {size}
sha256 = "{sha256}"
url = "{url}"
"""

HELD_OUT = """
[[corpora.tiny.files]]
path = "test.tsv"
split = "test"
held_out = true
description = "kept back"
size = {size}
sha256 = "{sha256}"
url = "{url}"
"""


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["corpus", *args], env=env)


def tiny(tmp_path: Path, data: bytes = b"1\tgood\n0\tbad\n", lie: bool = False, test: bytes | None = None) -> Path:
    """A one-file manifest whose URL is a file:// path in ``tmp_path``; ``lie`` records a wrong sha256.

    ``test`` adds a held-out ``test.tsv`` with these bytes, served the same way.
    """
    text = ""
    for template, name, content in ((TINY, "train", data), (HELD_OUT, "test", test)):
        if content is not None:
            source = tmp_path / f"{name}-source.tsv"
            source.write_bytes(content)
            digest = hashlib.sha256(content + (b"!" if lie else b"")).hexdigest()
            text += template.format(size=len(content), sha256=digest, url=source.as_uri())
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(text, encoding="utf-8")
    return manifest


TEST_DATA = b"1\tfine\n0\tawful\n1\tgreat\n"


def downloaded_with_test(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny corpus with a held-out test file, downloaded into ``tmp_path/corpora``: (manifest, folder)."""
    manifest, dest = tiny(tmp_path, test=TEST_DATA), tmp_path / "corpora"
    result = run("--manifest", str(manifest), "download", "tiny", "--dir", str(dest))
    assert result.exit_code == 0, result.output
    return manifest, dest


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
    assert len(by_name) == 13 and by_name["names"]["status"] == "present"
    assert by_name["sst2"]["status"] == "present (test not downloaded)"  # the shared copy has no test files
    assert by_name["sighan2005_msr"]["status"] == "missing"  # held-out files only
    assert {"ctb6", "ud_chinese_gsd"} <= set(by_name)
    test_file = by_name["conll2003"]["files"][-1]
    assert (test_file["path"], test_file["split"], test_file["held_out"]) == ("test.txt", "test", True)
    required = {"name", "description", "task", "language", "format", "licence", "citation", "homepage", "files"}
    assert required <= set(by_name["sst2"])


def test_info_shows_files_and_held_out_splits(tmp_path: Path) -> None:
    result = run("info", "conll2003", env={"NLPKIT_CORPORA": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "Tjong Kim Sang" in result.stdout
    assert "raw.githubusercontent.com/kamalkraj/BERT-NER/e5be564156f194f1becb0d82aeaf6e762d9eb9ed/data/train.txt" in result.stdout
    assert "  test.txt                 test   748.1 kB  not downloaded [held out]  eng.testb, 3,453 sentences\n" in result.stdout
    assert "[held out]: kept out of the shared development corpora for final scoring; " \
        "'nlpkit corpus download conll2003' fetches it.\n" in result.stdout


def test_unknown_name_is_one_error_line() -> None:
    result = run("info", "conll2030")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Unknown corpus 'conll2030'. Did you mean 'conll2003'? Known corpora: conll2003, wnut17, resume_ner, "
        "sighan2005_pku, sighan2005_msr, sxu_cws, ctb6, ud_chinese_gsd, ud_english_ewt, chnsenticorp, sst2, names, "
        "tinyshakespeare. "
        "Run 'nlpkit corpus list' for details.\n"
    )


def test_verify_passes_on_the_real_corpora(shared: Path) -> None:
    """39 development files; the 9 held-out test files of the corpora found are reported, not failed
    (sighan2005_msr, held-out files only, has no folder there and is skipped)."""
    result = run("verify", "--dir", str(shared))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 48 and result.stdout.count("ok       ") >= 39
    assert result.stdout.count("ok       ") + result.stdout.count("skipped  ") == 48
    assert "ok       ud_english_ewt/en_ewt-ud-train.conllu" in result.stdout
    assert "ok       ctb6/train.txt" in result.stdout and "ok       ud_chinese_gsd/dev.conll" in result.stdout
    if "skipped  conll2003/test.txt" in result.stdout:
        assert "conll2003/test.txt: not downloaded (held out; 'nlpkit corpus download conll2003' fetches it)" in result.stdout
        assert "held-out files not downloaded ('nlpkit corpus download conll2003 " in result.stderr


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
    assert "skipped  sst2/test.tsv: not downloaded (held out; " in result.stdout
    assert result.stderr.startswith("Error: 3 of 20 corpus files failed verification (2 missing, 1 damaged)")
    assert f"'nlpkit corpus download names sst2 --dir {tmp_path}'" in result.stderr
    assert f"1 held-out file not downloaded ('nlpkit corpus download sst2 --dir {tmp_path}' fetches it)." in result.stderr


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


def test_download_fetches_the_held_out_test_file(tmp_path: Path) -> None:
    manifest, dest = downloaded_with_test(tmp_path)
    assert (dest / "tiny" / "test.tsv").read_bytes() == TEST_DATA
    result = run("--manifest", str(manifest), "download", "tiny", "--dir", str(dest))
    assert result.stdout == "present    tiny/train.tsv (13 B)\npresent    tiny/test.tsv (23 B) [held out]\n"
    result = run("--manifest", str(manifest), "verify", "--dir", str(dest))
    assert (result.exit_code, result.stdout) == (0, "ok       tiny/train.tsv\nok       tiny/test.tsv\n")
    assert result.stderr == "All 2 files ok.\n"
    result = run("--manifest", str(manifest), "list", env={"NLPKIT_CORPORA": str(dest)})
    assert "  present\n" in result.stdout


def test_a_held_out_file_not_downloaded_is_reported_not_failed(tmp_path: Path) -> None:
    manifest, dest = downloaded_with_test(tmp_path)
    (dest / "tiny" / "test.tsv").unlink()
    result = run("--manifest", str(manifest), "verify", "tiny", "--dir", str(dest))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "ok       tiny/train.tsv\n"
        "skipped  tiny/test.tsv: not downloaded (held out; 'nlpkit corpus download tiny' fetches it)\n"
    )
    assert result.stderr == (
        f"All 1 files ok. 1 held-out file not downloaded ('nlpkit corpus download tiny --dir {dest}' fetches it).\n"
    )
    env = {"NLPKIT_CORPORA": str(dest)}
    result = run("--manifest", str(manifest), "list", env=env)
    assert result.exit_code == 0 and "  present (test not downloaded)\n" in result.stdout
    data = json.loads(run("--manifest", str(manifest), "list", "--json", env=env).stdout)
    assert data["corpora"][0]["status"] == "present (test not downloaded)"
    result = run("--manifest", str(manifest), "info", "tiny", env=env)
    assert "status:      present (test not downloaded) in " in result.stdout
    assert "  test.tsv                 test       23 B  not downloaded [held out]  kept back\n" in result.stdout


def test_a_damaged_held_out_file_fails_verify(tmp_path: Path) -> None:
    manifest, dest = downloaded_with_test(tmp_path)
    (dest / "tiny" / "test.tsv").write_bytes(TEST_DATA.replace(b"fine", b"FINE"))  # same size, other sha256
    result = run("--manifest", str(manifest), "verify", "tiny", "--dir", str(dest))
    assert result.exit_code == 1
    assert "WRONG-SHA256 tiny/test.tsv: " in result.stdout
    assert result.stderr.startswith("Error: 1 of 2 corpus files failed verification (0 missing, 1 damaged)")
    (dest / "tiny" / "test.tsv").write_bytes(TEST_DATA[:-1])  # truncated: even the quick size check of list sees it
    result = run("--manifest", str(manifest), "list", env={"NLPKIT_CORPORA": str(dest)})
    assert "  present (test damaged)\n" in result.stdout


def test_verify_a_corpus_of_held_out_files_only_that_is_not_here(tmp_path: Path) -> None:
    result = run("verify", "sighan2005_msr", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("skipped  sighan2005_msr/") == 3
    assert result.stderr.startswith("No file to check. 3 held-out files not downloaded ('nlpkit corpus download sighan2005_msr")


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
