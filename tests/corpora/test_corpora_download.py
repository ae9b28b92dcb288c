"""``download`` end to end over real file:// and http:// URLs (a local server), no mocks."""

from __future__ import annotations

import csv
import functools
import hashlib
import random
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from nlpkit.errors import InputError
from nlpkit_corpora import CorpusFile, Manifest, download, load_manifest
from nlpkit_corpora.manifest import parse_manifest

CORPUS = """
manifest_version = 1
[corpora.tiny]
description = "A tiny corpus written by the test"
task = "ner"
language = "en"
format = "conll"
licence = "CC0"
citation = "none"
homepage = "https://example.org"
source = "test"
held_out = []
"""

FILE = """
[[corpora.tiny.files]]
path = "{path}"
split = "{split}"{held_out}
size = {size}
sha256 = "{sha256}"
url = "{url}"
"""


def tiny_manifest(
    tmp_path: Path, files: dict[str, bytes], base_url: str | None = None, lie: bool = False, held_out: str | None = None,
) -> Manifest:
    """Write ``files`` under ``tmp_path/src`` and a manifest whose URLs point at them.

    ``lie=True`` records a wrong sha256 for every file, as if the source had changed;
    ``held_out`` names a file that becomes a held-out test file.
    """
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    text = CORPUS
    for i, (name, data) in enumerate(files.items()):
        (src / name).write_bytes(data)
        digest = hashlib.sha256(data + b"x" if lie else data).hexdigest()
        url = f"{base_url}/{name}" if base_url else (src / name).as_uri()
        split, flag = ("test", "\nheld_out = true") if name == held_out else ("train" if i == 0 else "dev", "")
        text += FILE.format(path=name, split=split, held_out=flag, size=len(data), sha256=digest, url=url)
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return parse_manifest(path)


def leftovers(folder: Path) -> list[str]:
    """Everything under ``folder`` (temporary .part files included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on localhost serving ``tmp_path/src``: (base URL, folder)."""
    folder = tmp_path / "src"
    folder.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_download_from_file_urls(tmp_path: Path) -> None:
    manifest = tiny_manifest(tmp_path, {"train.txt": b"EU B-ORG\n\n", "dev.txt": b"x O\n"})
    dest = tmp_path / "corpora"
    fetched = download("tiny", dest, manifest=manifest)
    assert [(f.file.path, f.action) for f in fetched] == [("train.txt", "downloaded"), ("dev.txt", "downloaded")]
    assert (dest / "tiny" / "train.txt").read_bytes() == b"EU B-ORG\n\n"
    assert leftovers(dest / "tiny") == ["dev.txt", "train.txt"]
    assert [f.action for f in download("tiny", dest, manifest=manifest)] == ["present", "present"]
    assert [f.action for f in download("tiny", dest, manifest=manifest, force=True)] == ["downloaded", "downloaded"]


def test_download_fetches_held_out_files_too(tmp_path: Path) -> None:
    """A held-out test file is fetched with the rest and must match its sha256 like any other."""
    files = {"train.txt": b"EU B-ORG\n\n", "test.txt": b"Peter B-PER\n\n"}
    manifest = tiny_manifest(tmp_path, files, held_out="test.txt")
    assert manifest.get("tiny").file("test").held_out
    dest = tmp_path / "corpora"
    fetched = download("tiny", dest, manifest=manifest)
    assert [(f.file.path, f.file.held_out, f.action) for f in fetched] == [
        ("train.txt", False, "downloaded"), ("test.txt", True, "downloaded"),
    ]
    assert hashlib.sha256((dest / "tiny" / "test.txt").read_bytes()).hexdigest() == manifest.get("tiny").file("test").sha256
    (tmp_path / "src" / "test.txt").write_bytes(b"Peter B-ORG\n\n")  # same size, other bytes: the source changed
    with pytest.raises(InputError, match="Downloaded tiny/test.txt does not match the manifest"):
        download("tiny", dest, manifest=manifest, force=True)
    assert (dest / "tiny" / "test.txt").read_bytes() == b"Peter B-PER\n\n"  # the good copy stays


def test_default_destination_is_the_cache(tmp_path: Path) -> None:
    manifest = tiny_manifest(tmp_path, {"train.txt": b"a O\n"})
    (fetched,) = download("tiny", manifest=manifest, progress=True)
    assert fetched.path == tmp_path / "cache" / "corpora" / "tiny" / "train.txt"


def test_a_checksum_mismatch_leaves_nothing_behind(tmp_path: Path) -> None:
    manifest = tiny_manifest(tmp_path, {"train.txt": b"EU B-ORG\n"}, lie=True)
    with pytest.raises(InputError, match="Downloaded tiny/train.txt does not match the manifest: .*nothing was saved"):
        download("tiny", tmp_path / "corpora", manifest=manifest)
    assert leftovers(tmp_path / "corpora") == []


def test_a_damaged_file_is_replaced(tmp_path: Path) -> None:
    manifest = tiny_manifest(tmp_path, {"train.txt": b"EU B-ORG\n"})
    (tmp_path / "corpora" / "tiny").mkdir(parents=True)
    (tmp_path / "corpora" / "tiny" / "train.txt").write_bytes(b"EU B-PER\n")
    assert [f.action for f in download("tiny", tmp_path / "corpora", manifest=manifest)] == ["downloaded"]
    assert (tmp_path / "corpora" / "tiny" / "train.txt").read_bytes() == b"EU B-ORG\n"


def test_a_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    manifest = tiny_manifest(tmp_path, {"train.txt": b"a O\n"})
    (tmp_path / "src" / "train.txt").unlink()
    with pytest.raises(InputError, match="Could not download tiny/train.txt from file://"):
        download("tiny", tmp_path / "corpora", manifest=manifest)
    assert leftovers(tmp_path / "corpora") == []


def test_download_over_http(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, _ = http_root
    manifest = tiny_manifest(tmp_path, {"train.txt": b"EU B-ORG\n" * 50_000}, base_url=base)
    (fetched,) = download("tiny", tmp_path / "corpora", manifest=manifest)
    assert fetched.path.stat().st_size == 450_000


def test_http_errors_and_oversized_answers(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, folder = http_root
    manifest = tiny_manifest(tmp_path, {"train.txt": b"EU B-ORG\n"}, base_url=base)
    (folder / "train.txt").write_bytes(b"EU B-ORG\n" * 100_000)
    with pytest.raises(InputError, match="gave more than the expected 9 bytes"):
        download("tiny", tmp_path / "corpora", manifest=manifest)
    (folder / "train.txt").unlink()
    with pytest.raises(InputError, match="HTTP 404 File not found"):
        download("tiny", tmp_path / "corpora", manifest=manifest)
    assert leftovers(tmp_path / "corpora") == []


def test_offline_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    manifest = tiny_manifest(tmp_path, {"train.txt": b"a O\n"}, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(InputError, match="Could not download tiny/train.txt .*Are you offline?") as info:
        download("tiny", tmp_path / "corpora", manifest=manifest, timeout=5)
    assert "\n" not in str(info.value)


def real(name: str, held_out: bool = False, **changes: Any) -> Manifest:
    """The bundled manifest reduced to corpus ``name``, without its held-out files unless ``held_out``
    (the shared copy has none to serve), with ``changes`` applied to each file (a callable value is
    called with the file, e.g. to point its URL at a local copy)."""
    corpus = load_manifest().get(name)
    kept = (f for f in corpus.files if held_out or not f.held_out)
    files = tuple(replace(f, **{k: v(f) if callable(v) else v for k, v in changes.items()}) for f in kept)
    return Manifest(Path("test"), {name: replace(corpus, files=files)})


def upstream_name(f: CorpusFile) -> str:
    return f.url.rsplit("/", 1)[-1]


def test_sst2_is_rebuilt_exactly_from_its_source(shared: Path, tmp_path: Path) -> None:
    """The upstream files are rebuilt from the shared ones (TAB back to space); download must
    pass the source git-blob check, redo the transform and match the real sha256."""
    manifest = real("sst2", url=lambda f: (tmp_path / upstream_name(f)).as_uri())
    for f in real("sst2").get("sst2").files:
        lines = (shared / "sst2" / f.path).read_bytes().splitlines(keepends=True)
        (tmp_path / upstream_name(f)).write_bytes(b"".join(line.replace(b"\t", b" ", 1) for line in lines))
    fetched = download("sst2", tmp_path / "corpora", manifest=manifest)
    for item in fetched:
        assert item.path.read_bytes() == (shared / "sst2" / item.file.path).read_bytes()
    assert leftovers(tmp_path / "corpora") == ["sst2", "sst2/dev.tsv", "sst2/train.tsv"]


def test_a_changed_transform_source_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "stsa.binary.dev"
    source.write_bytes(b"1 not the real file\n")
    manifest = real("sst2", url=source.as_uri())
    with pytest.raises(InputError, match="The source of sst2/train.tsv .* has 20 bytes, expected 738,844"):
        download("sst2", tmp_path / "corpora", manifest=manifest)
    manifest = real("sst2", url=source.as_uri(), source_size=None)
    with pytest.raises(InputError, match="has git blob [0-9a-f]{40}, expected cf9933bb"):
        download("sst2", tmp_path / "corpora", manifest=manifest)
    assert leftovers(tmp_path / "corpora") == []


def test_chnsenticorp_split_recipe_reproduces_the_shared_files(shared: Path, tmp_path: Path) -> None:
    """Put the shared train/dev rows back where the seeded shuffle took them from (test rows are
    stand-ins), then let download split the CSV again: train and dev must come out byte-identical,
    and the held-out test entry must pick the stand-ins at the last 778 shuffled indices."""
    train, dev = ((shared / "chnsenticorp" / n).read_text(encoding="utf-8").splitlines() for n in ("train.tsv", "dev.tsv"))
    order = list(range(7766))
    random.Random(42).shuffle(order)
    rows = [["1", f"stand-in {i}"] for i in range(7766)]
    for index, line in zip(order[:len(train) + len(dev)], train + dev, strict=True):
        rows[index] = line.split("\t", 1)
    source = tmp_path / "ChnSentiCorp_htl_all.csv"
    with open(source, "w", encoding="utf-8-sig", newline="") as stream:
        csv.writer(stream).writerows([["label", "review"], *rows])
    stand_ins = "".join(f"1\tstand-in {i}\n" for i in order[len(train) + len(dev):]).encode()
    assert stand_ins.count(b"\n") == 778
    test_checks = {"size": len(stand_ins), "sha256": hashlib.sha256(stand_ins).hexdigest()}
    manifest = real(
        "chnsenticorp", held_out=True, url=source.as_uri(), source_size=None, source_git_blob=None,
        size=lambda f: test_checks["size"] if f.held_out else f.size,
        sha256=lambda f: test_checks["sha256"] if f.held_out else f.sha256,
    )
    fetched = download("chnsenticorp", tmp_path / "corpora", manifest=manifest)
    assert [(f.file.split, f.action) for f in fetched] == [("train", "downloaded"), ("dev", "downloaded"), ("test", "downloaded")]
    assert leftovers(tmp_path / "corpora") == [
        "chnsenticorp", "chnsenticorp/dev.tsv", "chnsenticorp/test.tsv", "chnsenticorp/train.tsv",
    ]


def test_real_names_corpus_downloads_from_a_mirror(shared: Path, tmp_path: Path) -> None:
    """18 files with their real sizes and sha256, served from a file:// mirror of the shared folder."""
    shutil.copytree(shared / "names", tmp_path / "mirror")
    manifest = real("names", url=lambda f: (tmp_path / "mirror" / f.path).as_uri())
    assert {f.action for f in download("names", tmp_path / "corpora", manifest=manifest)} == {"downloaded"}
