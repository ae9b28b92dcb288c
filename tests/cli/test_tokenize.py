"""`nlpkit tokenize` end to end through click's CliRunner."""

import json
import os

import pytest
from click.testing import CliRunner

from nlpkit.cli import cli


@pytest.fixture
def run():
    def invoke(*args, input=None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def test_text_arguments(run):
    result = run("tokenize", "我来到北京清华大学", "Hello, world")
    assert result.exit_code == 0
    assert result.stdout == "我 来到 北京 清华大学\nHello , world\n"


def test_json_lines_carry_offsets(run):
    result = run("tokenize", "-t", "spacy", "-O", "lang=en", "-f", "json", "Don't panic.")
    assert json.loads(result.stdout) == {
        "text": "Don't panic.",
        "tokens": [
            {"text": "Do", "start": 0, "end": 2},
            {"text": "n't", "start": 2, "end": 5},
            {"text": "panic", "start": 6, "end": 11},
            {"text": ".", "start": 11, "end": 12},
        ],
    }


def test_conll_with_pos_tags(run):
    result = run("tokenize", "-O", "pos=true", "-f", "conll", "我来到北京")
    assert result.stdout == "我\t0\t1\tr\n来到\t1\t3\tv\n北京\t3\t5\tns\n\n"


def test_text_format_shows_tags_and_escapes_whitespace_tokens(run):
    assert run("tokenize", "-O", "pos=true", "我来到北京").stdout == "我/r 来到/v 北京/ns\n"
    result = run("tokenize", "-t", "char", "-O", "keep_whitespace=true", "a\tb")
    assert result.stdout == "a \\t b\n"


def test_stdin_line_by_line(run):
    result = run("tokenize", "-t", "whitespace", input="a b\n\nc  d\r\n")
    assert result.stdout == "a b\n\nc d\n"
    assert run("tokenize", "-t", "whitespace", "-", input="x y\n").stdout == "x y\n"


def test_empty_input_gives_empty_output(run, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run("tokenize", "--input", str(tmp_path / "empty.txt"))
    assert (result.exit_code, result.stdout) == (0, "")
    assert run("tokenize", input="").stdout == ""


def test_input_file_to_output_file(run, tmp_path):
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("我来到北京\n清华大学\n", encoding="utf-8")
    result = run("tokenize", "-i", str(src), "-o", str(dst))
    assert result.exit_code == 0 and result.stdout == ""
    assert dst.read_text(encoding="utf-8") == "我 来到 北京\n清华大学\n"
    assert sorted(os.listdir(tmp_path)) == ["in.txt", "out.txt"]


def test_failed_run_leaves_the_old_output_untouched(run, tmp_path):
    src, dst = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(b"good line\nbad \xff line\n")
    dst.write_text("previous results\n")
    result = run("tokenize", "-i", str(src), "-o", str(dst))
    assert result.exit_code == 1
    assert dst.read_text() == "previous results\n"
    assert sorted(os.listdir(tmp_path)) == ["in.txt", "out.txt"]


def test_jobs_give_the_same_output_in_order(run, tmp_path):
    from nlpkit_corpora import sample_path

    src = tmp_path / "in.txt"
    src.write_text(sample_path("zh").read_text(encoding="utf-8") * 20, encoding="utf-8")
    one = run("tokenize", "-i", str(src), "--batch-size", "7")
    two = run("tokenize", "-i", str(src), "--batch-size", "7", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout and one.stdout.count("\n") == 300


def test_bundled_sample_is_the_embedded_default(run):
    result = run("tokenize", "--sample", "zh")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "今天 早上 我 坐地铁 去 公司 ， 车厢 里 比 平时 安静 多 了 。"


def test_sample_without_the_corpora_plugin_is_one_line_and_exit_2(run, fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_DISABLE_PLUGINS", "corpora")
    result = run("tokenize", "--sample", "zh")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: No plugin resolves 'sample:zh': ") and result.stderr.count("\n") == 1
    assert "'corpora' plugin" in result.stderr


def test_unknown_tokenizer_is_one_line_and_exit_2(run):
    result = run("tokenize", "-t", "jeiba", "x")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: Unknown tokenizer 'jeiba'. Did you mean 'jieba'?")
    assert "Installed tokenizers: char, jieba" in result.stderr


def test_traceback_flag_shows_the_exception():
    from nlpkit.errors import UnknownComponentError

    with pytest.raises(UnknownComponentError):
        CliRunner().invoke(cli, ["--traceback", "tokenize", "-t", "jeiba", "x"], catch_exceptions=False)


def test_invalid_utf8_names_file_and_line_and_offers_replace(run, tmp_path):
    src = tmp_path / "latin1.txt"
    src.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    result = run("tokenize", "-t", "whitespace", "-i", str(src))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {src}:2: invalid UTF-8 at byte 4 of the line (b'\\xe9'). " \
        "Convert the file to UTF-8, or pass --errors replace to substitute U+FFFD.\n"
    replaced = run("tokenize", "-t", "whitespace", "-i", str(src), "--errors", "replace")
    assert replaced.stdout == "ok\ncaf\ufffd\n"


def test_unreadable_file(run, tmp_path):
    result = run("tokenize", "-i", str(tmp_path / "missing.txt"))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'missing.txt'}: cannot read the file: No such file or directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-O", "mode"], "Option 'mode' is not of the form key=value."),
        (["-O", "mode=fast"], "option 'mode' must be one of accurate, full, search, not 'fast'"),
        (["-O", "hmm=perhaps"], "option 'hmm' must be true or false"),
    ],
)
def test_bad_options(run, args, message):
    result = run("tokenize", *args, "x")
    assert result.exit_code == 2 and message in result.stderr


def test_only_one_input_source(run, tmp_path):
    result = run("tokenize", "--sample", "zh", "some text")
    assert result.exit_code == 2 and "Give only one of TEXT / --sample" in result.stderr


def test_unknown_sample(run):
    result = run("tokenize", "--sample", "jp")
    assert result.exit_code == 2 and "No sample named 'jp'" in result.stderr


def test_output_into_a_missing_folder_is_one_clear_line(run, tmp_path):
    result = run("tokenize", "-o", str(tmp_path / "nope" / "out.txt"), "x")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope' / 'out.txt'}: cannot write here: No such file or directory\n"


def test_progress_bar_goes_to_stderr_and_counts_every_byte(run, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("a b\n" * 3000, encoding="utf-8")
    result = run("tokenize", "-t", "whitespace", "-i", str(src), "--batch-size", "100", "--progress")
    assert result.stdout == "a b\n" * 3000
    assert "tokenize: 100%" in result.stderr and "12.0k/12.0k" in result.stderr
    quiet = run("tokenize", "-t", "whitespace", "-i", str(src))
    assert quiet.stderr == ""  # no bar unless stderr is a terminal or --progress


# -- a trained segment pipeline as the tokenizer ----------------------------------------


def _train(folder, config):
    from nlpkit.testing import invoke

    (folder / "config.toml").write_text(config, encoding="utf-8")
    result = invoke("train", folder / "config.toml", "-o", folder / "run", "--device", "cpu",
                    "--set", "trainer.name=torch", "--set", "trainer.max_steps=2")
    assert result.exit_code == 0, result.output
    return folder / "run"


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory, one_torch_thread):
    folder = tmp_path_factory.mktemp("segmenter")
    (folder / "train.txt").write_text("我  来到  北京\n清华  大学\n他  来  了\n", encoding="utf-8")
    return _train(folder, """
        [task]
        name = "segment"
        dev_fraction = 0.34
        [corpus]
        train = "train.txt"
        format = "segmented"
        [tokenizer]
        name = "char"
        graphemes = false
        [model]
        name = "bilstm-crf"
        hidden_size = 4
        [decoder]
        name = "viterbi"
    """)


@pytest.fixture(scope="module")
def tagger(tmp_path_factory, one_torch_thread):
    folder = tmp_path_factory.mktemp("tagger")
    (folder / "train.conll").write_text("a\tX\nb\tY\n\nb\tY\n\n", encoding="utf-8")
    return _train(folder, """
        [task]
        name = "tag"
        [corpus]
        train = "train.conll"
        dev = "train.conll"
        format = "conll"
        [model]
        name = "gru"
        hidden_size = 4
    """)


def test_a_segment_pipeline_folder_is_a_tokenizer(run, segmenter):
    texts = ["我来到北京清华大学", "他 来了", ""]
    result = run("tokenize", "-t", str(segmenter), "-O", "device=cpu", "-f", "json", *texts)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in records] == texts
    for text, record in zip(texts, records):
        words = [t["text"] for t in record["tokens"]]
        assert [text[t["start"]:t["end"]] for t in record["tokens"]] == words
        assert "".join(words) == text.replace(" ", "")
    plain = run("tokenize", "--tokenizer", str(segmenter / "model"), *texts)
    assert plain.stdout.splitlines() == [" ".join(t["text"] for t in r["tokens"]) for r in records]


def test_a_pipeline_folder_that_does_not_segment_is_an_error(run, tagger):
    result = run("tokenize", "-t", str(tagger), "x")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {tagger} holds a 'tag' pipeline, which does not split text into words")
    assert "'segment' pipeline" in result.stderr
