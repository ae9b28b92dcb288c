"""The ``vocab`` plugin's code tables: short strings as integers, looked up by the batch."""

from __future__ import annotations

import numpy as np

from nlpkit_vocab.codes import BITS, CodeTable, code_points, string_codes


def test_a_code_table_answers_as_a_dict_does() -> None:
    """Present codes give their values, absent ones ``missing``, with the table crowded
    (codes that share their high bits land on neighbouring slots)."""
    rng = np.random.default_rng(5)
    for count in (0, 1, 7, 5000):
        codes = np.unique(np.concatenate([rng.integers(0, 2**62, count), np.arange(count) << 40]))
        values = rng.integers(0, 1000, len(codes))
        table = CodeTable(codes, values, missing=-1)
        queries = np.concatenate([codes, rng.integers(0, 2**62, 500), np.arange(2 * count) << 40])
        expected = dict(zip(codes.tolist(), values.tolist()))
        assert table.get(queries).tolist() == [expected.get(q, -1) for q in queries.tolist()]


def test_strings_pack_one_code_point_every_21_bits() -> None:
    assert code_points("a中\U0010ffff").tolist() == [0x61, 0x4E2D, 0x10FFFF]
    assert string_codes(["ab", "中\U0010ffff"], 2).tolist() == [0x61 | 0x62 << BITS, 0x4E2D | 0x10FFFF << BITS]
