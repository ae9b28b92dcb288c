"""nlpkit.vocab.Vocab: order, thresholds, unknowns, and the JSON file."""

from __future__ import annotations

import json
import random

import pytest

from nlpkit.errors import InputError, UsageError
from nlpkit.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab

SEQUENCES = [["b", "a", "c"], ["a", "b"], ["a", "d"], ["e"]]
# counts: a 3, b 2, c 1, d 1, e 1


def test_specials_come_first_in_their_fixed_order() -> None:
    vocab = Vocab.build(SEQUENCES)
    assert vocab.items[:4] == [PAD, UNK, BOS, EOS] == list(SPECIALS)
    assert [vocab.special_id(s) for s in SPECIALS] == [0, 1, 2, 3]


def test_order_is_falling_frequency_then_string() -> None:
    vocab = Vocab.build(SEQUENCES)
    assert vocab.items[4:] == ["a", "b", "c", "d", "e"]


def test_ties_are_ordered_by_the_whole_string() -> None:
    vocab = Vocab.build([["ca", "ab", "bb"], ["zz", "ba", "zz"]])
    assert vocab.items[4:] == ["zz", "ab", "ba", "bb", "ca"]


def test_order_does_not_depend_on_input_order() -> None:
    expected = Vocab.build(SEQUENCES).items
    rng = random.Random(3)
    for _ in range(10):
        shuffled = [rng.sample(seq, len(seq)) for seq in rng.sample(SEQUENCES, len(SEQUENCES))]
        assert Vocab.build(shuffled).items == expected


def test_specials_in_the_data_are_not_counted_twice() -> None:
    vocab = Vocab.build([["x", PAD, UNK, "x"]])
    assert vocab.items == [*SPECIALS, "x"]


def test_min_freq_drops_rare_items() -> None:
    vocab = Vocab.build(SEQUENCES, min_freq=2)
    assert vocab.items == [*SPECIALS, "a", "b"]
    assert "c" not in vocab


def test_max_size_keeps_the_most_frequent_not_counting_specials() -> None:
    vocab = Vocab.build(SEQUENCES, max_size=3)
    assert vocab.items == [*SPECIALS, "a", "b", "c"]
    assert len(vocab) == 7


def test_unknown_items_map_to_unk() -> None:
    vocab = Vocab.build(SEQUENCES)
    unk = vocab.special_id(UNK)
    assert vocab.id("zzz") == unk
    assert vocab.encode(["a", "zzz", "e"]) == [vocab.id("a"), unk, vocab.id("e")]
    assert vocab.decode(vocab.encode(["a", "b"])) == ["a", "b"]


def test_label_vocab_without_specials_raises_key_error_for_unknowns() -> None:
    labels = Vocab.build([["POS"], ["NEG"], ["POS"]], specials=())
    assert labels.items == ["POS", "NEG"]
    assert labels.id("NEG") == 1
    with pytest.raises(KeyError):
        labels.id("NEUTRAL")
    with pytest.raises(KeyError):
        labels.encode(["POS", "NEUTRAL"])
    with pytest.raises(UsageError, match="no '<pad>'"):
        labels.special_id(PAD)


def test_empty_vocabulary_says_why_and_what_to_do() -> None:
    with pytest.raises(UsageError) as info:
        Vocab.build([["a", "b"], ["a"]], min_freq=5)
    message = str(info.value)
    assert "empty" in message and "min_freq=5" in message
    assert "2 distinct items" in message
    assert "Lower min_freq" in message
    with pytest.raises(UsageError, match="empty"):
        Vocab.build([])


def test_save_load_round_trip_is_atomic(tmp_path) -> None:
    vocab = Vocab.build([["北京", "a", "a", "Ü"]], specials=(PAD, UNK))
    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]  # no temp file left
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"specials": [PAD, UNK], "items": ["a", "Ü", "北京"]}
    loaded = Vocab.load(path)
    assert loaded.items == vocab.items
    assert loaded.specials == vocab.specials
    assert loaded.encode(["北京", "nope"]) == vocab.encode(["北京", "nope"])
    vocab2 = Vocab.build([["z"]])
    vocab2.save(path)  # replacing an existing file leaves no temp file either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]
    assert Vocab.load(path).items == [*SPECIALS, "z"]


def test_label_vocab_round_trip_keeps_no_specials(tmp_path) -> None:
    labels = Vocab.build([["B"], ["A"], ["B"]], specials=())
    labels.save(tmp_path / "labels.json")
    loaded = Vocab.load(tmp_path / "labels.json")
    assert loaded.items == ["B", "A"] and loaded.specials == ()
    with pytest.raises(KeyError):
        loaded.id("C")


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"items": ["a"]}', ""])
def test_loading_a_corrupt_file_names_the_file(tmp_path, content: str) -> None:
    path = tmp_path / "broken-vocab.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        Vocab.load(path)
    assert str(path) in str(info.value)
    assert "vocabulary" in str(info.value)


def test_loading_a_missing_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="missing.json"):
        Vocab.load(tmp_path / "missing.json")
