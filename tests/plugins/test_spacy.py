"""The spaCy tokenizer: contract, equality with spaCy, and errors with install hints."""

import pytest
import spacy

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
