"""The ``tag`` task: tag columns, errors, and predictions aligned to tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nlpkit.corpus import Example, read_corpus
from nlpkit.errors import InputError
from nlpkit.pipeline import Pipeline
from nlpkit.registry import registry
from nlpkit.tasks.tag import TagTask

WORDS = [("The", "the", "DET", "DT"), ("cat", "cat", "NOUN", "NN"), ("sat", "sit", "VERB", "VBD"),
         ("down", "down", "ADV", "RB"), ("a", "a", "DET", "DT"), ("dog", "dog", "NOUN", "NN")]


def conllu(tmp_path: Path, name: str, sentences: list[list[int]], upos_override: dict | None = None) -> list[Example]:
    blocks = []
    for s, indices in enumerate(sentences):
        lines = [f"# sent_id = {s}"]
        for i, w in enumerate(indices, 1):
            form, lemma, upos, xpos = WORDS[w]
            upos = (upos_override or {}).get(form, upos)
            lines.append(f"{i}\t{form}\t{lemma}\t{upos}\t{xpos}\t_\t0\tdep\t_\t_")
        blocks.append("\n".join(lines))
    path = tmp_path / name
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return read_corpus(path, "conllu")


TRAIN = [[0, 1, 2], [4, 5, 2, 3], [0, 5]]


def parts(field: str | None = None):  # type: ignore[no-untyped-def]
    return TagTask(field=field), registry("tokenizers").get("whitespace")(), registry("encoders").get("vocab")(dim=4)


def test_the_default_field_is_the_first_column(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    train_data, dev_data, labels = task.datasets(conllu(tmp_path, "t.conllu", TRAIN), None, tokenizer, encoder)
    assert dev_data is None
    assert labels.items == ["DET", "NOUN", "VERB", "ADV"]  # upos: by frequency, then name
    assert train_data.targets[1] == [0, 1, 2, 3]
    assert train_data.ids[0] == encoder.encode(["The", "cat", "sat"])
    assert len(train_data) == 3


def test_field_selects_the_tag_column(tmp_path) -> None:
    task, tokenizer, encoder = parts("xpos")
    train_data, _, labels = task.datasets(conllu(tmp_path, "t.conllu", TRAIN), None, tokenizer, encoder)
    assert set(labels.items) == {"DT", "NN", "VBD", "RB"}
    assert [labels.items[t] for t in train_data.targets[1]] == ["DT", "NN", "VBD", "RB"]
    task, tokenizer, encoder = parts("lemma")
    _, _, lemmas = task.datasets(conllu(tmp_path, "t.conllu", TRAIN), None, tokenizer, encoder)
    assert "sit" in lemmas and "sat" not in lemmas


def test_a_missing_field_names_the_sentence_and_the_columns(tmp_path) -> None:
    task, tokenizer, encoder = parts("ner")
    with pytest.raises(InputError) as info:
        task.datasets(conllu(tmp_path, "t.conllu", TRAIN), None, tokenizer, encoder)
    message = str(info.value)
    assert f"{tmp_path / 't.conllu'}:1" in message
    assert "no tag column 'ner' (columns: upos, xpos, lemma)" in message


def test_an_unseen_dev_tag_is_an_input_error(tmp_path) -> None:
    task, tokenizer, encoder = parts()
    dev = conllu(tmp_path, "dev.conllu", [[0, 1], [4, 5]], upos_override={"dog": "PROPN"})
    with pytest.raises(InputError) as info:
        task.datasets(conllu(tmp_path, "t.conllu", TRAIN), dev, tokenizer, encoder)
    assert f"{tmp_path / 'dev.conllu'}:5" in str(info.value)
    assert "label 'PROPN' never occurs" in str(info.value)
    assert "DET, NOUN, VERB, ADV" in str(info.value)


def test_untokenised_examples_are_an_error() -> None:
    task, tokenizer, encoder = parts()
    with pytest.raises(InputError, match="x.txt:2: tagging needs pre-tokenised examples"):
        task.datasets([Example(text="raw text", source="x.txt:2")], None, tokenizer, encoder)
    with pytest.raises(InputError, match="y.txt:1: this example has no tag column"):
        task.datasets([Example(tokens=("a",), source="y.txt:1")], None, tokenizer, encoder)


@pytest.fixture
def untrained(tmp_path) -> Pipeline:
    task, tokenizer, encoder = parts()
    _, _, labels = task.datasets(conllu(tmp_path, "t.conllu", TRAIN), None, tokenizer, encoder)
    torch.manual_seed(0)
    model = registry("models").get("lstm")(encoder.embedding(), "tag", len(labels), hidden_size=6, bidirectional=True)
    return Pipeline(task, tokenizer, encoder, model, registry("decoders").get("argmax")(), labels)


def test_predicted_tags_are_aligned_to_tokens(untrained) -> None:
    texts = ["The cat  sat down", "dog", "unknown words here and there too"]
    for text, result in zip(texts, untrained.pipe(texts, batch_size=2)):
        assert result.text == text
        assert result.tokens.texts == text.split()
        assert len(result.tokens.tags) == len(result.tokens)
        assert set(result.tokens.tags) <= set(untrained.labels.items)
        for token in result.tokens:
            assert text[token.start:token.end] == token.text
        assert [d["tag"] for d in result.to_json()["tokens"]] == result.tokens.tags


def test_batching_does_not_change_tags(untrained) -> None:
    texts = ["The cat sat down", "a", "dog sat", "The dog sat down a cat"]
    together = [r.tokens.tags for r in untrained.pipe(texts, batch_size=4)]
    assert together == [untrained(t).tokens.tags for t in texts]


def test_empty_text_predicts_nothing(untrained) -> None:
    results = list(untrained.pipe(["", "The cat", "   "]))
    assert results[0].tokens.tags == [] and len(results[0].tokens) == 0
    assert len(results[1].tokens.tags) == 2
    assert results[2].tokens.tags == []
    assert untrained("").tokens.tags == []


def test_evaluate_agrees_with_predictions(untrained, tmp_path) -> None:
    examples = conllu(tmp_path, "test.conllu", TRAIN)
    data = untrained.task.dataset(examples, untrained.tokenizer, untrained.encoder, untrained.labels)
    report = untrained.task.evaluate(untrained.model, untrained.decoder, data, untrained.labels, batch_size=2)
    gold = [t for e in examples for t in e.tags["upos"]]
    predicted = [t for e in examples for t in untrained(" ".join(e.tokens)).tokens.tags]
    assert report["accuracy"] == pytest.approx(sum(g == p for g, p in zip(gold, predicted)) / len(gold))
    assert report["loss"] > 0
