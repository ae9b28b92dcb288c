"""``nlpkit export --format onnx``: exported pipelines decode exactly as torch does (pretrained
taggers on real dev sentences, a classifier, tiny RNN/GRU models of every head and pooling),
load and predict like any pipeline, and pipelines with no export get one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import nlpkit
from nlpkit.data import SequenceData
from nlpkit.errors import InputError, UsageError
from nlpkit.tasks.base import restore_order, run
from nlpkit.testing import assert_cli_error, invoke

pytest.importorskip("onnxruntime", reason='needs pip install "nlpkit[onnx]"')
from nlpkit_onnx.export import export_onnx

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SAMPLE = 300  # dev sentences per pretrained pipeline (benchmarks/onnx_check.py checks them all)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):  # type: ignore[no-untyped-def]
    """``exported("en-ner")``: the torch pipeline and its ONNX export, each made once."""
    folder, made = tmp_path_factory.mktemp("onnx"), {}

    def make(name: str):  # type: ignore[no-untyped-def]
        if name not in made:
            export_onnx(name, folder / name)
            made[name] = (nlpkit.load(name, device="cpu"), nlpkit.load(folder / name, device="cpu"), folder / name)
        return made[name]

    return make


def decoded(pipeline, tokens: list[list[str]]) -> tuple[list, list[torch.Tensor]]:  # type: ignore[no-untyped-def]
    """Per sentence the decoder's output (in input order), and the scores of real tokens."""
    data = SequenceData.encode(pipeline.encoder, tokens)
    chunks, scores = [], []
    for indices, batch, output in run(pipeline.model, data, 64):
        chunks.append((indices, pipeline.decoder.decode(output)))
        scores.append(output.logits if output.logits is not None else output.emissions[batch.mask])
    return restore_order(chunks, len(tokens)), scores


def assert_same(torch_pipeline, onnx_pipeline, tokens: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    theirs, their_scores = decoded(torch_pipeline, tokens)
    ours, our_scores = decoded(onnx_pipeline, tokens)
    for a, b in zip(their_scores, our_scores):
        torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)
    differing = [i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b]
    assert not differing, f"{len(differing)} of {len(tokens)} sentences decode differently, first {differing[:5]}"


def conll_words(path: Path, column: int = 0) -> list[list[str]]:
    sentences, words = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                sentences.append(words)
            words = []
        elif not line.startswith("#") and (column == 0 or line.split("\t")[0].isdigit()):
            words.append(line.split()[column] if column == 0 else line.split("\t")[column])
    return sentences


# -- identical outputs -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "corpus", "file", "read"), [
    ("en-ner", "conll2003", "dev", conll_words),
    ("zh-cws", "ctb6", "dev", lambda p: [list("".join(s.split())) for s in p.read_text("utf-8").splitlines() if s.strip()]),
    ("en-pos", "ud_english_ewt", "dev", lambda p: conll_words(p, column=1)),
])
def test_tags_are_torch_tags_on_dev_sentences(exported, corpus_file, name, corpus, file, read):
    sentences = read(corpus_file(corpus, file))
    step = max(1, len(sentences) // SAMPLE)
    sample = sentences[::step][:SAMPLE]  # spread over the file: short and long sentences
    torch_pipeline, onnx_pipeline, _ = exported(name)
    assert onnx_pipeline.model.name == "onnx" and onnx_pipeline.model.source == torch_pipeline.model.name
    assert_same(torch_pipeline, onnx_pipeline, sample)


def test_a_classifier_gives_torch_labels(exported, corpus_file):
    texts = [line.split("\t", 1)[1] for line in corpus_file("sst2", "dev").read_text("utf-8").splitlines()[:200]]
    torch_pipeline, onnx_pipeline, _ = exported("en-sentiment")
    assert_same(torch_pipeline, onnx_pipeline, [torch_pipeline.tokenizer(t).texts for t in texts])
    assert [r.label for r in onnx_pipeline.pipe(texts)] == [r.label for r in torch_pipeline.pipe(texts)]


def tiny(tmp_path: Path, task: dict, corpus: dict, encoder: dict, model: dict) -> Path:
    run_dir = tmp_path / model["name"]
    nlpkit.train({"seed": 3, "task": task, "corpus": corpus, "tokenizer": {"name": "whitespace"},
                  "encoder": {"name": "vocab", **encoder}, "model": model,
                  "trainer": {"name": "torch", "epochs": 1, "max_steps": 2, "batch_size": 4}},
                 run_dir, device="cpu", progress=False)
    return run_dir


NER_TEXT = "Alice met Bob in Paris\nthen Grace went to Oslo today\nx\nBob Alice Paris Oslo Lima Rome"


@pytest.mark.parametrize("model", [
    {"name": "rnn", "hidden_size": 8, "num_layers": 2},  # unidirectional, stacked
    {"name": "gru", "hidden_size": 8, "bidirectional": True},
    {"name": "bilstm", "hidden_size": 8},
])
def test_tiny_taggers_with_char_features(tmp_path, samples, model):
    train = tmp_path / "train.txt"
    train.write_text(samples.conll(samples.ner_sentences(12, 1)), encoding="utf-8")
    source = tiny(tmp_path, {"name": "tag", "field": "ner"}, {"train": str(train), "format": "conll",
                                                           "split": [0.75, 0.25]}, {"dim": 8, "char_dim": 4}, model)
    export_onnx(source, tmp_path / "onnx")
    torch_pipeline, onnx_pipeline = nlpkit.load(source, device="cpu"), nlpkit.load(tmp_path / "onnx", device="cpu")
    tokens = [line.split() for line in NER_TEXT.splitlines()]
    assert_same(torch_pipeline, onnx_pipeline, tokens)
    texts = NER_TEXT.splitlines()
    assert [r.tokens.tags for r in onnx_pipeline.pipe(texts)] == [r.tokens.tags for r in torch_pipeline.pipe(texts)]


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_tiny_classifiers_pool_real_tokens_only(tmp_path, pooling):
    train = tmp_path / "train.tsv"
    train.write_text("a\tx y z\nb\ty z\na\tx x x y\nb\tz\n" * 3, encoding="utf-8")
    model = {"name": "gru", "hidden_size": 6, "bidirectional": True, "pooling": pooling}
    source = tiny(tmp_path, {"name": "classify"}, {"train": str(train), "format": "label-tab-text",
                                                   "split": [0.5, 0.5]}, {"dim": 4}, model)
    export_onnx(source, tmp_path / "onnx")
    tokens = [["x"], ["y", "z", "x", "x", "y", "z", "q"], ["z", "z"], ["x", "y", "z"]]
    assert_same(nlpkit.load(source, device="cpu"), nlpkit.load(tmp_path / "onnx", device="cpu"), tokens)


def test_length_groups_bound_padding_and_cover_every_row():
    from nlpkit_onnx.model import length_groups

    lengths = sorted([40, 39, 38, 30, 29, 12, 11, 10, 9, 9, 8, 3, 2, 1, 1, 1, 1, 1, 1, 1] * 2, reverse=True)
    groups = length_groups(lengths, smallest=4)
    assert [i for start, end in groups for i in range(start, end)] == list(range(len(lengths)))
    assert len(groups) > 1 and all(end - start >= 4 for start, end in groups[:-1])
    assert all(lengths[end - 1] >= 0.75 * lengths[start] or end - start <= 4 for start, end in groups[:-1])
    assert length_groups([5] * 64) == [(0, 64)]


# -- a pipeline like any other -------------------------------------------------------------


def test_cli_export_then_predict(exported, tmp_path):
    output = tmp_path / "zh-cws-onnx"
    result = invoke("export", "zh-cws", "--format", "onnx", "-o", output)
    assert result.exit_code == 0, result.output
    assert "model.onnx" in result.stdout and (output / "model" / "model.onnx").is_file()
    text = "上海浦东开发与法制建设同步"
    ours, theirs = invoke("predict", output, text), invoke("predict", "zh-cws", text)
    assert ours.exit_code == 0 and ours.stdout == theirs.stdout, ours.output
    meta = nlpkit.load(output, device="cpu").meta["export"]
    assert meta["format"] == "onnx" and meta["source_model"] == "bilstm-crf"


def test_ner_results_and_saving_again(exported, tmp_path):
    torch_pipeline, onnx_pipeline, _ = exported("en-ner")
    texts = ["EU rejects German call to boycott British lamb .", "Peter Blackburn", ""]
    theirs, ours = spans(torch_pipeline.pipe(texts)), spans(onnx_pipeline.pipe(texts))
    assert ours == theirs and ours[0]
    onnx_pipeline.to_disk(tmp_path / "again")  # a loaded export saves as it was
    again = nlpkit.load(tmp_path / "again", device="cpu")
    assert spans(again.pipe(texts)) == theirs


def spans(results) -> list[list[tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
    """Each result's entities as (label, start, end): their scores are floats of the emissions."""
    return [[(e.label, e.start, e.end) for e in r.entities] for r in results]


def test_a_tampered_graph_is_refused(exported, tmp_path):
    import shutil

    _, _, folder = exported("en-sentiment")
    shutil.copytree(folder, tmp_path / "copy")
    graph = tmp_path / "copy" / "model" / "model.onnx"
    graph.write_bytes(graph.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(InputError, match="model.onnx"):
        nlpkit.load(tmp_path / "copy", device="cpu")


# -- what has no export --------------------------------------------------------------------


def test_a_count_model_has_no_export(tmp_path):
    result = invoke("export", "en-pos-hmm", "--format", "onnx", "-o", tmp_path / "out")
    assert_cli_error(result, 2, "en-pos-hmm", "'hmm'", "fitted from counts")
    assert not (tmp_path / "out").exists()


def test_a_language_model_has_no_export(tmp_path):
    (tmp_path / "text.txt").write_text("the cat sat\na dog ran\n" * 10, encoding="utf-8")
    nlpkit.train({"task": {"name": "generate", "block_size": 8},
                  "corpus": {"train": str(tmp_path / "text.txt"), "format": "plain-text"},
                  "tokenizer": {"name": "char"}, "encoder": {"name": "vocab", "dim": 4},
                  "model": {"name": "gru", "hidden_size": 4},
                  "trainer": {"name": "torch", "epochs": 1, "max_steps": 1, "batch_size": 4}},
                 tmp_path / "lm", device="cpu", progress=False)
    with pytest.raises(UsageError, match="language model"):
        export_onnx(tmp_path / "lm", tmp_path / "out")


def test_an_export_is_not_exported_again_nor_written_over_its_source(exported, tmp_path):
    _, _, folder = exported("en-sentiment")
    assert_cli_error(invoke("export", folder, "-o", tmp_path / "again"), 2, "already an ONNX pipeline")
    assert_cli_error(invoke("export", folder, "-o", folder), 2, "source pipeline itself")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    assert_cli_error(invoke("export", "en-sentiment", "-o", tmp_path / "notes"), 2, "not an nlpkit pipeline")


def test_without_onnxruntime_one_line_says_what_to_install(tmp_path):
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"  # as if it were not installed
        "from click.testing import CliRunner\nfrom nlpkit.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['export', 'en-sentiment', '-o', {str(tmp_path / 'out')!r}])\n"
        "print(r.exit_code); print(r.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("1\n") and 'pip install "nlpkit[onnx]"' in out


def test_help_lists_export_without_importing_onnx():
    code = (
        "import sys, runpy; sys.argv = ['nlpkit', '--help']\n"
        "try:\n    runpy.run_module('nlpkit', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in ('onnx', 'onnxruntime', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "  export" in out and out.strip().endswith("[]")
