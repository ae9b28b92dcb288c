import pytest

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
