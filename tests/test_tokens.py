from itertools import accumulate, compress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpkit import Token, Tokens


def test_from_words_computes_offsets_and_drops_whitespace():
    toks = Tokens.from_words("我 来到\t北京", ["我", " ", "来到", "\t", "北京"])
    assert list(toks) == [Token("我", 0, 1), Token("来到", 2, 4), Token("北京", 5, 7)]


def test_from_words_keeps_whitespace_and_tags_when_asked():
    toks = Tokens.from_words("a b", ["a", " ", "b"], tags=["x", "w", "y"], keep_whitespace=True)
    assert [(t.text, t.tag) for t in toks] == [("a", "x"), (" ", "w"), ("b", "y")]
    dropped = Tokens.from_words("a b", ["a", " ", "b"], tags=["x", "w", "y"])
    assert dropped.tags == ["x", "y"]


def test_sequence_protocol():
    toks = Tokens.from_words("abc", ["a", "b", "c"])
    assert len(toks) == 3
    assert toks[-1] == Token("c", 2, 3)
    assert toks[1:] == [("b", 1, 2), ("c", 2, 3)]
    assert isinstance(toks[1:], Tokens) and toks[1:].text == "abc"
    with pytest.raises(IndexError):
        toks[3]


def test_equality_with_tokens_and_tuples():
    a = Tokens.from_words("ab", ["a", "b"])
    assert a == Tokens.from_tokens("ab", [Token("a", 0, 1), Token("b", 1, 2)])
    assert a == [("a", 0, 1), ("b", 1, 2)]
    assert a != [("a", 0, 1)]
    assert a != "ab"


def test_gaps_rebuild_the_text():
    toks = Tokens.from_words("  hi  there ", ["  ", "hi", "  ", "there", " "])
    assert toks.gaps() == ["  ", "  ", " "]
    assert Tokens("", [], [], []).gaps() == [""]


def test_to_dicts_carries_offsets_and_tags():
    assert Tokens.from_words("ab", ["a", "b"]).to_dicts() == [
        {"text": "a", "start": 0, "end": 1},
        {"text": "b", "start": 1, "end": 2},
    ]
    tagged = Tokens.from_tokens("ab", [Token("ab", 0, 2, "n")])
    assert tagged.to_dicts() == [{"text": "ab", "start": 0, "end": 2, "tag": "n"}]


def reference_from_words(text, words, tags=None, keep_whitespace=False):  # type: ignore[no-untyped-def]
    """The general computation from_words makes (without its one-character shortcut)."""
    ends = list(accumulate(map(len, words)))
    if not keep_whitespace:
        keep = [not w.isspace() for w in words]
        words, ends = list(compress(words, keep)), list(compress(ends, keep))
        tags = list(compress(tags, keep)) if tags is not None else None
    return Tokens(text, words, [e - len(w) for w, e in zip(words, ends)], ends, tags)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["字", "a", " ", "\t", "\u3000", "\u00a0", "\n", "", "ab", "北京", "\r\n"]), max_size=12),
       st.booleans())
def test_from_words_equals_the_general_computation(words, keep_whitespace) -> None:
    """One character a word (the char tokenizer's case, taken by a shortcut), whitespace,
    empty and longer words: offsets and tags as the general computation gives them."""
    text = "".join(words)
    tags = [f"T{i}" for i in range(len(words))]
    assert Tokens.from_words(text, list(words), None, keep_whitespace) == reference_from_words(
        text, list(words), None, keep_whitespace)
    assert Tokens.from_words(text, list(words), tags, keep_whitespace) == reference_from_words(
        text, list(words), tags, keep_whitespace)
