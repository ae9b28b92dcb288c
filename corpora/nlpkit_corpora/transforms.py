"""Deterministic recipes that turn a downloaded source file into the corpus file nlpkit expects.

Some shared corpus files are not byte copies of an upstream file (SST-2 swaps a
space for a TAB; ChnSentiCorp is a seeded split of one CSV). A manifest entry
names its recipe with ``transform = { kind = "...", ... }`` so ``nlpkit corpus
download`` can rebuild the exact file; the sha256 of the result is checked
afterwards, so a recipe that drifts can never go unnoticed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nlpkit.errors import InputError

Transform = Callable[[Path, Path, Mapping[str, Any]], None]


def first_space_to_tab(source: Path, target: Path, spec: Mapping[str, Any]) -> None:
    """Replace the first space of every line by a TAB (``label sentence`` to ``label<TAB>sentence``)."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.writelines(line.replace(b" ", b"\t", 1) for line in src)


def csv_split(source: Path, target: Path, spec: Mapping[str, Any]) -> None:
    """Write one part of a seeded shuffle split of a CSV file as TAB-separated lines.

    The rows (header dropped when ``header`` is true) are shuffled by index with
    ``random.Random(seed)``; the first ``int(n * train)`` indices are ``train``,
    the next ``int(n * dev)`` are ``dev`` and the rest ``test``. Each row of the
    requested ``part`` becomes ``field<TAB>field...\\n``, in shuffled order.
    """
    rows = _read_csv(source, bool(spec.get("header", True)))
    order = list(range(len(rows)))
    random.Random(spec["seed"]).shuffle(order)
    n_train, n_dev = int(len(rows) * spec["train"]), int(len(rows) * spec["dev"])
    parts = {"train": order[:n_train], "dev": order[n_train:n_train + n_dev], "test": order[n_train + n_dev:]}
    if spec.get("part") not in parts:
        raise InputError(f"csv-split needs part = one of {', '.join(parts)}, not {spec.get('part')!r}")
    with open(target, "w", encoding="utf-8", newline="") as dst:
        dst.writelines("\t".join(rows[i]) + "\n" for i in parts[spec["part"]])


def _read_csv(source: Path, header: bool) -> list[list[str]]:
    """All rows of a UTF-8 CSV (BOM allowed); a TAB or line break inside a field is an error."""
    with open(source, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))[1 if header else 0:]
    for number, row in enumerate(rows, 2 if header else 1):
        if any(ch in field for field in row for ch in "\t\r\n"):
            raise InputError("a field contains a TAB or line break and cannot become one TSV line", str(source), number)
    return rows


#: transform kind -> function(source, target, spec)
TRANSFORMS: dict[str, Transform] = {
    "first-space-to-tab": first_space_to_tab,
    "csv-split": csv_split,
}


def apply_transform(spec: Mapping[str, Any], source: Path, target: Path) -> None:
    """Run the transform ``spec["kind"]`` from ``source`` to ``target``."""
    TRANSFORMS[spec["kind"]](source, target, spec)
