"""``nlpkit.Tokenizer.v1``: nlpkit tokenizers and segmenters as spaCy tokenizers. The words
are nlpkit's, the Doc's text is the input exactly, whitespace is laid out as spaCy's own
tokenizer lays it out, and saved models load back. Found through nlpkit's
``spacy_tokenizers`` entry point, in a process that never imports nlpkit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import spacy
from spacy.tokens import Doc

import nlpkit
from nlpkit.errors import UnknownComponentError, UsageError
from nlpkit.pretrained import locate
from nlpkit_spacy.align import words_and_spaces

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CHINESE = [
    "我来到北京清华大学。",
    "他说：“今天天气很好。” 我们去公园吧！",
    "  北京 大学\n\n生前  是\t中国人 ",
    "北京时间 2024 年 5 月 1 日，Apple 发布了新款 iPhone。\r\n第二段。",
    "",
    " ",
    "\n",
]
#: Texts of plain words: spaCy's English tokenizer and nlpkit's ``whitespace`` agree on the
#: words, so the whitespace tokens and trailing spaces must agree too.
SPACING = ["a  b", "a\nb", "a \n b", "  x", "x  ", " x ", "a   b", "a\t b", "x ", "a \n\n  b ", " ", "", "one two  three\n"]


def blank_zh(tokenizer: str = "zh-cws", **options: object) -> spacy.Language:
    config: dict = {"@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": tokenizer}
    if options:
        config["options"] = options
    return spacy.blank("zh", config={"nlp": {"tokenizer": config}})


def words(doc: Doc) -> list[tuple[str, int]]:
    return [(t.text, t.idx) for t in doc if not t.is_space]


@pytest.fixture(scope="module")
def zh() -> spacy.Language:
    return blank_zh()


@pytest.fixture(scope="module")
def segmenter():  # type: ignore[no-untyped-def]
    return nlpkit.get_tokenizer("zh-cws")


def test_the_words_are_the_segmenter_s_and_the_text_round_trips(zh, segmenter) -> None:  # type: ignore[no-untyped-def]
    for text in CHINESE:
        doc, tokens = zh(text), segmenter(text)
        assert doc.text == text
        assert words(doc) == list(zip(tokens.texts, tokens.starts))
    assert [t.text for t in zh("我来到北京清华大学")] == segmenter("我来到北京清华大学").texts


def test_real_sentences_round_trip(zh, segmenter, corpus_file) -> None:  # type: ignore[no-untyped-def]
    lines = corpus_file("chnsenticorp", "dev").read_text(encoding="utf-8").splitlines()[:60]
    texts = [line.split("\t", 1)[-1] for line in lines]
    docs = list(zh.tokenizer.pipe(texts, batch_size=16))
    for text, doc, tokens in zip(texts, docs, segmenter.pipe(texts)):
        assert doc.text == text and words(doc) == list(zip(tokens.texts, tokens.starts))
    assert [d.to_json() for d in docs] == [zh(t).to_json() for t in texts]


def test_whitespace_is_laid_out_as_spacy_lays_it_out() -> None:
    english, ours = spacy.blank("en"), spacy.blank("en", config={"nlp": {"tokenizer": {
        "@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": "whitespace"}}})
    for text in SPACING:
        assert [(t.text, t.whitespace_) for t in ours(text)] == [(t.text, t.whitespace_) for t in english(text)], text


def test_text_no_token_covers_becomes_tokens_too() -> None:
    text = "ab  !? cd"
    assert words_and_spaces(text, [0, 7], [2, 9]) == (["ab", " ", "!?", "cd"], [True, False, True, False])


def test_any_nlpkit_tokenizer_with_options() -> None:
    nlp = blank_zh("jieba", mode="accurate", hmm=False)
    assert [t.text for t in nlp("我来到北京清华大学")] == ["我", "来到", "北京", "清华大学"]
    assert nlp.config["nlp"]["tokenizer"]["options"] == {"mode": "accurate", "hmm": False}


def test_components_run_on_the_nlpkit_words() -> None:
    nlp = blank_zh()
    nlp.add_pipe("nlpkit", config={"pipeline": "zh-ner"})
    for text in ["我叫张伟，在北京大学工作。", "张伟是中国人民大学的教授，他毕业于复旦大学。"]:
        doc = nlp(text)
        kept = [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]
        left_out = [(e["text"], e["label"], e["start"], e["end"]) for e in doc._.nlpkit_misaligned]
        expected = [(e.text, e.label, e.start, e.end) for e in nlpkit.load("zh-ner")(text).entities]
        assert sorted(kept + left_out) == sorted(expected) and expected


# -- saving ----------------------------------------------------------------------------


def test_a_pretrained_segmenter_round_trips_by_name(tmp_path, zh) -> None:  # type: ignore[no-untyped-def]
    zh.to_disk(tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "tokenizer" / "nlpkit.json").read_text(encoding="utf-8"))
    assert (saved["tokenizer"], saved["options"], saved["copy"]) == ("zh-cws", {}, None)
    loaded = spacy.load(tmp_path / "model")
    assert [d.to_json() for d in map(loaded, CHINESE)] == [d.to_json() for d in map(zh, CHINESE)]


def test_a_segmenter_folder_is_copied_into_the_model(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "my-cws"
    shutil.copytree(locate("zh-cws-hmm"), folder)
    nlp = blank_zh(str(folder))
    nlp.add_pipe("nlpkit", config={"pipeline": "zh-pos"})
    before = [d.to_json() for d in nlp.pipe(CHINESE)]
    nlp.to_disk(tmp_path / "model")
    assert (tmp_path / "model" / "tokenizer" / "pipeline" / "pipeline.json").is_file()
    shutil.rmtree(folder)
    loaded = spacy.load(tmp_path / "model")
    assert loaded.tokenizer.tokenizer == str(folder)
    assert [d.to_json() for d in loaded.pipe(CHINESE)] == before
    assert loaded.from_bytes(loaded.to_bytes())("我来到北京").text == "我来到北京"


# -- errors ----------------------------------------------------------------------------


def test_an_unknown_tokenizer_says_what_is_installed() -> None:
    with pytest.raises(UnknownComponentError, match=r"Unknown tokenizer 'jeiba'. Did you mean 'jieba'\?"):
        blank_zh("jeiba")


def test_overlapping_tokens_are_refused() -> None:
    with pytest.raises(UsageError, match="overlapping tokens"):
        blank_zh("jieba", mode="search")


def test_a_missing_folder_is_an_error_when_the_tokenizer_is_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_zh(str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match="nlpkit tokenizer '.*nowhere': the pipeline folder .* does not exist"):
        nlp("我来到北京")


# -- found by spaCy alone --------------------------------------------------------------

FRESH = """
import json, sys
import spacy
assert "nlpkit" not in sys.modules
assert spacy.registry.tokenizers.get("nlpkit.Tokenizer.v1")
nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": "zh-cws"}}})
print(json.dumps([t.text for t in nlp("我来到北京清华大学")], ensure_ascii=False))
"""


def test_spacy_finds_the_tokenizer_through_its_entry_point(segmenter) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, encoding="utf-8",
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == segmenter("我来到北京清华大学").texts
