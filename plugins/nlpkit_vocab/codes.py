"""Short strings as integer codes, looked up a whole batch at a time.

A dictionary of hundreds of thousands of strings is far bigger than the CPU's caches:
each Python look-up waits on memory in turn. Strings of up to three code points packed
into one integer (21 bits a code point) and looked up in a numpy hash table let those
waits overlap, and cost one numpy call for all the characters of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bits per code point in a code (the largest code point, U+10FFFF, takes 21).
BITS = 21
#: Codes for the sequence padding tokens, just past the last code point.
BOS_CODE, EOS_CODE = 0x110000, 0x110001
_EMPTY = -1
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the high bits of key * 2**64 / phi


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` as int64, one numpy call."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def string_codes(strings: list[str], length: int) -> np.ndarray:
    """The codes of strings that are all ``length`` code points long (at most three)."""
    points = code_points("".join(strings)).reshape(len(strings), length)
    codes = points[:, 0].copy()
    for k in range(1, length):
        codes |= points[:, k] << (BITS * k)
    return codes


class CodeTable:
    """A map from distinct non-negative int64 codes to small ints (open addressing, linear
    probing), built and queried for whole arrays; absent codes give ``missing``."""

    def __init__(self, codes: np.ndarray, values: Sequence[int] | np.ndarray, missing: int,
                 dtype: type = np.int64) -> None:
        codes = np.asarray(codes, dtype=np.int64)
        values = np.asarray(values, dtype=dtype)
        self.shift = np.uint64(64 - max(4, (2 * len(codes)).bit_length()))  # at most half full
        size = 1 << (64 - int(self.shift))
        self.missing = missing
        self.keys = np.full(size, _EMPTY, dtype=np.int64)
        self.values = np.full(size, missing, dtype=dtype)
        slots, pending = self._slots(codes), np.arange(len(codes))
        while pending.size:  # each round, a free slot goes to the first code that wants it
            wanted = slots[pending]
            free = self.keys[wanted] == _EMPTY
            _, first = np.unique(wanted[free], return_index=True)
            placed = pending[free][first]
            self.keys[slots[placed]] = codes[placed]
            self.values[slots[placed]] = values[placed]
            taken = np.zeros(len(codes), dtype=bool)
            taken[placed] = True
            pending = pending[~taken[pending]]
            slots[pending] = (slots[pending] + 1) & (size - 1)

    def _slots(self, codes: np.ndarray) -> np.ndarray:
        return (codes.astype(np.uint64) * _MIX >> self.shift).astype(np.int64)

    def get(self, codes: np.ndarray) -> np.ndarray:
        """The value of each code, ``missing`` for codes not in the table."""
        out = np.full(len(codes), self.missing, dtype=self.values.dtype)
        mask = len(self.keys) - 1
        slots, pending = self._slots(codes), np.arange(len(codes))
        while pending.size:
            found = self.keys[slots]
            hit = found == codes[pending]
            out[pending[hit]] = self.values[slots[hit]]
            going = ~hit & (found != _EMPTY)
            pending, slots = pending[going], (slots[going] + 1) & mask
        return out
