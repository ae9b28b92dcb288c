"""The recipes that rebuild derived corpus files from their downloaded sources."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlpkit.errors import InputError
from nlpkit_corpora.transforms import apply_transform

SPLIT = {"kind": "csv-split", "seed": 42, "train": 0.8, "dev": 0.1, "header": True}


def write_csv(path: Path, rows: list[list[str]], bom: bool = True) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        csv.writer(stream).writerows([["label", "review"], *rows])
    return path


def split_part(source: Path, tmp_path: Path, part: str) -> list[str]:
    target = tmp_path / f"{part}.tsv"
    apply_transform({**SPLIT, "part": part}, source, target)
    return target.read_text(encoding="utf-8").splitlines()


def test_first_space_to_tab_changes_only_the_first_space(tmp_path: Path) -> None:
    source, target = tmp_path / "in", tmp_path / "out"
    source.write_bytes(b"1 a good film .\n0 bad\n\n")
    apply_transform({"kind": "first-space-to-tab"}, source, target)
    assert target.read_bytes() == b"1\ta good film .\n0\tbad\n\n"


def test_csv_split_partitions_the_rows_deterministically(tmp_path: Path) -> None:
    rows = [[str(i % 2), f"review, \"quoted\" {i}"] for i in range(50)]
    source = write_csv(tmp_path / "all.csv", rows)
    parts = {p: split_part(source, tmp_path, p) for p in ("train", "dev", "test")}
    assert [len(parts[p]) for p in ("train", "dev", "test")] == [40, 5, 5]
    everything = sorted(parts["train"] + parts["dev"] + parts["test"])
    assert everything == sorted(f"{label}\t{text}" for label, text in rows)
    assert split_part(source, tmp_path, "dev") == parts["dev"]


def test_csv_split_rejects_fields_that_would_break_the_tsv(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "all.csv", [["1", "fine"], ["0", "a\ttab"]])
    with pytest.raises(InputError, match="all.csv:3: a field contains a TAB"):
        split_part(source, tmp_path, "train")


def test_csv_split_needs_a_known_part(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "all.csv", [["1", "x"]], bom=False)
    with pytest.raises(InputError, match="part = one of train, dev, test"):
        apply_transform({**SPLIT, "part": "validation"}, source, tmp_path / "out")
