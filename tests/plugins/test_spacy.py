"""The spaCy tokenizer: contract, equality with spaCy, and errors with install hints."""

import pytest
import spacy
from spacy.attrs import ORTH

from nlpkit import get_tokenizer
from nlpkit.errors import MissingDependencyError, OptionError, UsageError
from nlpkit.testing import TokenizerContract


class TestSpacyEnglish(TokenizerContract):
    name = "spacy"
    options = {"lang": "en"}
    examples = {"Don't stop at U.S. borders.": ["Do", "n't", "stop", "at", "U.S.", "borders", "."]}


class TestSpacyChineseChar(TokenizerContract):
    name = "spacy"
    options = {"lang": "zh", "segmenter": "char"}
    examples = {"北京 大学": ["北", "京", "大", "学"]}


class TestSpacyGerman(TokenizerContract):
    name = "spacy"
    options = {"lang": "de", "keep_whitespace": True}


def test_equals_spacy_on_real_text(corpus_file):
    lines = corpus_file("tinyshakespeare", "input.txt").read_text(encoding="utf-8").splitlines()[:2000]
    nlp = spacy.blank("en")
    tok = get_tokenizer("spacy", lang="en")
    for line, toks in zip(lines, tok.pipe(lines, batch_size=256)):
        doc = nlp(line)
        assert toks.texts == [t.text for t in doc if not t.is_space]
        assert toks.starts == [t.idx for t in doc if not t.is_space]


#: Whitespace of every kind (kept by spaCy as whitespace tokens), emoji and flag sequences,
#: combining marks, the character the tokenizer joins texts with, special cases, empties.
TRICKY = [
    "", " ", "  ", "\n", "\t\t", "\r\n", "\x1e", "a\x1eb", " \x1e ", "\xa0", "a\u2028b\u2029c", "x\u200by",
    "a  b", "a\tb\n\nc ", "  x  ", " x", "x ", "x\n", "\n x \n", "one two  three\n\n\tfour\t",
    "cafe\u0301 nai\u0308ve e\u0301\u0301! \u0915\u094d\u0937", "👍🏽 👨‍👩‍👧‍👦,🇺🇸🇬🇧 (😀)", "a😀b", "\U0001d400\U0001d401.",
    "Don't stop at U.S. borders.", "I'm here:) (:) :-) e.g. etc. 'tis", "mailto:a@b.co https://example.com/a?b=c&d=1.",
    "\"Quoted,\" she said -- 3.14 vs 1,000.00 $5 5km 10:30pm", "New York\nYork", "\x1e\x1e", "\u3000全角\u3000",
    "این یک آزمایش است. ق.ق .ق ق", "Saya di KL. M\nN",
]


def _reference(nlp: spacy.Language, text: str, keep_whitespace: bool = False) -> list[tuple[str, int, int]]:
    """What the tokenizer returns, read the slow way: one spaCy ``Token`` object at a time."""
    return [(t.text, t.idx, t.idx + len(t.text)) for t in nlp(text) if keep_whitespace or not t.is_space]


def _triples(tokens) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    return list(zip(tokens.texts, tokens.starts, tokens.ends))


@pytest.fixture(scope="module")
def ewt_sentences(corpus_file) -> list[str]:  # type: ignore[no-untyped-def]
    """The raw text of the first 1,500 sentences of UD English-EWT train."""
    path = corpus_file("ud_english_ewt", "en_ewt-ud-train.conllu")
    with open(path, encoding="utf-8") as f:
        texts = [line[len("# text = "):].rstrip("\n") for line in f if line.startswith("# text = ")]
    return texts[:1500]


@pytest.mark.parametrize(("lang", "options"), [
    ("en", {}), ("en", {"keep_whitespace": True}), ("de", {}), ("xx", {}),
    ("fa", {}), ("ms", {}), ("zh", {"segmenter": "char"}), ("zh", {"segmenter": "char", "keep_whitespace": True}),
])
def test_tokens_and_offsets_equal_spacy_token_objects(lang, options, ewt_sentences):
    nlp = spacy.blank(lang, config={"nlp": {"tokenizer": {"segmenter": "char"}}} if lang == "zh" else {})
    tok = get_tokenizer("spacy", lang=lang, **options)
    keep = options.get("keep_whitespace", False)
    long_text = "\n".join(ewt_sentences[:300])  # longer than a group: tokenized alone
    texts = [*TRICKY, *ewt_sentences, *TRICKY[::-1], long_text, *[""] * 250, *TRICKY, *ewt_sentences[:50]]
    expected = [_reference(nlp, text, keep) for text in texts]
    assert [_triples(tok(text)) for text in texts] == expected
    for batch_size in (1, 7, 1000):
        assert [_triples(tokens) for tokens in tok.pipe(texts, batch_size=batch_size)] == expected
    assert [_triples(tokens) for tokens in tok.tokenize_batch(texts[:100])] == expected[:100]
    assert all(tokens.text is text for tokens, text in zip(tok.pipe(texts), texts))


@pytest.mark.parametrize("rules", [("a \n", "New York"), ("New York", "ab ")])
def test_special_cases_with_whitespace_in_a_saved_pipeline(tmp_path, rules):
    # A rule whose tokens include whitespace ("a \n") sees whitespace that joining texts
    # would change; one with a single inner space ("New York") cannot reach across texts.
    nlp = spacy.blank("en")
    for rule in rules:
        nlp.tokenizer.add_special_case(rule, [{ORTH: rule}])
    nlp.to_disk(tmp_path / "rules")
    tok = get_tokenizer("spacy", model=str(tmp_path / "rules"))
    texts = ["a \n", "b", "x a \n", "New", "York", "in New York!", "New\nYork", "a", "\n", *TRICKY]
    expected = [_reference(nlp, text) for text in texts]
    assert [_triples(tokens) for tokens in tok.pipe(texts)] == expected
    assert [_triples(tok(text)) for text in texts] == expected
    assert ("New York", 3, 11) in expected[5]
    assert expected[0] == ([("a \n", 0, 3)] if "a \n" in rules else [("a", 0, 1)])


def test_zh_jieba_segmenter_passes_through():
    assert get_tokenizer("spacy", lang="zh", segmenter="jieba")("我来到北京清华大学").texts == [
        "我", "来到", "北京", "清华大学",
    ]


def test_saved_pipeline_directory_loads_by_path(tmp_path):
    spacy.blank("fr").to_disk(tmp_path / "fr-pipe")
    tok = get_tokenizer("spacy", model=str(tmp_path / "fr-pipe"))
    assert tok("J'aime l'été.").texts == get_tokenizer("spacy", lang="fr")("J'aime l'été.").texts


def test_unknown_language_lists_supported_ones():
    with pytest.raises(UsageError, match=r"spaCy has no language 'klingon'.*It supports: .*\ben\b.*\bzh\b"):
        get_tokenizer("spacy", lang="klingon")


def test_language_needing_an_extra_library_gives_an_install_hint():
    with pytest.raises(MissingDependencyError, match=r"pip install 'spacy\[ja\]'"):
        get_tokenizer("spacy", lang="ja")


def test_pipeline_not_installed_gives_the_download_command():
    with pytest.raises(MissingDependencyError, match="python -m spacy download en_core_web_xx"):
        get_tokenizer("spacy", model="en_core_web_xx")


def test_segmenter_only_for_chinese():
    with pytest.raises(OptionError, match="applies to lang=zh only"):
        get_tokenizer("spacy", lang="en", segmenter="jieba")


def test_language_and_pipeline_must_agree(tmp_path):
    spacy.blank("fr").to_disk(tmp_path / "fr-pipe")
    with pytest.raises(OptionError, match="is for language 'fr', not 'en'"):
        get_tokenizer("spacy", lang="en", model=str(tmp_path / "fr-pipe"))
