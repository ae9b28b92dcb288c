"""nlpkit.splits.split_examples: seeded, stratified, reproducible splits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpkit.corpus import Example, read_corpus
from nlpkit.errors import UsageError
from nlpkit.splits import allocate, split_examples


def make(labels: str) -> list[Example]:
    """One example per character of ``labels``, labelled by it, numbered by ``source``."""
    return [Example(text=f"t{i}", label=label, source=str(i)) for i, label in enumerate(labels)]


def ids(part: list[Example]) -> list[int]:
    return [int(e.source) for e in part]


def check_partition(examples: list[Example], parts: list[list[Example]]) -> None:
    """Disjoint, together everything, each part in input order."""
    flat = [i for part in parts for i in ids(part)]
    assert sorted(flat) == list(range(len(examples)))
    assert all(ids(part) == sorted(ids(part)) for part in parts)


def test_same_seed_same_parts_other_seed_other_parts() -> None:
    examples = make("ab" * 50)
    first = split_examples(examples, (0.8, 0.1, 0.1), seed=7)
    assert split_examples(list(examples), [0.8, 0.1, 0.1], seed=7) == first
    assert split_examples(examples, (0.8, 0.1, 0.1), seed=8) != first
    check_partition(examples, first)
    assert [len(p) for p in first] == [80, 10, 10]


SCRIPT = """
import json, sys
from nlpkit.corpus import Example
from nlpkit.splits import split_examples
examples = [Example(text=str(i), label=label, source=str(i)) for i, label in enumerate(sys.argv[1])]
parts = split_examples(examples, (0.6, 0.2, 0.2), seed=3, stratify=True)
print(json.dumps([[e.source for e in part] for part in parts]))
"""


def test_parts_do_not_depend_on_the_hash_seed() -> None:
    labels = "".join("xyzwv"[i * i % 5] for i in range(60))

    def run(hash_seed: str) -> list[list[str]]:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", SCRIPT, labels], env=env, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    assert run("1") == run("2")


def test_stratified_proportions_per_class() -> None:
    examples = make("a" * 50 + "b" * 23 + "c" * 7 + "d" * 3 + "e" * 2 + "f")
    fractions = (0.7, 0.2, 0.1)
    parts = split_examples(examples, fractions, seed=1, stratify=True)
    check_partition(examples, parts)
    totals = Counter(e.label for e in examples)
    for label, n in totals.items():
        counts = [sum(e.label == label for e in part) for part in parts]
        if n >= len(fractions):
            assert min(counts) >= 1, (label, counts)
        if label not in "de":  # d and e are moved by the at-least-one rule
            assert all(abs(c - n * f) < 1 for c, f in zip(counts, fractions)), (label, counts)


def test_stratified_keeps_the_label_mix(corpus_file) -> None:  # type: ignore[no-untyped-def]
    folder = corpus_file("names", "Arabic.txt").parent
    examples = read_corpus(folder, "folder-per-class")
    fractions = (0.8, 0.1, 0.1)
    parts = split_examples(examples, fractions, seed=42, stratify=True)
    assert sorted(e.source for part in parts for e in part) == sorted(e.source for e in examples)
    totals = Counter(e.label for e in examples)
    for part, fraction in zip(parts, fractions):
        counts = Counter(e.label for e in part)
        assert set(counts) == set(totals)  # all 18 classes, even Vietnamese (73)
        assert all(abs(counts[label] - n * fraction) < 1 for label, n in totals.items())


def test_allocate_largest_remainder() -> None:
    assert allocate(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    assert allocate(7, (1 / 3, 1 / 3, 1 / 3)) == [3, 2, 2]  # ties go to the first part
    assert allocate(19, (0.5, 0.3, 0.2)) == [9, 6, 4]  # 9.5, 5.7, 3.8: remainders .8 and .7 beat .5
    assert allocate(0, (0.5, 0.5)) == [0, 0]


def test_allocate_gives_every_part_one_when_it_can() -> None:
    assert allocate(3, (0.98, 0.01, 0.01)) == [1, 1, 1]
    assert allocate(5, (0.9, 0.05, 0.05)) == [3, 1, 1]
    assert allocate(2, (0.5, 0.25, 0.25)) == [1, 1, 0]  # fewer items than parts


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 60),
    weights=st.lists(st.integers(1, 20), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
    stratify=st.booleans(),
)
def test_any_split_is_a_partition(n: int, weights: list[int], seed: int, stratify: bool) -> None:
    fractions = [w / sum(weights) for w in weights]
    examples = make("".join("abc"[(i * 7 + seed) % 3] for i in range(n)))
    parts = split_examples(examples, fractions, seed=seed, stratify=stratify)
    assert len(parts) == len(fractions)
    check_partition(examples, parts)
    if not stratify and n >= len(fractions):
        assert all(part for part in parts)


def test_fractions_within_tolerance_are_accepted() -> None:
    parts = split_examples(make("a" * 9), (0.3333333, 0.3333333, 0.3333333), seed=0)
    assert [len(p) for p in parts] == [3, 3, 3]


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.8, 0.1), "must sum to 1, but [0.8, 0.1] sums to 0.9"),
        ((0.5, 0.5, 0.1), "sums to 1.1"),
        ((1.0, 0.0), "every fraction must be a number > 0; got 0.0"),
        ((1.2, -0.2), "got -0.2"),
        ((float("nan"), 1.0), "got nan"),
        ((), "fractions is empty"),
    ],
)
def test_bad_fractions(fractions: tuple[float, ...], message: str) -> None:
    with pytest.raises(UsageError) as info:
        split_examples(make("ab"), fractions, seed=0)
    assert message in str(info.value)


def test_stratify_needs_labels() -> None:
    examples = [*make("ab"), Example(text="x", source="f.txt:3")]
    with pytest.raises(UsageError, match=r"needs a label on every example, but example 2 \(f.txt:3\) has none"):
        split_examples(examples, (0.5, 0.5), seed=0, stratify=True)
    assert len(split_examples(examples, (0.5, 0.5), seed=0)[0]) == 2  # fine without stratify


def test_seed_must_be_an_integer() -> None:
    with pytest.raises(UsageError, match="seed must be an integer"):
        split_examples(make("ab"), (0.5, 0.5), seed="1")  # type: ignore[arg-type]
