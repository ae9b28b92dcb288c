"""A trained ``segment`` pipeline as a tokenizer: ``nlpkit.get_tokenizer(DIR)``,
``nlpkit.tokenize(text, tokenizer=DIR)``, pickling for worker processes, and clear
errors for folders that are not segmenters."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import nlpkit
from nlpkit.errors import InputError, OptionError, UsageError
from nlpkit.pipeline_tokenizer import PipelineTokenizer
from nlpkit.testing import train_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXTS = ["我今天去北京。", "老师 喜欢看电影", "", "朋友们明天参观人民公园。"]



@pytest.fixture(scope="module")
def segmenter(tmp_path_factory, samples) -> Path:
    folder = tmp_path_factory.mktemp("segmenter")
    (folder / "train.txt").write_text(samples.segmented(samples.cws_sentences(60, seed=1)), encoding="utf-8")
    return train_config(folder, """
        seed = 1
        [task]
        name = "segment"
        [corpus]
        train = "train.txt"
        format = "segmented"
        [tokenizer]
        name = "char"
        graphemes = false
        [encoder]
        name = "vocab"
        dim = 16
        [model]
        name = "bilstm-crf"
        hidden_size = 16
        dropout = 0.0
        scheme = "BMES"
        [decoder]
        name = "viterbi"
        [trainer]
        name = "torch"
        epochs = 6
        batch_size = 8
        lr = 0.03
    """)



def test_a_segment_pipeline_tokenizes_with_exact_offsets(segmenter) -> None:
    tokenizer = nlpkit.get_tokenizer(str(segmenter), device="cpu")
    assert isinstance(tokenizer, PipelineTokenizer) and isinstance(tokenizer, nlpkit.Tokenizer)
    assert tokenizer("我今天去北京。").texts == ["我", "今天", "去", "北京", "。"]
    batch = tokenizer.tokenize_batch(TEXTS)
    assert batch == [tokenizer(t) for t in TEXTS]
    for text, tokens in zip(TEXTS, batch):
        assert tokens.text == text
        assert [text[t.start:t.end] for t in tokens] == tokens.texts
        assert "".join(tokens.texts) == "".join(text.split())
    assert len(batch[2]) == 0


def test_the_run_folder_and_its_model_folder_both_work(segmenter) -> None:
    text = "朋友们明天参观人民公园。"
    assert nlpkit.get_tokenizer(str(segmenter / "model"), device="cpu")(text) == nlpkit.tokenize(
        text, tokenizer=str(segmenter), device="cpu")


def test_it_pickles_by_its_options(segmenter) -> None:
    tokenizer = nlpkit.get_tokenizer(str(segmenter), device="cpu", batch_size=2)
    assert tokenizer.config() == {"path": str(segmenter), "device": "cpu", "batch_size": 2}
    copy = pickle.loads(pickle.dumps(tokenizer))  # what -j N sends to a worker: a rebuild from options
    assert copy.tokenize_batch(TEXTS) == tokenizer.tokenize_batch(TEXTS)


def test_a_classifier_folder_is_not_a_tokenizer(tiny_classifier) -> None:
    with pytest.raises(UsageError, match="holds a 'classify' pipeline, which does not split text into words"):
        nlpkit.get_tokenizer(str(tiny_classifier))


def test_a_folder_without_a_pipeline(tmp_path) -> None:
    with pytest.raises(InputError, match="not an nlpkit pipeline: no pipeline.json"):
        nlpkit.get_tokenizer(str(tmp_path))


def test_options_are_checked(segmenter) -> None:
    with pytest.raises(OptionError, match="has no option 'devcie'. Did you mean 'device'"):
        nlpkit.get_tokenizer(str(segmenter), devcie="cpu")
    with pytest.raises(OptionError, match="give no 'path' option"):
        nlpkit.get_tokenizer(str(segmenter), path="elsewhere")


def test_registered_names_win_over_folders(tmp_path, monkeypatch) -> None:
    (tmp_path / "char").mkdir()
    monkeypatch.chdir(tmp_path)
    assert type(nlpkit.get_tokenizer("char")).__name__ == "CharTokenizer"
    with pytest.raises(InputError, match="not an nlpkit pipeline"):
        nlpkit.get_tokenizer("./char")


def test_named_tokenizers_never_import_torch() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from nlpkit.cli import cli\n"
        "result = CliRunner().invoke(cli, ['tokenize', '-t', 'jieba', '我来到北京'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(result.stdout.strip(), 'torch' in sys.modules)\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert found.stdout.strip() == "我 来到 北京 False"
