"""The ``ner`` task: scheme checks and repair, entity F1, and entities with character
offsets, on a tiny corpus written for these tests (tests/tagging_samples.py)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from nlpkit.config import load_config
from nlpkit.corpus import Example, read_corpus
from nlpkit.errors import InputError, UsageError
from nlpkit.metrics import entity_scores
from nlpkit.registry import registry
from nlpkit.tasks import task_class
from nlpkit.tasks.ner import Entity, NerResult, NerTask
from nlpkit.tokens import Tokens
from nlpkit.training import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")




def corpus(tmp_path: Path, name: str, text: str) -> list[Example]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_corpus(tmp_path / name, "conll")


def parts(**options):  # type: ignore[no-untyped-def]
    return NerTask(**options), registry("tokenizers").get("whitespace")(), registry("encoders").get("vocab")(dim=4)


GOOD = "Mr\tO\nSmith\tB-PER\nleft\tO\n\nNew\tB-LOC\nYork\tI-LOC\n\n"
#: line 8 starts a sentence whose I-PER (token 1) follows O (IOB2 entities start with B-).
BROKEN = GOOD + "Mrs\tO\nJones\tI-PER\nsang\tO\n\n"


# -- options and data ---------------------------------------------------------------------


def test_registered_with_the_entity_f1_metric() -> None:
    assert task_class("ner") is NerTask
    task = NerTask()
    assert (task.head, task.metric, task.higher_is_better) == ("tag", "f1", True)
    assert task.config() == {"scheme": "IOB2", "field": None, "repair": False}
    assert NerTask(scheme="bio").scheme == "IOB2" and NerTask(scheme="IOBES").scheme == "BIOES"
    with pytest.raises(UsageError, match="Unknown tag scheme 'BILOU'"):
        NerTask(scheme="BILOU")


def test_the_default_field_is_the_ner_column(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    text = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nGerman JJ B-NP B-MISC\n\n"
    _, dev_data, labels = task.datasets(corpus(tmp_path, "t.txt", text), corpus(tmp_path, "d.txt", text),
                                                 tokenizer, encoder)
    assert set(labels.items) == {"B-ORG", "O", "B-MISC"}
    assert dev_data.tokens == [["EU", "rejects"], ["German"]]
    two = [Example(tokens=("a",), tags={"pos": ("X",), "lemma": ("a",)}, source="f:3")]
    with pytest.raises(InputError, match="f:3: which tag column holds the entities"):
        task.datasets(two, two, tokenizer, encoder)


def test_tags_that_break_the_scheme_name_file_and_line(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    with pytest.raises(InputError) as info:
        task.datasets(corpus(tmp_path, "train.conll", BROKEN), corpus(tmp_path, "dev.conll", GOOD), tokenizer, encoder)
    message = str(info.value)
    where = f"{tmp_path / 'train.conll'}:8"
    assert f"1 training sentence(s) have tags that break scheme IOB2: {where}: I-PER after O at token 1" in message
    assert "repair = true" in message


def test_repair_rewrites_them_and_warns(tmp_path) -> None:
    task, tokenizer, encoder = parts(repair=True)
    with pytest.warns(UserWarning, match=r"repaired the tags of 1 training sentence\(s\) .*train.conll:8"):
        train_data, _, labels = task.datasets(corpus(tmp_path, "train.conll", BROKEN),
                                              corpus(tmp_path, "dev.conll", GOOD), tokenizer, encoder)
    assert [labels.items[t] for t in train_data.targets[2]] == ["O", "B-PER", "O"]


def test_held_out_tags_are_read_leniently_but_must_fit_the_scheme(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    train_ex = corpus(tmp_path, "train.conll", GOOD + "Tom\tB-PER\nJones\tI-PER\n\n")
    _, dev_data, _ = task.datasets(train_ex, corpus(tmp_path, "dev.conll", "x\tO\nJones\tI-PER\n\n"), tokenizer, encoder)
    assert len(dev_data) == 1  # conlleval reads O I-PER as an entity; so does the scorer
    with pytest.raises(InputError, match=r"dev.conll:1: tag 'E-PER' at token 0 does not fit .* scheme='BIOES'"):
        task.datasets(train_ex, corpus(tmp_path, "dev.conll", "Jones\tE-PER\n\n"), tokenizer, encoder)


def test_a_tag_outside_the_scheme_is_not_repaired(tmp_path) -> None:
    task, tokenizer, encoder = parts(repair=True)
    with pytest.raises(InputError, match="train.conll:1: tag 'S-PER' at token 0 does not fit tag scheme IOB2"):
        task.datasets(corpus(tmp_path, "train.conll", "Jo\tS-PER\n\n"), [], tokenizer, encoder)


def test_dev_data_is_required(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    with pytest.raises(UsageError, match="needs dev data"):
        task.datasets(corpus(tmp_path, "train.conll", GOOD), None, tokenizer, encoder)


def test_a_model_scheme_that_differs_is_refused_before_training(tmp_path) -> None:
    task = NerTask(scheme="IOB2")
    task.check_config({"model": {"name": "bilstm-crf", "scheme": "BIO"}})  # the same scheme
    task.check_config({"model": {"name": "bilstm-crf"}})  # unset: every move allowed
    with pytest.raises(UsageError, match="'ner' reads tags in scheme IOB2, but \\[model\\] 'bilstm-crf' has scheme = 'BIOES'"):
        task.check_config({"model": {"name": "bilstm-crf", "scheme": "BIOES"}})
    config = load_config(None, base={
        "task": {"name": "ner", "scheme": "BIOES"}, "corpus": {"train": str(tmp_path / "missing"), "format": "conll"},
        "model": {"name": "bilstm-crf", "scheme": "IOB2"},
    })
    with pytest.raises(UsageError, match="scheme BIOES"):  # before the (missing) corpus is read
        train(config, tmp_path / "run", device="cpu", progress=False)


# -- results ------------------------------------------------------------------------------


def test_result_formats() -> None:
    text = "Obama visited\tParis"
    tokens = Tokens(text, ["Obama", "visited", "Paris"], [0, 6, 14], [5, 13, 19], ["B-PER", "O", "B-LOC"])
    result = NerResult(text, [Entity("Obama", "PER", 0, 5, 0.9, 0, 1), Entity("Paris", "LOC", 14, 19, 0.8, 2, 3)], tokens)
    assert result.format("text") == "Obama[PER:0-5] visited\\tParis[LOC:14-19]\n"
    record = json.loads(result.format("json"))
    assert record["entities"][1] == {"text": "Paris", "label": "LOC", "start": 14, "end": 19, "score": 0.8,
                                     "token_start": 2, "token_end": 3}
    assert [t["tag"] for t in record["tokens"]] == ["B-PER", "O", "B-LOC"]
    assert result.format("conll") == "Obama\t0\t5\tB-PER\nvisited\t6\t13\tO\nParis\t14\t19\tB-LOC\n\n"


# -- training -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, samples):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("ner")
    (folder / "train.conll").write_text(samples.conll(samples.ner_sentences(60, seed=1)))
    (folder / "dev.conll").write_text(samples.conll(samples.ner_sentences(20, seed=2)))
    config = load_config(None, base={
        "seed": 1,
        "task": {"name": "ner", "scheme": "IOB2"},
        "corpus": {"train": str(folder / "train.conll"), "dev": str(folder / "dev.conll"), "format": "conll"},
        "tokenizer": {"name": "whitespace"},
        "encoder": {"name": "vocab", "dim": 16},
        "model": {"name": "bilstm-crf", "hidden_size": 16, "dropout": 0.0, "scheme": "IOB2"},
        "decoder": {"name": "viterbi"},
        "trainer": {"name": "torch", "epochs": 6, "batch_size": 8, "lr": 0.03},
    })
    start = time.perf_counter()
    pipeline = train(config, folder / "run", device="cpu", progress=False)
    return pipeline, folder, time.perf_counter() - start


def test_a_bilstm_crf_learns_the_sample(trained) -> None:
    pipeline, _, seconds = trained
    dev = pipeline.meta["metrics"]["dev"]
    assert dev["f1"] > 0.8, dev
    assert {"precision", "recall", "accuracy", "loss", "per_type"} <= set(dev)
    assert set(dev["per_type"]) == {"PER", "LOC"}
    assert seconds < 30  # about 3 s on one thread


def test_entities_slice_the_original_text(trained) -> None:
    pipeline, _, _ = trained
    texts = ["Mr Smith visited  New York .", "we flew to San Francisco with Mr Wright .", "", "the weather"]
    results = list(pipeline.pipe(texts, batch_size=3, scores=True))
    assert [(e.text, e.label) for e in results[0].entities] == [("Smith", "PER"), ("New York", "LOC")]
    assert [(e.start, e.end) for e in results[0].entities] == [(3, 8), (18, 26)]
    for text, result in zip(texts, results):
        assert result.text == text
        for entity in result.entities:
            assert text[entity.start:entity.end] == entity.text
            assert 0 < entity.score <= 1
            assert entity.label == result.tokens.tags[entity.token_start][2:]
    assert results[2].entities == [] and results[3].entities == []


def test_scores_are_computed_only_when_asked_and_change_nothing_else(trained) -> None:
    pipeline, _, _ = trained
    texts = ["Mr Smith visited  New York .", "we flew to San Francisco with Mr Wright .", "", "the weather"]
    plain, scored = list(pipeline.pipe(texts, batch_size=3)), list(pipeline.pipe(texts, batch_size=3, scores=True))
    assert [r.tokens for r in plain] == [r.tokens for r in scored]
    assert [[replace(e, score=None) for e in r.entities] for r in scored] == [r.entities for r in plain]
    assert all(e.score is None for r in plain for e in r.entities)
    assert all(e.score is not None for r in scored for e in r.entities)
    assert json.loads(plain[0].format("json"))["entities"][0]["score"] is None
    assert pipeline(texts[0]).entities == plain[0].entities
    assert pipeline(texts[0], scores=True).entities == scored[0].entities


def test_evaluate_agrees_with_predictions(trained) -> None:
    pipeline, folder, _ = trained
    examples = read_corpus(folder / "dev.conll", "conll")
    data = pipeline.task.dataset(examples, pipeline.tokenizer, pipeline.encoder, pipeline.labels)
    report = pipeline.task.evaluate(pipeline.model, pipeline.decoder, data, pipeline.labels, batch_size=4)
    predicted = [r.tokens.tags for r in pipeline.pipe(" ".join(e.tokens) for e in examples)]
    expected = entity_scores([list(e.tags["ner"]) for e in examples], predicted)
    assert report["f1"] == pytest.approx(expected["f1"]) and report["per_type"] == expected["per_type"]


def test_nlpkit_evaluate_prints_entity_scores_per_type(trained) -> None:
    from nlpkit.testing import invoke

    pipeline, folder, _ = trained
    result = invoke("evaluate", folder / "run", folder / "dev.conll", "--format", "conll", "--device", "cpu")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    f1 = pipeline.meta["metrics"]["dev"]["f1"]
    assert f"f1               {f1:.4f}" in lines
    header = lines.index("type  precision  recall  f1      support")
    assert sorted(line.split()[0] for line in lines[header + 1:header + 3]) == ["LOC", "PER"]
