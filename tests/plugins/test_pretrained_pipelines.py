"""The pretrained pipelines nlpkit ships (plugins/nlpkit_pretrained): each loads by name,
gets sentences written for these tests right, scores above a floor on a slice of its dev
file when the corpora are present, and carries a card that says how it was made."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import nlpkit
from nlpkit.corpus import read_corpus
from nlpkit.evaluation import evaluate
from nlpkit.pretrained import catalog
from nlpkit.spans import bmes_to_words, tags_to_spans
from nlpkit.testing import invoke

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: Every pipeline the issue asks for, and the smallest score a 300-sentence dev slice
#: must reach (a few points under the full dev score the card records).
SHIPPED = {
    "zh-cws": 0.94, "zh-cws-hmm": 0.78, "zh-pos": 0.90, "zh-ner": 0.91, "en-ner": 0.88,
    "en-pos": 0.93, "en-pos-hmm": 0.91, "zh-sentiment": 0.86, "en-sentiment": 0.76,
}
SLICE = 300


def test_every_pipeline_is_registered_by_the_builtin_plugin() -> None:
    registered = {p.name: p for p in catalog() if p.plugin == "pretrained"}
    assert set(SHIPPED) <= set(registered)
    for name in SHIPPED:
        assert registered[name].distribution == "nlpkit" and registered[name].scores and registered[name].licence


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_card_names_config_data_commit_and_scores(name: str) -> None:
    card = catalog().get(name).card()
    root = Path(__file__).resolve().parents[2]
    assert (root / card["config"]).is_file()
    assert all(len(f["sha256"]) == 64 and f["corpus"].startswith("corpus:") for f in card["training_files"].values())
    assert card["commit"] and card["hardware"]["cpu"] and card["training"]["seconds"] > 0
    dev = card["dev"]
    assert abs(dev["full_precision"] - dev["shipped"]) < 0.001
    assert list(card["scores"].values()) == [dev["shipped"]]


def test_the_shipped_pipelines_stay_small() -> None:
    sizes = {name: catalog().get(name).size() for name in SHIPPED}
    assert sum(sizes.values()) < 60e6, sizes


# -- sentences written for these tests -------------------------------------------------


def test_zh_cws_segments_chinese(pipelines) -> None:  # type: ignore[no-untyped-def]
    cws = pipelines("zh-cws")
    assert cws("我们明天去北京参观故宫。").words.texts == ["我们", "明天", "去", "北京", "参观", "故宫", "。"]
    assert cws("他在银行工作了三年").words.texts == ["他", "在", "银行", "工作", "了", "三", "年"]
    assert nlpkit.tokenize("老师 喜欢学生。", tokenizer="zh-cws").texts == ["老师", "喜欢", "学生", "。"]


def test_zh_cws_hmm_segments_without_importing_torch() -> None:
    code = ("import sys, nlpkit; words = nlpkit.load('zh-cws-hmm')('我们明天去北京参观故宫。').words.texts; "
            "print(' '.join(words)); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    words, torch_imported = done.stdout.splitlines()
    assert {"我们", "明天", "北京"} <= set(words.split()) and torch_imported == "False"


def test_zh_pos_tags_the_words_zh_cws_finds(pipelines) -> None:  # type: ignore[no-untyped-def]
    result = pipelines("zh-pos")("我们今天去北京。")
    tokens = result.tokens
    assert tokens.texts == ["我们", "今天", "去", "北京", "。"]
    assert tokens.tags == ["PRON", "NOUN", "VERB", "PROPN", "PUNCT"]


def test_zh_ner_finds_resume_entities(pipelines) -> None:  # type: ignore[no-untyped-def]
    found = pipelines("zh-ner")("王小明，男，汉族，现任北京大学教授。").entities
    assert {(e.text, e.label) for e in found} >= {("王小明", "NAME"), ("汉族", "RACE"), ("北京大学", "ORG")}


def test_en_ner_finds_people_places_and_organisations(pipelines) -> None:  # type: ignore[no-untyped-def]
    found = pipelines("en-ner")("Angela Merkel met officials of the United Nations in Paris on Monday .").entities
    assert [(e.text, e.label) for e in found] == [("Angela Merkel", "PER"), ("United Nations", "ORG"), ("Paris", "LOC")]


@pytest.mark.parametrize("name", ["en-pos", "en-pos-hmm"])
def test_en_pos_tags_a_plain_sentence(pipelines, name: str) -> None:  # type: ignore[no-untyped-def]
    tokens = pipelines(name)("The old man quickly read two letters.").tokens
    assert tokens.texts == ["The", "old", "man", "quickly", "read", "two", "letters", "."]
    assert tokens.tags == ["DET", "ADJ", "NOUN", "ADV", "VERB", "NUM", "NOUN", "PUNCT"]


@pytest.mark.parametrize(("name", "positive", "negative"), [
    ("zh-sentiment", "房间很干净，服务也很热情，下次还会再来。", "房间又脏又小，服务态度很差，再也不来了。"),
    ("en-sentiment", "a warm , funny and beautifully acted film .", "a dull , tedious and badly written mess ."),
])
def test_sentiment_tells_praise_from_complaint(pipelines, name: str, positive: str, negative: str) -> None:  # type: ignore[no-untyped-def]
    assert [r.label for r in pipelines(name).pipe([positive, negative])] == ["1", "0"]


def test_names_work_on_the_command_line() -> None:
    result = invoke("tokenize", "-t", "zh-cws", "我们明天去北京参观故宫。")
    assert result.exit_code == 0, result.output
    assert result.stdout == "我们 明天 去 北京 参观 故宫 。\n"
    listed = {p["name"]: p for p in json.loads(invoke("models", "--json").stdout)["pipelines"]}
    assert set(SHIPPED) <= set(listed)


# -- dev slices -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_dev_slice_scores_above_its_floor(name: str, pipelines, corpus_file, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pipeline = pipelines(name)
    corpus = pipeline.meta["config"]["corpus"]
    corpus_name, _, file = corpus["dev"].removeprefix("corpus:").partition("/")
    dev = corpus_file(corpus_name, file)  # skips without the corpora
    head = _slice(dev, corpus["format"], tmp_path / dev.name)
    metric = pipeline.task.metric
    assert evaluate(pipeline, head)[metric] >= SHIPPED[name]


def _slice(path: Path, fmt: str, out: Path) -> Path:
    """The first sentences (or lines) of a dev file, in its own format."""
    text = path.read_text(encoding="utf-8")
    if fmt in ("segmented", "label-tab-text"):
        out.write_text("".join(text.splitlines(keepends=True)[:SLICE]), encoding="utf-8")
    else:
        blocks = text.replace("\r\n", "\n").split("\n\n")
        out.write_text("\n\n".join(blocks[:SLICE]) + "\n", encoding="utf-8")
    assert read_corpus(out, fmt), out
    return out


# -- scores only when asked -----------------------------------------------------------


@pytest.mark.parametrize(("name", "corpus", "file", "fmt"), [
    ("zh-cws-hmm", "ctb6", "dev.txt", "segmented"), ("zh-cws", "ctb6", "dev.txt", "segmented"),
    ("en-ner", "conll2003", "dev.txt", "conll"), ("en-pos-hmm", "ud_english_ewt", "en_ewt-ud-dev.conllu", "conllu"),
])
def test_scores_change_nothing_but_the_scores_on_dev_text(name, corpus, file, fmt, pipelines, corpus_file) -> None:  # type: ignore[no-untyped-def]
    """On raw dev text, results without scores (the default) are those with scores, but
    for the scores: same tokens, tags, words and entities; and words and entities are
    the chunks conlleval reads in the tags, at the tokens' offsets."""
    examples = read_corpus(corpus_file(corpus, file), fmt)[:120]
    joiner = "" if fmt == "segmented" else " "
    texts = [joiner.join(e.tokens) for e in examples if e.tokens] + ["", "   "]
    pipeline = pipelines(name)
    plain, scored = list(pipeline.pipe(texts, batch_size=32)), list(pipeline.pipe(texts, batch_size=32, scores=True))
    for a, b in zip(plain, scored):
        assert a.tokens == b.tokens and a.tokens.tags == b.tokens.tags
        if hasattr(a, "entities"):
            assert [replace(e, score=None) for e in b.entities] == a.entities
            assert all(e.score is None for e in a.entities) and all(0 < e.score <= 1 for e in b.entities)
            spans = tags_to_spans(a.tokens.tags, pipeline.task.scheme)
            assert [(e.token_start, e.token_end, e.label) for e in a.entities] == [(s.start, s.end, s.label) for s in spans]
        else:
            assert a.scores is None and len(b.scores) == len(getattr(b, "words", b.tokens))
            assert all(0 < s <= 1 + 1e-9 for s in b.scores)
        if hasattr(a, "words"):  # the dev texts have no spaces: words are bmes_to_words's
            assert a.words == b.words
            assert a.words.texts == (bmes_to_words(a.tokens.texts, a.tokens.tags) if a.tokens.tags else [])
            assert [a.text[s:e] for s, e in zip(a.words.starts, a.words.ends)] == a.words.texts


def test_zh_cws_batch_features_change_no_tag_on_dev_text(pipelines, corpus_file, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The ``vocab`` encoder looks up a batch's bigram and lexicon features at once: on all
    of CTB6 dev the features are those of one sentence at a time, and so are the tags."""
    from nlpkit.encoder import Encoder

    texts = ["".join(e.tokens) for e in read_corpus(corpus_file("ctb6", "dev.txt"), "segmented") if e.tokens]
    pipeline = pipelines("zh-cws")
    encoder = pipeline.encoder
    for start in range(0, len(texts), 64):
        sentences = [list(t) for t in texts[start:start + 64]]
        for found, seq in zip(encoder.features_batch(sentences), sentences):
            alone = encoder.features(seq)
            assert all((found[name] == alone[name]).all() for name in alone) and list(found) == list(alone)
    batched = [r.tokens.tags for r in pipeline.pipe(texts, batch_size=64)]
    monkeypatch.setattr(encoder, "features_batch", lambda sequences: Encoder.features_batch(encoder, sequences))
    assert [r.tokens.tags for r in pipeline.pipe(texts, batch_size=64)] == batched
