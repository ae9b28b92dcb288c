"""``nlpkit predict`` through click's CliRunner, on pipelines trained by ``nlpkit train``:
a classifier (text and JSON with probabilities, arguments, -i FILE, stdin, -o FILE),
a word tagger (JSON with token offsets, CoNLL), a ner pipeline (entities marked in the
text, JSON entities, CoNLL tags), a segment pipeline (words), and errors."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import torch

from nlpkit.testing import assert_cli_error as assert_error
from nlpkit.testing import invoke, train_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")



def rule_lines(n: int, seed: int) -> list[str]:
    """label-tab-text: 'more' when a text has more a's than b's, 'less' when fewer."""
    rng = random.Random(seed)
    lines = []
    while len(lines) < n:
        text = "".join(rng.choice("abc") for _ in range(rng.randint(3, 9)))
        if text.count("a") != text.count("b"):
            lines.append(f"{'more' if text.count('a') > text.count('b') else 'less'}\t{text}")
    return lines


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("classifier")
    (folder / "train.tsv").write_text("\n".join(rule_lines(160, 1)) + "\n")
    (folder / "dev.tsv").write_text("\n".join(rule_lines(40, 2)) + "\n")
    return train_config(folder, """
        [task]
        name = "classify"
        [corpus]
        train = "train.tsv"
        dev = "dev.tsv"
        format = "label-tab-text"
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 16
        pooling = "mean"
        [trainer]
        name = "torch"
        epochs = 6
        batch_size = 16
        lr = 0.02
    """, "--seed", 1)


TAGS = {"the": "DET", "a": "DET", "cat": "NOUN", "dog": "NOUN", "runs": "VERB", "sleeps": "VERB",
        "one": "NUM", "two": "NUM"}


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tagger")
    rng = random.Random(0)
    sentences = []
    for _ in range(60):
        words = [rng.choice(["the", "a", "one", "two"]), rng.choice(["cat", "dog"]), rng.choice(["runs", "sleeps"])]
        sentences.append("".join(f"{w}\t{TAGS[w]}\n" for w in words))
    (folder / "train.conll").write_text("\n".join(sentences))
    return train_config(folder, """
        [task]
        name = "tag"
        [corpus]
        train = "train.conll"
        format = "conll"
        split = [0.8, 0.2]
        [tokenizer]
        name = "whitespace"
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 8
        bidirectional = true
        [trainer]
        name = "torch"
        epochs = 8
        batch_size = 8
        lr = 0.05
    """)


@pytest.fixture(scope="module")
def language_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lm")
    (folder / "text.txt").write_text("abcabcabc\n" * 20)
    return train_config(folder, """
        [task]
        name = "generate"
        block_size = 8
        [corpus]
        train = "text.txt"
        format = "plain-text"
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        epochs = 1
    """)


TEXTS = ["aaaac", "bbbbc", "abaca", "cbcbb"]
EXPECTED = ["more", "less", "more", "less"]


def test_text_format_gives_label_and_probability(classifier):
    result = invoke("predict", classifier, *TEXTS)
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [label for label, _ in rows] == EXPECTED
    for _, probability in rows:
        assert len(probability) == 6 and 0.5 <= float(probability) <= 1  # four decimals; the winner's


def test_json_format_carries_all_probabilities(classifier):
    result = invoke("predict", classifier, "-f", "json", *TEXTS)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == TEXTS
    assert [r["label"] for r in records] == EXPECTED
    for record in records:
        probabilities = record["probabilities"]
        assert set(probabilities) == {"more", "less"}
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-6)
        assert record["score"] == max(probabilities.values()) == probabilities[record["label"]]


def test_input_file_stdin_and_arguments_agree(classifier, tmp_path):
    texts = TEXTS + ["", "ccc", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"]  # an empty line keeps its place
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    from_file = invoke("predict", classifier, "-i", tmp_path / "in.txt", "-f", "json")
    from_stdin = invoke("predict", classifier, "-f", "json", input="\n".join(texts) + "\n")
    from_args = invoke("predict", classifier, "-f", "json", *texts)
    assert from_file.exit_code == from_stdin.exit_code == from_args.exit_code == 0
    assert from_file.stdout == from_stdin.stdout == from_args.stdout
    assert [json.loads(line)["text"] for line in from_file.stdout.splitlines()] == texts


def test_batches_do_not_change_results(classifier):
    one = invoke("predict", classifier, "-f", "json", "--batch-size", "1", *TEXTS)
    many = invoke("predict", classifier, "-f", "json", *TEXTS)
    a = [json.loads(line) for line in one.stdout.splitlines()]
    b = [json.loads(line) for line in many.stdout.splitlines()]
    assert [r["label"] for r in a] == [r["label"] for r in b]
    for x, y in zip(a, b):
        assert x["probabilities"] == pytest.approx(y["probabilities"], abs=1e-5)


def test_output_file(classifier, tmp_path):
    result = invoke("predict", classifier, "-o", tmp_path / "out.txt", *TEXTS)
    assert result.exit_code == 0 and result.stdout == ""
    assert [line.split("\t")[0] for line in (tmp_path / "out.txt").read_text().splitlines()] == EXPECTED
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_the_run_folder_and_its_model_folder_both_load(classifier):
    assert invoke("predict", classifier, *TEXTS).stdout == invoke("predict", classifier / "model", *TEXTS).stdout


def test_tagger_json_carries_token_offsets(tagger):
    text = "the  cat runs\ttwo dog sleeps"
    result = invoke("predict", tagger, "-f", "json", text)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["text"] == text
    tokens = record["tokens"]
    assert [t["text"] for t in tokens] == text.split()
    assert [text[t["start"]:t["end"]] for t in tokens] == text.split()
    assert [t["start"] for t in tokens] == [0, 5, 9, 14, 18, 22]
    assert [t["tag"] for t in tokens] == [TAGS[w] for w in text.split()]


def test_tagger_text_and_conll(tagger):
    text = invoke("predict", tagger, "a dog sleeps", "one cat runs")
    assert text.stdout == "a/DET dog/NOUN sleeps/VERB\none/NUM cat/NOUN runs/VERB\n"
    conll = invoke("predict", tagger, "-f", "conll", "a dog")
    assert conll.stdout == "a\t0\t1\tDET\ndog\t2\t5\tNOUN\n\n"


def test_a_folder_that_is_not_a_pipeline(tmp_path):
    assert_error(invoke("predict", tmp_path, "x"), 1, str(tmp_path), "not an nlpkit pipeline")


def test_a_pipeline_of_a_newer_format(classifier, tmp_path):
    future = tmp_path / "future"
    shutil.copytree(classifier / "model", future)
    spec = json.loads((future / "pipeline.json").read_text())
    spec["format_version"], spec["nlpkit_version"] = 99, "99.0"
    (future / "pipeline.json").write_text(json.dumps(spec))
    assert_error(invoke("predict", future, "x"), 2, "nlpkit 99.0", "format 99", "pip install -U nlpkit")


def test_a_language_model_does_not_label_text(language_model):
    assert_error(invoke("predict", language_model, "abc"), 2, "'generate' pipeline does not label text",
                 "nlpkit generate MODEL --prefix TEXT")


def test_conll_output_of_a_classifier_is_one_clear_line(classifier, tmp_path):
    out = tmp_path / "labels.txt"
    assert_error(invoke("predict", classifier, "-f", "conll", "-o", out, "Tanaka"), 2,
                 "Format 'conll' does not apply to a classifier", "-f text or -f json")
    assert not out.exists()  # nothing half-written


def test_an_empty_line_gets_no_label(classifier):
    result = invoke("predict", classifier, "-i", "-", input="Tanaka\n\n   \nRossi\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert lines[1] == "" and lines[2] == "" and lines[0] and lines[3]  # one output line per input line
    rows = [json.loads(line) for line in invoke("predict", classifier, "-f", "json", "", "Rossi").stdout.splitlines()]
    assert rows[0] == {"text": "", "label": None, "score": None, "probabilities": {}}
    assert rows[1]["label"] is not None


def test_unreadable_input(classifier, tmp_path):
    assert_error(invoke("predict", classifier, "-i", tmp_path / "missing.txt"), 1, "missing.txt", "cannot read")
    (tmp_path / "bad.txt").write_bytes(b"aab\nab\xffc\n")
    assert_error(invoke("predict", classifier, "-i", tmp_path / "bad.txt"), 1, f"{tmp_path / 'bad.txt'}:2",
                 "invalid UTF-8", "--errors replace")
    replaced = invoke("predict", classifier, "-i", tmp_path / "bad.txt", "--errors", "replace", "-f", "json")
    assert [json.loads(line)["text"] for line in replaced.stdout.splitlines()] == ["aab", "ab\ufffdc"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda(classifier):
    assert_error(invoke("predict", classifier, "--device", "cuda", "x"), 2, "CUDA was asked for")


# -- ner and segment pipelines ------------------------------------------------------------


CRF = """
    seed = 1
    [encoder]
    name = "vocab"
    dim = 16
    [model]
    name = "bilstm-crf"
    hidden_size = 16
    dropout = 0.0
    [decoder]
    name = "viterbi"
    [trainer]
    name = "torch"
    epochs = 6
    batch_size = 8
    lr = 0.03
"""


@pytest.fixture(scope="module")
def recogniser(tmp_path_factory, samples) -> Path:
    folder = tmp_path_factory.mktemp("ner")
    (folder / "train.conll").write_text(samples.conll(samples.ner_sentences(60, seed=1)))
    (folder / "dev.conll").write_text(samples.conll(samples.ner_sentences(20, seed=2)))
    return train_config(folder, CRF + """
        [task]
        name = "ner"
        [corpus]
        train = "train.conll"
        dev = "dev.conll"
        format = "conll"
        [tokenizer]
        name = "whitespace"
    """)


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory, samples) -> Path:
    folder = tmp_path_factory.mktemp("segment")
    (folder / "train.txt").write_text(samples.segmented(samples.cws_sentences(80, seed=1)), encoding="utf-8")
    return train_config(folder, CRF + """
        [task]
        name = "segment"
        [corpus]
        train = "train.txt"
        format = "segmented"
        [tokenizer]
        name = "char"
        graphemes = false
    """)


NER_TEXTS = ["Mr Smith visited New York .", "the weather in  Paris was fine .", "we said nothing ."]


def test_ner_text_marks_entities_in_place(recogniser):
    result = invoke("predict", recogniser, *NER_TEXTS)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Mr Smith[PER:3-8] visited New York[LOC:17-25] .",
        "the weather in  Paris[LOC:16-21] was fine .",
        "we said nothing .",
    ]


def test_ner_json_lists_entities_with_offsets_and_scores(recogniser):
    result = invoke("predict", recogniser, "-f", "json", "--scores", *NER_TEXTS)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [[(e["label"], e["text"]) for e in r["entities"]] for r in records] == [
        [("PER", "Smith"), ("LOC", "New York")], [("LOC", "Paris")], []]
    for text, record in zip(NER_TEXTS, records):
        for entity in record["entities"]:
            assert text[entity["start"]:entity["end"]] == entity["text"]
            assert 0 < entity["score"] <= 1
    assert [t["tag"] for t in records[0]["tokens"]] == ["O", "B-PER", "O", "B-LOC", "I-LOC", "O"]
    plain = [json.loads(line) for line in invoke("predict", recogniser, "-f", "json", *NER_TEXTS).stdout.splitlines()]
    for record in records:
        for entity in record["entities"]:
            entity["score"] = None  # without --scores, the same records with a null score
    assert plain == records


def test_scores_of_taggers_and_segmenters_come_only_with_the_flag(tagger, segmenter):
    for pipeline, text in ((tagger, "a dog sleeps"), (segmenter, "老师 喜欢看电影")):
        plain = json.loads(invoke("predict", pipeline, "-f", "json", text).stdout)
        scored = json.loads(invoke("predict", pipeline, "-f", "json", "--scores", text).stdout)
        assert plain["scores"] is None
        units = scored["words"] if "words" in scored else scored["tokens"]
        assert len(scored["scores"]) == len(units) and all(0 < s <= 1 for s in scored["scores"])
        assert {**scored, "scores": None} == plain


def test_ner_conll_gives_tokens_and_tags(recogniser):
    result = invoke("predict", recogniser, "-f", "conll", "Mr Smith")
    assert result.stdout == "Mr\t0\t2\tO\nSmith\t3\t8\tB-PER\n\n"


def test_segment_text_json_and_conll(segmenter):
    texts = ["我今天去北京。", "老师 喜欢看电影"]
    text = invoke("predict", segmenter, *texts)
    assert text.exit_code == 0, text.output
    assert text.stdout == "我 今天 去 北京 。\n老师 喜欢 看 电影\n"
    records = [json.loads(line) for line in invoke("predict", segmenter, "-f", "json", *texts).stdout.splitlines()]
    assert [(w["text"], w["start"], w["end"]) for w in records[1]["words"]] == [
        ("老师", 0, 2), ("喜欢", 3, 5), ("看", 5, 6), ("电影", 6, 8)]
    assert [t["tag"] for t in records[0]["tokens"]] == ["S", "B", "E", "S", "B", "E", "S"]
    assert invoke("predict", segmenter, "-f", "conll", "去北京").stdout == "去\t0\t1\tS\n北\t1\t2\tB\n京\t2\t3\tE\n\n"
