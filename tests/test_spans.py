"""nlpkit.spans: conlleval's chunk reading, tag schemes, repair, conversion, and words <-> BMES.

Property tests (hypothesis) check round trips and that repair keeps what conlleval reads;
hand cases pin conlleval's quirks; random sequences are compared with seqeval's
``get_entities``, which emulates conlleval.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpkit.errors import InputError, UsageError
from nlpkit.spans import (
    SCHEMES,
    Span,
    bmes_to_words,
    check_scheme,
    convert,
    normalize_scheme,
    parse_tag,
    repair_tags,
    spans_to_tags,
    tags_to_spans,
    token_spans_to_char_spans,
    word_offsets,
    words_to_bmes,
)

LABELS = ["PER", "LOC", "creative-work", ""]
WRITABLE = ["IOB2", "IOB1", "BIOES", "BMES"]
PREFIXES = {"IOB2": "BI", "IOB1": "BI", "BIOES": "BIES", "BMES": "BMES"}


@st.composite
def spans_and_length(draw) -> tuple[list[Span], int]:
    """Non-overlapping spans (adjacent ones included) over a sentence of some length."""
    spans, pos = [], 0
    for _ in range(draw(st.integers(0, 6))):
        pos += draw(st.integers(0, 2))  # tokens of O before the span, often none
        length = draw(st.integers(1, 4))
        spans.append(Span(draw(st.sampled_from(LABELS)), pos, pos + length))
        pos += length
    return spans, pos + draw(st.integers(0, 2))


@st.composite
def scheme_and_tags(draw) -> tuple[str, list[str]]:
    """Any sequence of tags the scheme allows, well-formed or not."""
    scheme = draw(st.sampled_from(WRITABLE))
    tag = st.one_of(
        st.just("O"),
        st.builds(
            lambda p, label: f"{p}-{label}" if label else p, st.sampled_from(PREFIXES[scheme]), st.sampled_from(LABELS)
        ),
    )
    return scheme, draw(st.lists(tag, max_size=12))


def spans(*triples: tuple[str, int, int]) -> list[Span]:
    return [Span(*t) for t in triples]


# ---------------------------------------------------------------- conlleval's reading, by hand


def test_i_after_o_starts_a_chunk() -> None:
    assert tags_to_spans(["O", "I-PER", "I-PER", "O"], "IOB2") == spans(("PER", 1, 3))
    assert tags_to_spans(["I-PER"], "IOB2") == spans(("PER", 0, 1))


def test_type_change_ends_a_chunk() -> None:
    assert tags_to_spans(["B-PER", "I-LOC", "I-LOC"], "IOB2") == spans(("PER", 0, 1), ("LOC", 1, 3))
    assert tags_to_spans(["B-PER", "B-PER", "I-PER"], "BIO") == spans(("PER", 0, 1), ("PER", 1, 3))


def test_iob1_b_splits_adjacent_entities() -> None:
    tags = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG"]
    assert tags_to_spans(tags, "IOB1") == spans(("PER", 0, 2), ("PER", 2, 3), ("LOC", 4, 5), ("ORG", 5, 6))
    assert convert(tags, "IOB1", "IOB2") == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG"]
    assert convert(convert(tags, "IOB1", "IOB2"), "IOB2", "IOB1") == tags


def test_bioes_ends_and_singles() -> None:
    tags = ["B-PER", "O", "E-PER", "E-PER", "S-LOC", "I-LOC", "E-LOC", "B-ORG", "S-ORG"]
    assert tags_to_spans(tags, "BIOES") == spans(
        ("PER", 0, 1), ("PER", 2, 3), ("PER", 3, 4), ("LOC", 4, 5), ("LOC", 5, 7), ("ORG", 7, 8), ("ORG", 8, 9)
    )


def test_bmes_reads_m_as_inside() -> None:
    tags = ["B-NAME", "M-NAME", "E-NAME", "O", "S-ORG", "M-ORG", "E-ORG"]
    assert tags_to_spans(tags, "BMES") == spans(("NAME", 0, 3), ("ORG", 4, 5), ("ORG", 5, 7))
    assert tags_to_spans(["B", "E", "S", "M", "M", "E"], "BMES") == spans(("", 0, 2), ("", 2, 3), ("", 3, 6))


def test_types_keep_their_hyphens() -> None:
    assert tags_to_spans(["B-creative-work", "I-creative-work"], "IOB2") == spans(("creative-work", 0, 2))
    assert parse_tag("I-creative-work") == ("I", "creative-work")
    assert parse_tag("O") == ("O", None)
    assert parse_tag("M", "BMES") == ("M", "")


def test_span_score_is_not_part_of_identity() -> None:
    a, b = Span("PER", 0, 2, score=0.9), Span("PER", 0, 2)
    assert a == b and hash(a) == hash(b) and a.score == 0.9
    with pytest.raises(AttributeError):
        a.start = 1  # type: ignore[misc]


# ---------------------------------------------------------------- errors a user can act on


def test_unknown_scheme_suggests_the_closest() -> None:
    with pytest.raises(UsageError, match="Unknown tag scheme 'BIOSE'. Did you mean 'BIOES'"):
        tags_to_spans(["O"], "BIOSE")


def test_every_part_accepts_the_same_scheme_names() -> None:
    """One table of names: spans, the CRF's constraints and the tasks agree on each alias."""
    import torch

    from nlpkit.crf import allowed_transitions
    from nlpkit.tasks.ner import NerTask

    labels = ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    for alias, canonical in (("IOBES", "BIOES"), ("bio", "IOB2"), ("BIOES", "BIOES")):
        assert normalize_scheme(alias) == canonical
        assert NerTask(scheme=alias).scheme == canonical
        tags = ["B-PER", "E-PER"] if canonical == "BIOES" else ["B-PER", "I-PER"]
        assert tags_to_spans(tags, alias) == tags_to_spans(tags, canonical)
        if canonical == "BIOES":
            assert all(map(torch.equal, allowed_transitions(labels, alias), allowed_transitions(labels, canonical)))
    assert normalize_scheme("bio") == "IOB2" and normalize_scheme("bmes") == "BMES"
    assert set(SCHEMES) == {"IOB2", "BIO", "IOB1", "BIOES", "IOBES", "BMES"}
    assert normalize_scheme("iobes") == "BIOES"


def test_tag_outside_the_scheme_names_tag_position_and_prefixes() -> None:
    with pytest.raises(InputError) as err:
        tags_to_spans(["O", "B-PER", "E-PER"], "IOB2", source="dev.txt:17")
    message = str(err.value)
    assert message.startswith("dev.txt:17: tag 'E-PER' at token 2 does not fit tag scheme IOB2")
    assert "B-, I-" in message and "pass scheme='BIOES'" in message
    for bad in ["PER", "X-PER", "O-PER", "BPER", ""]:
        with pytest.raises(InputError, match="does not fit tag scheme"):
            tags_to_spans([bad], "BIOES")
    with pytest.raises(InputError, match="prefixes B-, M-, E-, S-"):
        tags_to_spans(["I-NAME"], "BMES")


def test_spans_to_tags_refuses_overlaps_and_out_of_range() -> None:
    with pytest.raises(UsageError, match="Spans overlap: .* share token 3"):
        spans_to_tags(spans(("PER", 0, 4), ("LOC", 3, 5)), 6, "IOB2")
    with pytest.raises(UsageError, match="does not fit 3 tokens"):
        spans_to_tags(spans(("PER", 2, 4)), 3, "BIOES")
    with pytest.raises(UsageError, match="does not fit"):
        spans_to_tags(spans(("PER", 2, 2)), 3, "BIOES")


# ---------------------------------------------------------------- validity and repair, by hand


def test_check_scheme_messages() -> None:
    assert check_scheme(["O", "B-LOC", "O", "I-PER"], "IOB2") == [
        "I-PER after O at token 3 (IOB2 entities start with B-PER)"
    ]
    assert check_scheme(["I-PER"], "IOB2", source="a.txt:4") == [
        "a.txt:4: I-PER at the start of the sentence (token 0) (IOB2 entities start with B-PER)"
    ]
    assert check_scheme(["O", "B-PER"], "IOB1")[0].startswith("B-PER after O at token 1")
    assert check_scheme(["B-PER", "O"], "BIOES") == [
        "B-PER followed by O at token 0 (a BIOES entity goes on with I-PER and ends with E-PER)"
    ]
    assert len(check_scheme(["O", "M", "O"], "BMES")) == 2  # M after O, and M not ended
    assert check_scheme(["E-PER", "O"], "IOB2")[0].startswith("tag 'E-PER' at token 0 does not fit")
    assert check_scheme(["B-PER", "I-PER", "O", "B-LOC"], "IOB2") == []


def test_repair_by_hand() -> None:
    assert repair_tags(["O", "I-PER", "I-PER", "B-LOC", "I-ORG"], "IOB2") == ["O", "B-PER", "I-PER", "B-LOC", "B-ORG"]
    assert repair_tags(["B-PER", "O", "I-LOC", "I-LOC", "B-ORG", "S-ORG"], "BIOES") == [
        "S-PER",
        "O",
        "B-LOC",
        "E-LOC",
        "S-ORG",
        "S-ORG",
    ]
    assert repair_tags(["M", "M", "B", "S", "E"], "BMES") == ["B", "E", "S", "S", "S"]


# ---------------------------------------------------------------- properties


@given(spans_and_length(), st.sampled_from(WRITABLE))
def test_spans_round_trip_through_tags(data, scheme: str) -> None:
    spans_, length = data
    tags = spans_to_tags(spans_, length, scheme)
    assert len(tags) == length
    assert tags_to_spans(tags, scheme) == spans_
    assert check_scheme(tags, scheme) == []


@given(spans_and_length())
def test_convert_between_schemes_keeps_spans(data) -> None:
    spans_, length = data
    iob2 = spans_to_tags(spans_, length, "IOB2")
    for scheme in ("IOB1", "BIOES", "BMES"):
        there = convert(iob2, "IOB2", scheme)
        assert tags_to_spans(there, scheme) == spans_
        assert convert(there, scheme, "BIO") == iob2


@given(scheme_and_tags())
def test_repair_gives_valid_tags_with_the_chunks_conlleval_reads(data) -> None:
    scheme, tags = data
    repaired = repair_tags(tags, scheme)
    assert check_scheme(repaired, scheme) == []
    assert tags_to_spans(repaired, scheme) == tags_to_spans(tags, scheme)
    assert (check_scheme(tags, scheme) == []) == (repaired == tags)  # valid tags are left alone


@pytest.fixture(scope="module")
def seqeval():
    return pytest.importorskip("seqeval.metrics.sequence_labeling")  # imports scikit-learn: ~1 s


@given(scheme_and_tags())
@settings(max_examples=300)
def test_chunks_agree_with_seqeval(seqeval, data) -> None:
    scheme, tags = data
    # seqeval's default mode knows no M; conlleval's reading of BMES is BIOES with M as I.
    as_conlleval = [("I" + t[1:]) if t.startswith("M") else t for t in tags]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = seqeval.get_entities(as_conlleval)
    expected = [Span("" if label == "_" else label, start, end + 1) for label, start, end in theirs]
    assert tags_to_spans(tags, scheme) == expected


# ---------------------------------------------------------------- words and characters

WORD = st.text(alphabet="中国人民好的了abc１２", min_size=1, max_size=5)


@given(st.lists(WORD, max_size=8))
def test_words_bmes_round_trip(words: list[str]) -> None:
    tags = words_to_bmes(words)
    text = "".join(words)
    assert len(tags) == len(text)
    assert bmes_to_words(text, tags) == words
    assert bmes_to_words(list(text), tags) == words
    assert check_scheme(tags, "BMES") == []


@given(st.lists(st.sampled_from("BMES"), max_size=12))
def test_bmes_to_words_is_lenient_and_agrees_with_conlleval(tags: list[str]) -> None:
    text = "".join(chr(0x4E00 + i) for i in range(len(tags)))
    words = bmes_to_words(text, tags)
    assert "".join(words) == text
    assert [(s.start, s.end) for s in tags_to_spans(tags, "BMES")] == word_offsets(text, words)


def test_bmes_to_words_by_hand() -> None:
    assert bmes_to_words("共同创造美好", ["B", "E", "B", "M", "M", "E"]) == ["共同", "创造美好"]
    assert bmes_to_words("abcdef", ["M", "E", "E", "S", "M", "B"]) == ["ab", "c", "d", "e", "f"]
    assert bmes_to_words("abc", ["B-X", "M-X", "E-Y"]) == ["abc"]  # types are ignored
    with pytest.raises(InputError, match="tag 'O' at character 1 is not a word-segmentation tag"):
        bmes_to_words("ab", ["S", "O"])
    with pytest.raises(InputError, match="2 characters but 1 tags"):
        bmes_to_words("ab", ["S"])
    with pytest.raises(UsageError, match="Word 1 is empty"):
        words_to_bmes(["a", ""])
    assert words_to_bmes(["共同", "的", "新世纪"]) == ["B", "E", "S", "B", "M", "E"]


@given(
    st.lists(st.tuples(WORD, st.sampled_from(["", " ", "  ", "\t", "\r\n"])), max_size=8), st.sampled_from(["", " "])
)
def test_word_offsets_map_back_to_the_text(pieces, lead: str) -> None:
    text = lead + "".join(word + gap for word, gap in pieces)
    words = [word for word, _ in pieces]
    offsets = word_offsets(text, words)
    assert [text[a:b] for a, b in offsets] == words
    assert all(b <= c for (_, b), (c, _) in pairwise(offsets))


def test_word_offsets_by_hand_and_errors() -> None:
    assert word_offsets("共同  创造 a b", ["共同", "创造", "a", "b"]) == [(0, 2), (4, 6), (7, 8), (9, 10)]
    assert word_offsets("a b", ["a", " ", "b"]) == [(0, 1), (1, 2), (2, 3)]  # jieba keeps spaces as words
    with pytest.raises(InputError, match="word 1 '造' does not match the text at character 2"):
        word_offsets("共同创造", ["共同", "造"])
    with pytest.raises(InputError, match="the words end at character 2 but the text goes on: '创造'"):
        word_offsets("共同创造", ["共同"])


def test_token_spans_to_char_spans() -> None:
    text = "Peter  Blackburn visits New York"
    offsets = [(0, 5), (7, 16), (17, 23), (24, 27), (28, 32)]
    spans_ = tags_to_spans(["B-PER", "I-PER", "O", "B-LOC", "I-LOC"])
    chars = token_spans_to_char_spans(spans_, offsets)
    assert [text[a:b] for a, b in chars] == ["Peter  Blackburn", "New York"]
    with pytest.raises(UsageError, match="does not fit 5 tokens"):
        token_spans_to_char_spans([Span("PER", 4, 6)], offsets)
