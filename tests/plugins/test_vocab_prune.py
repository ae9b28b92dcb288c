"""Pruning rare character bigrams from a saved pipeline: vocabulary and embedding shrink
together, a pruned bigram reads exactly as ``<unk>`` did, and the result saves and loads."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

import nlpkit
from nlpkit.batch import collate
from nlpkit.errors import UsageError
from nlpkit.testing import train_config
from nlpkit_vocab import _bigrams
from nlpkit_vocab.prune import prune_bigrams

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXT = "我们明天去北京参观人民公园。"


@pytest.fixture(scope="module")
def run(tmp_path_factory, samples):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("bigrams")
    sentences = samples.cws_sentences(80, seed=4)
    (folder / "train.txt").write_text(samples.segmented(sentences), encoding="utf-8")
    return train_config(folder, """
        seed = 2
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
        dim = 8
        bigram_dim = 6
        [model]
        name = "bilstm-crf"
        hidden_size = 8
        [decoder]
        name = "viterbi"
        [trainer]
        name = "torch"
        epochs = 2
    """), [list("".join(words)) for words in sentences]


def embed(pipeline, chars: list[str], bigram_ids: list[int] | None = None) -> torch.Tensor:  # type: ignore[no-untyped-def]
    features = pipeline.encoder.features(chars)
    if bigram_ids is not None:
        features["bigrams"] = [[bigram_ids[i], bigram_ids[i + 1]] for i in range(len(chars))]
    batch = collate([pipeline.encoder.encode(chars)], pipeline.encoder.pad_id, None, {k: [v] for k, v in features.items()})
    with torch.inference_mode():
        return pipeline.model.embedding(batch.ids, **batch.features)


def test_rare_bigrams_read_as_unk_and_the_rest_as_before(run, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, chars = run
    full, pruned = nlpkit.load(folder, device="cpu"), nlpkit.load(folder, device="cpu")
    before, after = prune_bigrams(pruned, chars, min_count=3)
    counts = Counter(b for seq in chars for b in _bigrams(seq))
    assert after == 2 + sum(1 for b in full.encoder.bigrams.items[2:] if counts[b] >= 3) < before
    assert pruned.model.embedding.bigrams.weight.shape == (after, 6)
    text = list(TEXT)
    vocab = full.encoder.bigrams
    as_unk = [i if counts[b] >= 3 else vocab.unk_id for b, i in zip(_bigrams(text), vocab.encode(_bigrams(text)))]
    torch.testing.assert_close(embed(pruned, text), embed(full, text, as_unk), rtol=0, atol=0)
    pruned.to_disk(tmp_path / "p")
    again = nlpkit.load(tmp_path / "p", device="cpu")
    assert len(again.encoder.bigrams) == after
    assert again(TEXT).words.texts == pruned(TEXT).words.texts


def test_min_count_one_keeps_every_seen_bigram(run) -> None:  # type: ignore[no-untyped-def]
    folder, chars = run
    pipeline = nlpkit.load(folder, device="cpu")
    before, after = prune_bigrams(pipeline, chars, min_count=1)
    assert before == after


def test_a_pipeline_without_bigrams_is_a_usage_error(tiny_classifier) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="has no bigram feature"):
        prune_bigrams(nlpkit.load(tiny_classifier, device="cpu"), [["a"]], 2)
