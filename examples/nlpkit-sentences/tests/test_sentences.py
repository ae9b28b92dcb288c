"""The ``sentence`` tokenizer: nlpkit's contract tests, then its own examples."""

from __future__ import annotations

import pytest

from nlpkit import get_tokenizer, registry
from nlpkit.api import tokenizer_from_strings
from nlpkit.errors import OptionError
from nlpkit.testing import TokenizerContract, check_offsets


class TestSentence(TokenizerContract):
    name = "sentence"
    examples = {
        "我来到北京清华大学。你呢？我很好！": ["我来到北京清华大学。", "你呢？", "我很好！"],
        "他说：“今天天气很好。”然后就走了。": ["他说：“今天天气很好。”", "然后就走了。"],
        "首先；其次……最后": ["首先；", "其次……", "最后"],
        "Hello world. How are you?  I'm fine!": ["Hello world.", "How are you?", "I'm fine!"],
        'He said "Stop." Then he left.': ['He said "Stop."', "Then he left."],
        "Mr. Smith paid $3.50 at example.com. Wait... what?!": [
            "Mr. Smith paid $3.50 at example.com.",
            "Wait...",
            "what?!",
        ],
        "It works.我也是。": ["It works.", "我也是。"],
        "No terminator at all": ["No terminator at all"],
    }


class TestSentenceOptions(TokenizerContract):
    """The same contract through an alias, with every option changed."""

    name = "sentences"
    options = {"terminators": "。.", "closers": "", "abbreviations": ("etc",)}
    examples = {
        "你好！我很好。好的 etc. done. Next": ["你好！我很好。", "好的 etc. done.", "Next"],
        "(Quoted.) Next.": ["(Quoted.) Next."],  # without closers "." before ")" ends nothing
    }


def test_offsets_index_the_original_text() -> None:
    text = "  第一句。\n\tSecond one!   "
    tokens = check_offsets(get_tokenizer("sentence"), text)
    assert [(t.text, t.start, t.end) for t in tokens] == [("第一句。", 2, 6), ("Second one!", 8, 19)]


def test_registered_by_the_entry_point_or_by_the_conftest_fixture(sentences_plugin: str | None) -> None:
    entry = registry("tokenizers").entry("sentence")
    assert (entry.plugin, entry.aliases) == ("sentences", ("sentences",))
    assert entry.distribution == sentences_plugin


def test_cli_option_strings_are_typed_by_the_signature() -> None:
    tok = tokenizer_from_strings("sentence", ["abbreviations=Mr,Dr", "terminators=.!?"])
    assert tok.config() == {"terminators": ".!?", "closers": tok.closers, "abbreviations": ("Mr", "Dr")}
    assert tok("Dr. Who? Mrs. Hudson.").texts == ["Dr. Who?", "Mrs.", "Hudson."]


def test_empty_terminators_are_rejected_with_a_fix() -> None:
    with pytest.raises(OptionError, match="terminators' is empty.*-O terminators="):
        get_tokenizer("sentence", terminators="")
