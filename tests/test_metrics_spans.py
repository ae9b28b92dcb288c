"""Entity and word-segmentation scores on real corpora, against references.

- ``entity_scores`` against seqeval (conlleval's reading) on CoNLL-2003, WNUT-17 and
  Resume NER dev, scoring the predictions of a most-frequent-tag-per-word baseline
  learned from the train split. The baseline tags each token alone, so its output is
  full of ill-formed sequences (``O I-ORG``, ``B-PER I-LOC``...): exactly the cases where
  conlleval's lenient reading matters.
- ``segmentation_scores`` against a plain set-of-intervals implementation written here,
  on SIGHAN 2005 PKU test gold and held-back SXU sentences segmented by jieba.

Skips when the corpora (or seqeval, or jieba) are absent.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from nlpkit.errors import InputError
from nlpkit.metrics import entity_scores, segmentation_scores
from nlpkit.spans import check_scheme, convert

# corpus, train file, dev file, scheme, published dev sentence count
NER_CORPORA = {
    "conll2003": ("train", "dev", "IOB2", 3250),
    "wnut17": ("train", "dev", "IOB2", 1009),
    "resume_ner": ("train", "dev", "BMES", 463),
}


def read_columns(path: Path) -> list[tuple[list[str], list[str]]]:
    """(words, tags) per sentence of a CoNLL-style file: first column word, last column tag."""
    sentences: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0] == "-DOCSTART-":  # wnut17 train separates sentences with a lone tab
            if words:
                sentences.append((words, tags))
            words, tags = [], []
            continue
        words.append(parts[0])
        tags.append(parts[-1])
    if words:
        sentences.append((words, tags))
    return sentences


def most_frequent_tag_baseline(train: list[tuple[list[str], list[str]]]) -> dict[str, str]:
    """word -> its most frequent training tag (ties: alphabetical); unknown words get O."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for words, tags in train:
        for word, tag in zip(words, tags):
            counts[word][tag] += 1
    return {word: min(c, key=lambda tag: (-c[tag], tag)) for word, c in counts.items()}


@pytest.fixture(scope="module")
def seqeval():
    metrics = pytest.importorskip("seqeval.metrics")
    warnings.filterwarnings("ignore", module="seqeval")  # its 0/0 warnings; 0.0 is what we check
    return metrics


@pytest.fixture(scope="module")
def ner_data(corpus_file):
    cache: dict[str, tuple[list[list[str]], list[list[str]], str]] = {}

    def load(corpus: str) -> tuple[list[list[str]], list[list[str]], str]:
        if corpus not in cache:
            train_file, dev_file, scheme, expected = NER_CORPORA[corpus]
            baseline = most_frequent_tag_baseline(read_columns(corpus_file(corpus, train_file)))
            dev = read_columns(corpus_file(corpus, dev_file))
            assert len(dev) == expected
            gold = [tags for _, tags in dev]
            predicted = [[baseline.get(word, "O") for word in words] for words, _ in dev]
            cache[corpus] = gold, predicted, scheme
        return cache[corpus]

    return load


def as_conlleval(sentences: list[list[str]], scheme: str) -> list[list[str]]:
    """What seqeval's default mode can read. It emulates conlleval, which knows B/I/E/S/O
    but not BMES's M: an M-X after M-X is fine, but M then B would not close the chunk.
    conlleval's reading of BMES is BIOES with M as I, so map M -> I. (seqeval's strict
    IOBES mode is no reference here: it drops ill-formed chunks that conlleval reads.)"""
    if scheme != "BMES":
        return sentences
    return [["I" + tag[1:] if tag.startswith("M") else tag for tag in tags] for tags in sentences]


def assert_same_as_seqeval(ours: dict, gold: list[list[str]], predicted: list[list[str]], seqeval) -> None:
    assert ours["precision"] == pytest.approx(seqeval.precision_score(gold, predicted), abs=1e-12)
    assert ours["recall"] == pytest.approx(seqeval.recall_score(gold, predicted), abs=1e-12)
    assert ours["f1"] == pytest.approx(seqeval.f1_score(gold, predicted), abs=1e-12)
    report = seqeval.classification_report(gold, predicted, digits=4, output_dict=True)
    micro = report.pop("micro avg")
    assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx(
        (micro["precision"], micro["recall"], micro["f1-score"]), abs=1e-12
    )
    assert ours["gold_entities"] == micro["support"]
    types = {key: value for key, value in report.items() if not key.endswith(" avg")}
    assert set(ours["per_type"]) == set(types)
    for label, theirs in types.items():
        mine = ours["per_type"][label]
        assert (mine["precision"], mine["recall"], mine["f1"]) == pytest.approx(
            (theirs["precision"], theirs["recall"], theirs["f1-score"]), abs=1e-12
        ), label
        assert mine["support"] == theirs["support"], label


@pytest.mark.parametrize("corpus", list(NER_CORPORA))
def test_entity_scores_equal_seqeval_on_real_predictions(corpus: str, ner_data, seqeval) -> None:
    gold, predicted, scheme = ner_data(corpus)
    ill_formed = sum(bool(check_scheme(tags, scheme)) for tags in predicted)
    assert ill_formed > 20  # the baseline exercises conlleval's lenient reading
    assert not any(check_scheme(tags, scheme) for tags in gold)
    ours = entity_scores(gold, predicted, scheme=scheme)
    assert 0.05 < ours["f1"] < 0.9 and 0 < ours["correct_entities"] < ours["predicted_entities"]
    assert_same_as_seqeval(ours, as_conlleval(gold, scheme), as_conlleval(predicted, scheme), seqeval)


def test_entity_scores_text_report_to_four_digits(ner_data, seqeval) -> None:
    gold, predicted, scheme = ner_data("conll2003")
    ours = entity_scores(gold, predicted, scheme=scheme)
    rows = {}
    for line in seqeval.classification_report(gold, predicted, digits=4).splitlines():
        *name, precision, recall, f1, support = line.split() or [""] * 5
        rows[" ".join(name)] = (precision, recall, f1, support)
    for label, s in ours["per_type"].items():
        assert rows[label] == (f"{s['precision']:.4f}", f"{s['recall']:.4f}", f"{s['f1']:.4f}", str(s["support"]))
    micro = (f"{ours['precision']:.4f}", f"{ours['recall']:.4f}", f"{ours['f1']:.4f}", str(ours["gold_entities"]))
    assert rows["micro avg"] == micro


@pytest.mark.parametrize("corpus", list(NER_CORPORA))
def test_converting_to_bioes_keeps_scores(corpus: str, ner_data, seqeval) -> None:
    from seqeval.scheme import IOBES

    gold, predicted, scheme = ner_data(corpus)
    ours = entity_scores(gold, predicted, scheme=scheme)
    gold_bioes = [convert(tags, scheme, "BIOES") for tags in gold]
    predicted_bioes = [convert(tags, scheme, "BIOES") for tags in predicted]
    assert entity_scores(gold_bioes, predicted_bioes, scheme="BIOES") == ours
    # Converted tags are well formed, so seqeval's strict mode (which drops ill-formed
    # chunks) now agrees too: conversion wrote out exactly the chunks conlleval read.
    strict = seqeval.classification_report(gold_bioes, predicted_bioes, mode="strict", scheme=IOBES, output_dict=True)
    assert (ours["precision"], ours["recall"], ours["f1"]) == pytest.approx(
        (strict["micro avg"]["precision"], strict["micro avg"]["recall"], strict["micro avg"]["f1-score"]), abs=1e-12
    )
    back = [convert(tags, "BIOES", scheme) for tags in predicted_bioes]
    assert entity_scores(gold, back, scheme=scheme) == ours


def test_entity_scores_by_hand() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "I-MISC"], ["O", "I-ORG"]]  # I-ORG after O is read as an ORG
    scores = entity_scores(gold, predicted)
    assert (scores["gold_entities"], scores["predicted_entities"], scores["correct_entities"]) == (3, 3, 2)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert scores["per_type"]["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert scores["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["per_type"]["ORG"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    empty = entity_scores([["O"]], [["O"]])
    assert (empty["precision"], empty["recall"], empty["f1"], empty["per_type"]) == (0.0, 0.0, 0.0, {})


def test_entity_scores_errors_name_the_sentence() -> None:
    with pytest.raises(InputError, match="2 gold sentences but 1 predicted"):
        entity_scores([["O"], ["O"]], [["O"]])
    with pytest.raises(InputError, match="sentence 1 has 2 gold tags but 1 predicted"):
        entity_scores([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(InputError, match=r"^predicted sentence 1: tag 'S-PER' at token 0 does not fit tag scheme IOB2"):
        entity_scores([["O"], ["O"]], [["O"], ["S-PER"]])


# ---------------------------------------------------------------- word segmentation


def reference_segmentation(gold: list[list[str]], predicted: list[list[str]], dictionary: set[str]) -> dict:
    """The straightforward way: per sentence, sets of (start, end) character intervals."""
    n_gold = n_predicted = correct = oov = correct_oov = 0
    for g, p in zip(gold, predicted):
        g_ends, p_ends = list(itertools.accumulate(map(len, g))), list(itertools.accumulate(map(len, p)))
        g_spans = list(zip([0, *g_ends[:-1]], g_ends))
        p_spans = set(zip([0, *p_ends[:-1]], p_ends))
        n_gold, n_predicted, correct = (
            n_gold + len(g_spans),
            n_predicted + len(p_spans),
            correct + len(p_spans & set(g_spans)),
        )
        oov_spans = {span for word, span in zip(g, g_spans) if word not in dictionary}
        oov, correct_oov = oov + len(oov_spans), correct_oov + len(oov_spans & p_spans)
    precision, recall = correct / n_predicted, correct / n_gold
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "oov_rate": oov / n_gold,
        "oov_recall": correct_oov / oov,
        "iv_recall": (correct - correct_oov) / (n_gold - oov),
    }


def test_segmentation_scores_by_hand() -> None:
    gold = [["共同", "创造", "美好", "的", "新", "世纪"], ["世纪", "末"]]
    predicted = [["共同", "创", "造", "美好的", "新世纪"], ["世纪", "末"]]
    dictionary = {"共同", "美好", "的", "新"}
    # 8 gold words, 7 predicted, 3 correct (共同, 世纪, 末); OOV: 创造, 世纪, 世纪, 末 (2 found);
    # IV: 共同, 美好, 的, 新 (only 共同 found).
    scores = segmentation_scores(gold, predicted, dictionary)
    assert scores == {
        "precision": 3 / 7,
        "recall": 3 / 8,
        "f1": pytest.approx(0.4, abs=1e-15),
        "gold_words": 8,
        "predicted_words": 7,
        "correct_words": 3,
        "oov_rate": 0.5,
        "oov_recall": 0.5,
        "iv_recall": 0.25,
    }
    plain = segmentation_scores(gold, predicted)
    assert plain["f1"] == pytest.approx(0.4) and plain["oov_recall"] is None and plain["iv_recall"] is None


GOLD = [["我", "喜欢", "北京"], ["他", "看", "天安门"]]
FOUND = [["我", "喜", "欢", "北京"], ["他", "看", "天安", "门"]]  # 4 of 6 gold words: 我, 北京, 他, 看


def test_oov_recall_is_none_without_oov_words() -> None:
    scores = segmentation_scores(GOLD, FOUND, {w for words in GOLD for w in words})
    assert scores["oov_rate"] == 0.0 and scores["oov_recall"] is None and scores["iv_recall"] == 4 / 6
    assert json.loads(json.dumps(scores))["oov_recall"] is None  # JSON null


def test_iv_recall_is_none_without_iv_words() -> None:
    scores = segmentation_scores(GOLD, FOUND, set())
    assert scores["oov_rate"] == 1.0 and scores["oov_recall"] == 4 / 6 and scores["iv_recall"] is None


def test_oov_and_iv_recall_by_hand() -> None:
    # IV: 我 (found), 喜欢 (split); OOV: 北京, 他, 看 (found), 天安门 (split).
    scores = segmentation_scores(GOLD, FOUND, {"我", "喜欢"})
    assert (scores["oov_rate"], scores["oov_recall"], scores["iv_recall"]) == (4 / 6, 3 / 4, 1 / 2)


def test_no_gold_words_leaves_both_recalls_undefined() -> None:
    scores = segmentation_scores([[]], [[]], {"我"})
    assert scores["oov_rate"] == 0.0 and scores["oov_recall"] is None and scores["iv_recall"] is None


def test_segmentation_scores_errors() -> None:
    with pytest.raises(InputError, match="2 gold sentences but 1 predicted"):
        segmentation_scores([["a"], ["b"]], [["a"]])
    with pytest.raises(
        InputError, match=r"sentence 1: .* differ from character 3: gold '共同创造' .* predicted '共同创作'"
    ):
        segmentation_scores([["好"], ["共同", "创造"]], [["好"], ["共同", "创作"]])
    with pytest.raises(InputError, match="sentence 0: a predicted word is empty"):
        segmentation_scores([["ab"]], [["ab", ""]])


@pytest.fixture(scope="module")
def jieba_tokenizer():
    jieba = pytest.importorskip("jieba")
    return jieba.Tokenizer()  # its own instance: no state shared with other tests


def jieba_scores(gold: list[list[str]], dictionary: set[str], jieba_tokenizer) -> tuple[dict, dict]:
    predicted = [jieba_tokenizer.lcut("".join(words)) for words in gold]
    return segmentation_scores(gold, predicted, dictionary), reference_segmentation(gold, predicted, dictionary)


def test_segmentation_scores_on_pku_gold_with_jieba(corpus_file, jieba_tokenizer) -> None:
    lines = corpus_file("sighan2005_pku", "pku_test_gold.utf8").read_text(encoding="utf-8").splitlines()
    gold = [line.split() for line in lines if line.strip()][:300]
    words = corpus_file("sighan2005_pku", "pku_training_words.utf8").read_text(encoding="utf-8").split()
    ours, reference = jieba_scores(gold, set(words), jieba_tokenizer)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-12), key
    assert 0.7 < ours["f1"] < 0.95 and 0 < ours["oov_recall"] < ours["iv_recall"]


def test_segmentation_scores_on_held_back_sxu_with_jieba(corpus_file, jieba_tokenizer) -> None:
    lines = corpus_file("sxu_cws", "train").read_text(encoding="utf-8").splitlines()
    train, gold = lines[:-300], [line.split() for line in lines[-300:] if line.strip()]
    dictionary = {word for line in train for word in line.split()}
    ours, reference = jieba_scores(gold, dictionary, jieba_tokenizer)
    for key, value in reference.items():
        assert ours[key] == pytest.approx(value, abs=1e-12), key
    assert 0.7 < ours["f1"] < 0.95 and 0 < ours["oov_recall"] < 1
