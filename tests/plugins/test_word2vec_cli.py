"""The ``nlpkit word2vec`` commands: train, similar, analogy and evaluate."""

from __future__ import annotations

import numpy as np
import pytest

from nlpkit.testing import assert_cli_error, invoke
from nlpkit_word2vec.vectors import WordVectors

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def corpus(tmp_path):  # type: ignore[no-untyped-def]
    """Two topics whose words co-occur only with each other."""
    rng = np.random.default_rng(1)
    animals, tools = ["cat", "dog", "cow", "pig"], ["saw", "drill", "hammer", "wrench"]
    lines = [" ".join(rng.choice(animals if i % 2 else tools, size=8)) for i in range(600)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_similar_analogy_and_evaluate_commands(corpus, tmp_path) -> None:
    out = tmp_path / "v.bin"
    result = invoke("word2vec", "train", corpus, "-o", out, "--dim", 16, "--min-count", 1, "--epochs", 5, "--sample", 0,
                    "--no-progress", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "Wrote 8 vectors of 16 dimensions" in result.stderr
    vectors = WordVectors.load(out, binary=True)
    assert vectors.similarity("cat", "dog") > vectors.similarity("cat", "saw") + 0.3
    similar = invoke("word2vec", "similar", out, "cat", "--topn", 3)
    assert similar.exit_code == 0 and set(similar.stdout.split()[1::2]) <= {"dog", "cow", "pig"}
    analogy = invoke("word2vec", "analogy", out, "cat", "dog", "saw", "--topn", 1)
    assert analogy.exit_code == 0 and analogy.stdout.split()[0] in {"drill", "hammer", "wrench"}
    (tmp_path / "pairs.tsv").write_text("cat\tdog\t9\ncat\tsaw\t1\ndrill\thammer\t8\npig\twrench\t0.5\n", encoding="utf-8")
    scored = invoke("word2vec", "evaluate", out, "--similarity", tmp_path / "pairs.tsv")
    assert scored.exit_code == 0 and "spearman" in scored.stdout
    assert float(scored.stdout.split("spearman ")[1].split()[0]) == pytest.approx(
        vectors.evaluate_similarity(tmp_path / "pairs.tsv").spearman)


def test_no_progress_bar_unless_stderr_is_a_terminal(corpus, tmp_path) -> None:
    result = invoke("word2vec", "train", corpus, "-o", tmp_path / "v.txt", "--dim", 8, "--min-count", 1, "--epochs", 1,
                    "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["Training skipgram vectors on cpu.", "Wrote 8 vectors of 8 dimensions to "
                                          f"{tmp_path / 'v.txt'}."]


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_train_with_either_backend(corpus, tmp_path, backend: str) -> None:  # type: ignore[no-untyped-def]
    if backend == "numba":
        pytest.importorskip("numba")
    out = tmp_path / "v.txt"
    result = invoke("word2vec", "train", corpus, "-o", out, "--dim", 16, "--min-count", 1, "--epochs", 5, "--sample", 0,
                    "--no-progress", "--device", "cpu", "--backend", backend, "--workers", 2)
    assert result.exit_code == 0, result.output
    vectors = WordVectors.load(out)
    assert vectors.similarity("cat", "dog") > vectors.similarity("cat", "saw") + 0.3


def test_command_errors_are_one_line(corpus, tmp_path) -> None:
    out = tmp_path / "v.txt"
    assert invoke("word2vec", "train", corpus, "-o", out, "--min-count", 1, "--epochs", 1, "--no-progress",
                  "--device", "cpu").exit_code == 0
    assert_cli_error(invoke("word2vec", "similar", out, "catt"), 2, "'catt' is not in the vocabulary", "'cat'")
    assert_cli_error(invoke("word2vec", "train", corpus, "-o", out, "--min-count", 10**6, "--no-progress"), 2,
                     "No word occurs min_count=1000000 times", "'wrench', occurs 649 times")
    assert_cli_error(invoke("word2vec", "evaluate", out), 2, "--similarity FILE")
    assert_cli_error(invoke("word2vec", "train", corpus, "-o", out, "--backend", "numba", "--device", "meta"), 2,
                     "The numba backend trains on the CPU; for meta use backend 'torch'")
    (tmp_path / "bad.txt").write_text("2 3\ncat 1 2 3\ndog 1 2\n", encoding="utf-8")
    assert_cli_error(invoke("word2vec", "similar", tmp_path / "bad.txt", "cat"), 1, "bad.txt:3:",
                     "has 2 values, the header says 3")


def test_the_conll2003_word2vec_config_differs_only_in_the_encoder_schedule_and_word_dropout(repo_config) -> None:
    base, w2v = repo_config("ner-conll2003.toml"), repo_config("ner-conll2003-w2v.toml")
    extra = {"name": "word2vec", "vectors": "runs/english-vectors.bin", "lowercase": True}
    assert w2v["encoder"] == {**base["encoder"], **extra}
    assert w2v["trainer"] == {**base["trainer"], "schedule": "plateau", "patience": 6}
    assert w2v["model"] == {**base["model"], "word_dropout": 0.05}
    unchanged = {"encoder": None, "trainer": None, "model": None}
    assert {**w2v, **unchanged} == {**base, **unchanged}
