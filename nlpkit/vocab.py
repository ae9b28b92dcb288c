"""Vocabularies: a deterministic mapping between strings and ids, saved as JSON.

The same class serves tokens (with specials ``<pad> <unk> <bos> <eos>``) and
labels (no specials: a label never seen in training is an error, not ``<unk>``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import InputError, UsageError
from .io import atomic_write

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)


class Vocab:
    """Strings and their ids; specials first, then by falling frequency, ties by string."""

    def __init__(self, items: Sequence[str], specials: Sequence[str] = SPECIALS) -> None:
        self.specials = tuple(specials)
        self.items = list(dict.fromkeys([*self.specials, *items]))
        self.index = {item: i for i, item in enumerate(self.items)}
        self.unk_id = self.index.get(UNK)

    @classmethod
    def build(
        cls,
        sequences: Iterable[Iterable[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = SPECIALS,
    ) -> Vocab:
        """Count every item; keep those seen ``min_freq`` times, at most ``max_size`` of
        them (specials not counted). The order never depends on input order of ties."""
        counts: Counter[str] = Counter()
        for seq in sequences:
            counts.update(seq)
        kept = sorted((x for x, n in counts.items() if n >= min_freq and x not in specials), key=lambda x: (-counts[x], x))
        if not kept:
            raise UsageError(
                f"The vocabulary is empty: no item occurs at least min_freq={min_freq} times "
                f"({len(counts)} distinct items seen). Lower min_freq or check the corpus."
            )
        return cls(kept[:max_size] if max_size else kept, specials)

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: object) -> bool:
        return item in self.index

    def id(self, item: str) -> int:
        """The id of ``item``; ``<unk>``'s id for unknown items, or KeyError without ``<unk>``."""
        found = self.index.get(item, self.unk_id)
        if found is None:
            raise KeyError(item)
        return found

    def encode(self, items: Iterable[str]) -> list[int]:
        """Ids for a sequence of items, unknown ones as ``<unk>``."""
        index, unk = self.index, self.unk_id
        if unk is None:
            return [self.id(x) for x in items]
        return [index.get(x, unk) for x in items]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Items for a sequence of ids."""
        return [self.items[i] for i in ids]

    def special_id(self, special: str) -> int:
        """The id of a special such as ``<pad>``; an error if this vocabulary has none."""
        if special not in self.specials:
            raise UsageError(f"This vocabulary has no '{special}' entry (its specials: {self.specials or 'none'}).")
        return self.index[special]

    def to_json(self) -> dict:
        return {"specials": list(self.specials), "items": self.items[len(self.specials):]}

    @classmethod
    def from_json(cls, data: dict) -> Vocab:
        return cls(data["items"], data["specials"])

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON, atomically."""
        with atomic_write(path) as out:
            json.dump(self.to_json(), out, ensure_ascii=False, indent=0)

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a vocabulary written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_json(data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a readable nlpkit vocabulary: {exc}", str(path)) from None
