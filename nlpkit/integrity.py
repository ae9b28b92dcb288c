"""The sha256 of every file of a pipeline directory, recorded in its ``pipeline.json`` and
checked on load, so a truncated, damaged or altered file is an error naming it instead
of a model that quietly predicts nonsense."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from .errors import InputError

#: The file that holds the digests of the others (and so is not among them).
SPEC_FILE = "pipeline.json"
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def digests(root: Path) -> dict[str, str]:
    """``{relative posix path: sha256}`` of every file under ``root`` but its ``pipeline.json``."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p != root / SPEC_FILE)
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in files}


def verify(root: Path, recorded: Mapping[str, str]) -> None:
    """Raise :class:`InputError` naming the first recorded file that is missing or whose
    bytes no longer have the recorded sha256."""
    for name, expected in recorded.items():
        path = root / name
        if not path.is_file():
            raise InputError("missing from the pipeline directory (pipeline.json lists it); "
                             "reinstall or copy the whole directory again", str(path))
        found = file_sha256(path)
        if found != expected:
            raise InputError(
                f"damaged or changed since the pipeline was saved: its sha256 is {found[:12]}..., "
                f"pipeline.json records {expected[:12]}...; reinstall the pipeline or train it again",
                str(path))


def seal(root: Path) -> None:
    """Record the digests of the files now in ``root`` in its ``pipeline.json``, after a
    tool changed them on purpose (compaction, a card)."""
    spec_path = root / SPEC_FILE
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["files"] = digests(root)
    tmp = spec_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(spec_path)
