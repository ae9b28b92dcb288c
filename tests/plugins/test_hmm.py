"""The ``hmm`` model as a pipeline stage: trained by ``nlpkit train`` on real corpora,
saved without torch weights, loaded, and used as a tokenizer for segmentation."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nlpkit
from nlpkit import training
from nlpkit.errors import OptionError, UsageError
from nlpkit.registry import registry
from nlpkit.testing import assert_cli_error, invoke


def first_blocks(source: Path, target: Path, n: int, separator: str = "\n\n") -> Path:
    """The first ``n`` blank-line-separated blocks (CoNLL-U sentences) of a real corpus file."""
    blocks = source.read_text(encoding="utf-8").split(separator)[:n]
    target.write_text(separator.join(blocks).strip("\n") + "\n", encoding="utf-8")
    return target


def first_lines(source: Path, target: Path, n: int) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()[:n]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def upos(tmp_path_factory, corpus_file):  # type: ignore[no-untyped-def]
    """A TnT-style HMM fitted on 4,000 UD English-EWT training sentences, scored on 500 dev ones."""
    folder = tmp_path_factory.mktemp("upos")
    config = {
        "seed": 1,
        "task": {"name": "tag", "field": "upos"},
        "corpus": {"train": str(first_blocks(corpus_file("ud_english_ewt", "en_ewt-ud-train.conllu"),
                                             folder / "train.conllu", 4000)),
                   "dev": str(first_blocks(corpus_file("ud_english_ewt", "en_ewt-ud-dev.conllu"), folder / "dev.conllu", 500)),
                   "format": "conllu"},
        "tokenizer": {"name": "whitespace"},
        "model": {"name": "hmm", "order": 2, "unknown": "suffix", "lexical": 30},
    }
    return training.train(config, folder / "run", progress=False), folder / "run"


def test_an_hmm_tags_real_english_above_a_floor(upos) -> None:
    pipeline, _ = upos
    accuracy = pipeline.meta["metrics"]["dev"]["accuracy"]
    assert accuracy >= 0.85, accuracy  # 4,000 sentences; the full training file reaches more
    assert pipeline.meta["training"]["fitted_from_counts"] is True
    assert "loss" not in pipeline.meta["metrics"]["dev"]  # nothing was minimised


def test_a_saved_hmm_holds_no_torch_weights_and_predicts_the_same(upos) -> None:
    pipeline, run = upos
    files = sorted(p.name for p in (run / "model" / "model").iterdir())
    assert files == ["config.json", "hmm.safetensors"]
    loaded = nlpkit.load(run)
    texts = ["The quick brown fox jumped over the lazy dog .", "Colorless green ideas sleep furiously .", ""]
    assert [r.tokens.tags for r in loaded.pipe(texts)] == [r.tokens.tags for r in pipeline.pipe(texts)]
    assert loaded("the dog barked loudly .").tokens.tags == ["DET", "NOUN", "VERB", "ADV", "PUNCT"]


def test_evaluate_on_a_saved_hmm_matches_training(upos) -> None:
    pipeline, run = upos
    dev = Path(pipeline.meta["config"]["corpus"]["dev"])
    result = invoke("evaluate", run, dev, "--format", "conllu", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"] == pytest.approx(pipeline.meta["metrics"]["dev"]["accuracy"])


@pytest.fixture(scope="module")
def cws(tmp_path_factory, corpus_file):  # type: ignore[no-untyped-def]
    """A B/M/E/S HMM fitted on 5,000 SXU training sentences (a seeded tenth held out)."""
    folder = tmp_path_factory.mktemp("cws")
    train = first_lines(corpus_file("sxu_cws", "train.txt"), folder / "train.txt", 5000)
    config = {
        "seed": 1,
        "task": {"name": "segment", "dev_fraction": 0.1},
        "corpus": {"train": str(train), "format": "segmented"},
        "tokenizer": {"name": "char", "graphemes": False},
        "model": {"name": "hmm", "order": 2, "unknown": "chars"},
    }
    return training.train(config, folder / "run", progress=False), folder / "run"


def test_an_hmm_segments_real_chinese_and_works_as_a_tokenizer(cws) -> None:
    pipeline, run = cws
    assert pipeline.meta["metrics"]["dev"]["f1"] >= 0.70, pipeline.meta["metrics"]["dev"]
    tokenizer = nlpkit.get_tokenizer(str(run))
    text = "上海市体育局召开体育宣传工作会议，2026年11月。"
    words = tokenizer(text)
    assert "".join(words.texts) == text
    assert all(text[w.start:w.end] == w.text for w in words)


def test_trainer_and_decoder_sections_are_refused_for_a_count_model(tmp_path, samples) -> None:
    (tmp_path / "train.txt").write_text(samples.segmented(samples.cws_sentences(20, seed=1)), encoding="utf-8")
    config = {"task": {"name": "segment"}, "corpus": {"train": str(tmp_path / "train.txt"), "format": "segmented"},
              "tokenizer": {"name": "char", "graphemes": False}, "model": {"name": "hmm"},
              "trainer": {"name": "torch", "epochs": 3}}
    with pytest.raises(UsageError, match=r"Model 'hmm' is fitted from counts.*\[trainer\] would be ignored"):
        training.train(config, tmp_path / "run", progress=False)


def test_an_hmm_cannot_classify(tmp_path) -> None:
    (tmp_path / "train.tsv").write_text("pos\tgood film\nneg\tbad film\n", encoding="utf-8")
    corpus = {"train": str(tmp_path / "train.tsv"), "dev": str(tmp_path / "train.tsv"), "format": "label-tab-text"}
    config = {"task": {"name": "classify"}, "corpus": corpus,
              "tokenizer": {"name": "whitespace"}, "model": {"name": "hmm"}}
    with pytest.raises(UsageError, match="Model 'hmm' cannot do task 'classify'"):
        training.train(config, tmp_path / "run", progress=False)


def test_bad_hmm_options_fail_before_any_data_is_read() -> None:
    cls = registry("models").get("hmm")
    with pytest.raises(OptionError):
        cls("tag", 4, order=3)


def test_the_cli_reports_an_hmm_fit(tmp_path, samples) -> None:
    (tmp_path / "train.txt").write_text(samples.segmented(samples.cws_sentences(60, seed=1)), encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[task]\nname = "segment"\n[corpus]\ntrain = "train.txt"\nformat = "segmented"\n'
        '[tokenizer]\nname = "char"\ngraphemes = false\n[model]\nname = "hmm"\nunknown = "chars"\n', encoding="utf-8")
    result = invoke("train", tmp_path / "c.toml", "-o", tmp_path / "run", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "fitted from counts in" in result.stderr and "learning curve" not in result.stderr
    bad = invoke("train", tmp_path / "c.toml", "-o", tmp_path / "run2", "--set", "model.order=5")
    assert_cli_error(bad, 2, "order must be 1")


#: Runs nlpkit commands in one fresh interpreter, then says whether torch was imported.
NO_TORCH_SCRIPT = textwrap.dedent("""
    import sys
    from nlpkit.cli import cli

    for args in sys.argv[1:]:
        code = cli.main(args.split(" "), prog_name="nlpkit", standalone_mode=False)
        assert not code, f"nlpkit {args} exited with {code}"
        if "torch" in sys.modules:
            sys.exit(f"nlpkit {args} imported torch")
    print("torch never imported")
""")


def test_an_hmm_is_trained_and_used_without_importing_torch(tmp_path, samples) -> None:
    """The issue's promise: training and decoding an HMM never import torch, from the CLI
    (re-estimating it on raw text with Baum-Welch neither)."""
    (tmp_path / "train.txt").write_text(samples.segmented(samples.cws_sentences(80, seed=1)), encoding="utf-8")
    (tmp_path / "dev.txt").write_text(samples.segmented(samples.cws_sentences(20, seed=2)), encoding="utf-8")
    (tmp_path / "c.toml").write_text(
        '[task]\nname = "segment"\n[corpus]\ntrain = "train.txt"\ndev = "dev.txt"\nformat = "segmented"\n'
        '[tokenizer]\nname = "char"\ngraphemes = false\n[model]\nname = "hmm"\nunknown = "chars"\n', encoding="utf-8")
    lines = samples.segmented(samples.cws_sentences(30, seed=3)).splitlines()
    (tmp_path / "raw.txt").write_text("".join(line.replace(" ", "") + "\n" for line in lines), encoding="utf-8")
    commands = ["train c.toml -o run --no-progress", "predict run 我们学习汉语", "evaluate run dev.txt --format segmented",
                "tokenize --tokenizer run 我们学习汉语", "hmm reestimate run raw.txt -o bw --iterations 2 --anchor 0.5",
                "evaluate bw dev.txt --format segmented"]
    done = subprocess.run([sys.executable, "-c", NO_TORCH_SCRIPT, *commands], check=False, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "f1" in done.stdout and "我们" in done.stdout, done.stdout  # evaluate and tokenize printed
    assert "torch never imported" in done.stdout, done.stdout
    assert done.stderr.count("iteration ") == 3 and done.stdout.count("f1 ") == 2, done.stderr
    meta = json.loads((tmp_path / "bw" / "meta.json").read_text(encoding="utf-8"))
    assert meta["baum_welch"]["iterations"] == 2 and "metrics" not in meta  # the old metrics scored the old model
