"""``nlpkit generate`` through click's CliRunner, on a character language model trained
by ``nlpkit train``: greedy decoding is deterministic, seeded sampling reproducible,
-n draws several samples, and a classifier cannot generate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nlpkit.testing import assert_cli_error as assert_error
from nlpkit.testing import invoke, train_config

SENTENCES = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"]
SEPARATOR = "-" * 40


pytestmark = pytest.mark.usefixtures("one_torch_thread")



@pytest.fixture(scope="module")
def language_model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lm")
    rng = random.Random(0)
    (folder / "text.txt").write_text("\n".join(rng.choice(SENTENCES) for _ in range(120)) + "\n")
    return train_config(folder, """
        seed = 1
        [task]
        name = "generate"
        block_size = 16
        [corpus]
        train = "text.txt"
        format = "plain-text"
        [tokenizer]
        name = "char"
        keep_whitespace = true
        [encoder]
        name = "vocab"
        dim = 16
        [model]
        name = "gru"
        hidden_size = 32
        [trainer]
        name = "torch"
        epochs = 6
        batch_size = 8
        lr = 0.02
    """)



def generated(result) -> str:
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("\n")
    return result.stdout[:-1]


def test_greedy_is_deterministic_and_continues_the_prefix(language_model):
    args = ("generate", language_model, "--prefix", "the ", "--max-length", 30, "--temperature", 0)
    text = generated(invoke(*args))
    assert text == generated(invoke(*args))
    assert text.startswith("the ") and len(text) == len("the ") + 30  # one character per step
    assert all(line in SENTENCES for line in text.split("\n")[:-1]), text  # it learnt the sentences
    # temperature 0, top-k 1 and the pipeline's own argmax decoder are all greedy
    assert generated(invoke("generate", language_model, "--prefix", "the ", "--max-length", 30)) == text
    top_1 = invoke("generate", language_model, "--prefix", "the ", "--max-length", 30, "--top-k", 1, "--seed", 5)
    assert generated(top_1) == text


def test_seeded_sampling_is_reproducible(language_model):
    args = ("generate", language_model, "--max-length", 40, "--temperature", 1, "--seed", 7, "-n", 2)
    output = generated(invoke(*args))
    assert output == generated(invoke(*args))
    samples = output.split("\n" + SEPARATOR + "\n")
    assert len(samples) == 2 and all(len(s) == 40 for s in samples)
    assert samples[0] != samples[1]  # seeds 7 and 8
    other = generated(invoke("generate", language_model, "--max-length", 40, "--temperature", 1, "--seed", 8))
    assert other == samples[1]
    assert generated(invoke("generate", language_model, "--max-length", 40, "--temperature", 1, "--seed", 9)) != other


def test_cli_samples_equal_the_python_api(language_model):
    from nlpkit.pipeline import load
    from nlpkit.registry import registry

    pipeline = load(language_model, device="cpu")
    pipeline.decoder = registry("decoders").get("gumbel")(temperature=0.8, top_p=0.9)
    expected = pipeline.generate("a ", 25, seed=3)
    result = invoke("generate", language_model, "--prefix", "a ", "--max-length", 25, "--temperature", 0.8,
                    "--top-p", 0.9, "--seed", 3)
    assert generated(result) == expected


def test_a_classifier_cannot_generate(tiny_classifier):
    assert_error(invoke("generate", tiny_classifier, "--max-length", 5), 2, "'classify' pipeline cannot generate text")
    assert_error(invoke("generate", tiny_classifier, "--temperature", 1, "--seed", 1), 2, "cannot generate text")


def test_not_a_pipeline(tmp_path):
    assert_error(invoke("generate", tmp_path), 1, "not an nlpkit pipeline")


@pytest.mark.parametrize("args", [("--max-length", 0), ("--temperature", -1), ("--top-p", 0), ("-n", 0)])
def test_out_of_range_options(language_model, args):
    result = invoke("generate", language_model, *args)
    assert result.exit_code == 2
    assert "Error: Invalid value" in result.stderr and "Traceback" not in result.output
