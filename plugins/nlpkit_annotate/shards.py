"""Shards: the input cut into runs of lines, each written as one JSON-lines file, and the
manifest that says which are finished.

The plan is a function of the input files and ``shard_lines`` alone, so a rerun plans the
same shards, skips those the manifest lists as finished (their file still matching its
sha256) and writes the others: an interrupted run, resumed, gives the files an
uninterrupted one gives. Each shard file and the manifest are replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nlpkit.errors import UsageError
from nlpkit.io import atomic_path, atomic_write

from .sources import count_lines

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Shard:
    """Lines ``start`` to ``stop - 1`` of input ``path`` (named ``source`` in records)."""

    name: str
    path: str
    source: str
    start: int
    stop: int


def plan(files: list[Path], shard_lines: int) -> list[Shard]:
    """Every input file cut into shards of ``shard_lines`` lines, in file order."""
    root = Path(os.path.commonpath([str(f.parent) for f in files]))
    shards = []
    for i, path in enumerate(files):
        total, source = count_lines(path), path.relative_to(root).as_posix()
        for k, start in enumerate(range(1, max(total, 1) + 1, shard_lines)):
            shards.append(Shard(f"{i:05d}-{k:05d}", str(path), source, start, min(start + shard_lines, total + 1)))
    return shards


def write_shard(folder: Path, shard: Shard, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Write ``records`` as ``shards/NAME.jsonl`` atomically; the manifest entry for it."""
    target = folder / "shards" / f"{shard.name}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return {**asdict(shard), "file": f"shards/{shard.name}.jsonl", "records": len(records),
            "errors": sum("error" in r for r in records), "sha256": hashlib.sha256(data).hexdigest()}


class Manifest:
    """``manifest.json``: the run's settings and each finished shard."""

    def __init__(self, folder: Path, settings: dict[str, Any], overwrite: bool = False) -> None:
        self.folder, self.settings = folder, settings
        self.done: dict[str, dict[str, Any]] = {}
        path = folder / MANIFEST
        if path.is_file() and not overwrite:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("settings") != settings:
                raise UsageError(f"{folder} holds the output of another run ({_differences(saved.get('settings'), settings)});"
                                 " pick another -o folder, or --overwrite.")
            self.done = {s["name"]: s for s in saved.get("shards", []) if _intact(folder, s)}
        for partial in (folder / "shards").glob(".*.tmp"):  # a shard being written when a run was killed
            partial.unlink(missing_ok=True)

    def finished(self, shard: Shard) -> bool:
        return shard.name in self.done

    def add(self, entry: dict[str, Any]) -> None:
        self.done[entry["name"]] = entry
        self.save()

    def save(self, complete: bool = False) -> None:
        shards = [self.done[name] for name in sorted(self.done)]
        with atomic_write(self.folder / MANIFEST) as out:
            json.dump({"settings": self.settings, "complete": complete, "shards": shards}, out, ensure_ascii=False,
                      indent=1)
            out.write("\n")


def _intact(folder: Path, entry: dict[str, Any]) -> bool:
    path = folder / entry["file"]
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]


def _differences(saved: dict[str, Any] | None, settings: dict[str, Any]) -> str:
    saved = saved or {}
    changed = [k for k in settings if saved.get(k) != settings[k]]
    return ", ".join(f"{k}: {saved.get(k)!r} then, {settings[k]!r} now" for k in changed) or "other settings"
