"""What every tokenizer must do: :class:`TokenizerContract`, and the hard texts it is tried on."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..api import get_tokenizer
from ..errors import OptionError
from ..registry import registry
from ..tokenizer import Tokenizer
from ..tokens import Tokens

#: Hand-picked texts that break careless tokenizers: CJK, emoji sequences,
#: combining marks, mixed scripts, whitespace runs, CRLF, the empty string.
SAMPLES = [
    "",
    " ",
    "我来到北京清华大学。",
    "Hello, world! Don't stop.",
    "e\u0301cole cafe\u0301 n\u0303",
    "👩\u200d👩\u200d👧 family 🇨🇳 flag 👍🏽!",
    "混合 mixed テキスト 텍스트 текст نص",
    "  leading and trailing  \t\t tabs \u3000全角空格\u3000 ",
    "line one\r\nline two\nline three",
    "2026年3月15日，价格是$3.50（约合人民币25元）。",
    "\u0301 starts with a combining mark",
]

_EMOJI = ["😀", "👩\u200d👩\u200d👧", "🇨🇳", "👍🏽", "❤\ufe0f"]
_WORDS = ["北京", "清华大学", "don't", "New York", "2026", "e\u0301", "\r\n", "  ", "\u3000"]


def unicode_texts() -> st.SearchStrategy[str]:
    """Random text mixing CJK, Latin, emoji sequences, combining marks and whitespace runs."""
    chars = st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x300, max_codepoint=0x36F),
        st.sampled_from(list(" \t\n\r\u3000\u00a0\u2028.,!?。，！？'-")),
        st.characters(codec="utf-8"),
    )
    fragment = st.one_of(st.text(chars, max_size=12), st.sampled_from(_EMOJI + _WORDS))
    return st.one_of(st.lists(fragment, max_size=8).map("".join), st.text(max_size=40))


def check_offsets(tokenizer: Tokenizer, text: str, only_whitespace_dropped: bool = True) -> Tokens:
    """Assert that every token is ``text[start:end]``; for non-overlapping tokenizers,
    that tokens are in order and, with the gaps between them, rebuild ``text``."""
    tokens = tokenizer(text)
    assert isinstance(tokens, Tokens), f"tokenize() returned {type(tokens).__name__}, not Tokens"
    assert tokens.text == text, f"Tokens.text is {tokens.text!r}, not the input {text!r}"
    for tok in tokens:
        assert 0 <= tok.start < tok.end <= len(text), f"bad span {tok} in {text!r}"
        assert text[tok.start:tok.end] == tok.text, f"{tok} does not match {text[tok.start:tok.end]!r}"
    if not tokenizer.overlapping:
        assert all(e <= s for e, s in zip(tokens.ends, tokens.starts[1:])), f"tokens overlap in {text!r}"
        gaps = tokens.gaps()
        rebuilt = gaps[0] + "".join(w + g for w, g in zip(tokens.texts, gaps[1:]))
        assert rebuilt == text, f"tokens and gaps give {rebuilt!r}, not {text!r}"
        if only_whitespace_dropped:
            lost = [g for g in gaps if g and not g.isspace()]
            assert not lost, f"non-whitespace text {lost!r} was dropped from {text!r}"
    return tokens


def _first_difference(texts: list[str], got: list[Tokens], expected: list[Tokens]) -> str:
    if len(got) != len(expected):
        return f"got {len(got)} results for {len(expected)} texts"
    for text, g, e in zip(texts, got, expected):
        if g != e:
            return f"{text!r}: got {list(g)}, expected {list(e)}"
    return "results differ"


class TokenizerContract:
    """What every tokenizer plugin must do. Set ``name``; optionally ``options``,
    ``examples`` (text -> expected token texts) and ``only_whitespace_dropped``."""

    name: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    examples: ClassVar[dict[str, list[str]]] = {}
    #: False for tokenizers that skip more than whitespace (a regex keeping only words).
    only_whitespace_dropped: ClassVar[bool] = True

    @pytest.fixture(scope="class")
    @classmethod
    def tokenizer(cls) -> Tokenizer:
        return get_tokenizer(cls.name, **cls.options)

    def test_registered_under_its_name(self) -> None:
        entry = registry("tokenizers").entry(self.name)
        assert issubclass(entry.cls, Tokenizer), f"{entry.cls!r} does not subclass nlpkit.Tokenizer"
        assert self.name == entry.name or self.name in entry.aliases, f"'{self.name}' resolves to '{entry.name}'"

    def test_examples(self, tokenizer: Tokenizer) -> None:
        for text, expected in self.examples.items():
            got = tokenizer(text).texts
            assert got == expected, f"{text!r}: got {got}, expected {expected}"

    def test_offsets_on_hard_samples(self, tokenizer: Tokenizer) -> None:
        for text in SAMPLES:
            check_offsets(tokenizer, text, self.only_whitespace_dropped)

    # Every subclass runs this one method with its own tokenizer; examples saved
    # for one are valid texts for all, so sharing them (differing_executors) is safe.
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(text=unicode_texts())
    def test_offsets_on_random_unicode(self, tokenizer: Tokenizer, text: str) -> None:
        check_offsets(tokenizer, text, self.only_whitespace_dropped)

    def test_empty_text_gives_no_tokens(self, tokenizer: Tokenizer) -> None:
        assert len(tokenizer("")) == 0, f"tokens for the empty string: {list(tokenizer(''))}"

    def test_pipe_equals_tokenize(self, tokenizer: Tokenizer) -> None:
        expected = [tokenizer(t) for t in SAMPLES]
        got = list(tokenizer.pipe(iter(SAMPLES), batch_size=3))
        assert got == expected, _first_difference(SAMPLES, got, expected)

    def test_pipe_on_two_processes_keeps_order(self, tokenizer: Tokenizer) -> None:
        texts = SAMPLES * 3
        expected = [tokenizer(t) for t in texts]
        got = list(tokenizer.pipe(texts, batch_size=2, n_process=2))
        assert got == expected, _first_difference(texts, got, expected)

    def test_config_rebuilds_an_equal_tokenizer(self, tokenizer: Tokenizer) -> None:
        config = tokenizer.config()
        json.dumps(config)  # saved pipelines store it as JSON
        rebuilt = type(tokenizer)(**config)
        got = [rebuilt(t) for t in SAMPLES]
        assert got == [tokenizer(t) for t in SAMPLES], _first_difference(SAMPLES, got, [tokenizer(t) for t in SAMPLES])

    def test_pickle_round_trip(self, tokenizer: Tokenizer) -> None:
        copy = pickle.loads(pickle.dumps(tokenizer))
        got = [copy(t) for t in SAMPLES]
        assert got == [tokenizer(t) for t in SAMPLES], _first_difference(SAMPLES, got, [tokenizer(t) for t in SAMPLES])

    def test_thread_safe(self, tokenizer: Tokenizer) -> None:
        texts = SAMPLES * 20
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(tokenizer, texts))
        expected = [tokenizer(t) for t in texts]
        assert got == expected, _first_difference(texts, got, expected)

    def test_unknown_option_is_rejected(self) -> None:
        with pytest.raises(OptionError, match="no option 'no_such_option'"):
            get_tokenizer(self.name, **self.options, no_such_option=1)
