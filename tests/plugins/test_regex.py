import pytest
from hypothesis import given, settings

from nlpkit import get_tokenizer
from nlpkit.errors import OptionError
from nlpkit.testing import TokenizerContract, unicode_texts


class TestRegexDefault(TokenizerContract):
    name = "regex"
    examples = {
        "Don't stop, state-of-the-art!": ["Don't", "stop", ",", "state-of-the-art", "!"],
        "It costs 1,000.50 dollars.": ["It", "costs", "1,000.50", "dollars", "."],
        "hi 👩\u200d👩\u200d👧": ["hi", "👩\u200d👩\u200d👧"],
    }


class TestRegexWordsOnly(TokenizerContract):
    name = "regex"
    options = {"pattern": r"\w+"}
    only_whitespace_dropped = False
    examples = {"a, b!": ["a", "b"]}


class TestWhitespace(TokenizerContract):
    name = "whitespace"
    examples = {" a\tb\u3000c\n": ["a", "b", "c"]}


@settings(max_examples=300, deadline=None)
@given(text=unicode_texts())
def test_whitespace_matches_str_split(text):
    assert get_tokenizer("whitespace")(text).texts == text.split()


def test_invalid_pattern_is_an_option_error():
    with pytest.raises(OptionError, match="not a valid regular expression"):
        get_tokenizer("regex", pattern="(unclosed")
