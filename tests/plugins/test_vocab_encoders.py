"""The ``vocab`` and ``one-hot`` encoders."""

from __future__ import annotations

import pytest
import torch

from nlpkit.errors import OptionError, UsageError
from nlpkit.registry import registry
from nlpkit.testing import EncoderContract
from nlpkit.vocab import SPECIALS

SEQUENCES = [["The", "cat", "the"], ["THE", "Dog"], ["cat"]]


def encoder(name: str, **options):  # type: ignore[no-untyped-def]
    return registry("encoders").get(name)(**options)


def test_registered_names_and_alias() -> None:
    assert registry("encoders").get("vocab").name == "vocab"
    assert registry("encoders").get("onehot") is registry("encoders").get("one-hot")


def test_vocab_encoder_fits_and_encodes() -> None:
    enc = encoder("vocab", dim=5)
    enc.fit(SEQUENCES)
    assert enc.fitted.items == [*SPECIALS, "cat", "Dog", "THE", "The", "the"]
    assert enc.encode(["cat", "fish"]) == [4, enc.fitted.index["<unk>"]]
    assert enc.pad_id == 0
    assert enc.config() == {"dim": 5, "min_freq": 1, "max_size": None, "lowercase": False, "char_dim": 0,
                            "char_filters": 50, "char_width": 3, "max_word_chars": 20, "bigram_dim": 0,
                            "lexicon": "", "lexicon_format": "words", "lexicon_dim": 0,
                            "lexicon_word_dim": 0, "lexicon_pooling": "mean", "replace": {},
                            "vectors": "", "binary": None, "freeze": False, "extend_vocab": True}
    assert enc.feature_names == () and enc.features(["cat"]) == {}


def test_lowercase_applies_to_fit_and_encode() -> None:
    enc = encoder("vocab", lowercase=True)
    enc.fit(SEQUENCES)
    assert enc.fitted.items == [*SPECIALS, "the", "cat", "dog"]
    assert enc.encode(["ThE", "CAT", "DOG"]) == [4, 5, 6]


def test_min_freq_and_max_size() -> None:
    enc = encoder("vocab", lowercase=True, min_freq=2)
    enc.fit(SEQUENCES)
    assert enc.fitted.items == [*SPECIALS, "the", "cat"]
    enc = encoder("vocab", lowercase=True, max_size=1)
    enc.fit(SEQUENCES)
    assert enc.fitted.items == [*SPECIALS, "the"]


@pytest.mark.parametrize("options", [{"dim": 0}, {"min_freq": 0}, {"max_size": 0}])
def test_bad_options(options: dict) -> None:
    with pytest.raises(OptionError, match="Encoder 'vocab' needs"):
        encoder("vocab", **options)


def test_an_unfitted_encoder_says_so() -> None:
    with pytest.raises(UsageError, match="call fit"):
        encoder("vocab").encode(["a"])


def test_vocab_embedding_size_and_padding_idx() -> None:
    enc = encoder("vocab", dim=7)
    enc.fit(SEQUENCES)
    layer = enc.embedding()
    assert isinstance(layer, torch.nn.Embedding)
    assert layer.num_embeddings == len(enc.fitted) == 9
    assert layer.embedding_dim == enc.embedding_dim == 7
    assert layer.padding_idx == enc.pad_id
    assert torch.all(layer.weight[enc.pad_id] == 0)
    assert layer.weight.requires_grad
    out = layer(torch.tensor([[4, 0]]))  # shape: [1, 2, 7]
    assert out.shape == (1, 2, 7)
    assert torch.all(out[0, 1] == 0)


def test_unknown_words_embed_as_zeros() -> None:
    enc = encoder("vocab", dim=3)
    enc.fit(SEQUENCES)
    layer = enc.embedding()
    unk = enc.fitted.index["<unk>"]
    assert torch.any(layer.weight[unk] != 0)  # the row exists, but is never read
    ids = torch.tensor([enc.encode(["cat", "fish", "Dog"])])  # shape: [1, 3]
    assert ids[0, 1].item() == unk
    out = layer(ids)  # shape: [1, 3, 3]
    assert torch.all(out[0, 1] == 0)
    assert torch.equal(out[0, 0], layer.weight[ids[0, 0]]) and torch.any(out[0, 2] != 0)
    out.sum().backward()
    assert torch.all(layer.weight.grad[unk] == 0)


def test_encoder_vocabulary_round_trip(tmp_path) -> None:
    enc = encoder("one-hot", lowercase=True)
    enc.fit(SEQUENCES)
    enc.to_disk(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]
    again = encoder("one-hot", **enc.config())
    again.from_disk(tmp_path)
    assert again.fitted.items == enc.fitted.items
    assert again.encode(["DOG", "x"]) == enc.encode(["DOG", "x"])


def test_one_hot_embedding_is_a_fixed_identity() -> None:
    enc = encoder("one-hot")
    enc.fit(SEQUENCES)
    size = len(enc.fitted)
    layer = enc.embedding()
    assert enc.embedding_dim == layer.embedding_dim == size
    assert list(layer.parameters()) == []
    assert layer.state_dict() == {}
    ids = torch.tensor([[4, 5, 0], [8, 1, 2]])  # shape: [2, 3]
    out = layer(ids)  # shape: [2, 3, V]
    assert out.shape == (2, 3, size)
    assert torch.equal(out, torch.nn.functional.one_hot(ids, size).float())
    assert torch.all(out.sum(dim=-1) == 1)
    assert not out.requires_grad


def test_one_hot_has_no_dim_option() -> None:
    assert "dim" not in encoder("one-hot").config()
    with pytest.raises(TypeError):
        encoder("one-hot", dim=4)


def test_a_model_on_one_hot_input_saves_no_embedding(tmp_path) -> None:
    enc = encoder("one-hot")
    enc.fit(SEQUENCES)
    model = registry("models").get("gru")(enc.embedding(), "tag", 3, hidden_size=4)
    assert not any(key.startswith("embedding") for key in model.state_dict())
    assert model.encoder.rnn.input_size == len(enc.fitted)


# -- the encoder contract, as a third-party encoder would be tested --------------------------


class TestVocabContract(EncoderContract):
    name = "vocab"
    options = {"dim": 8}


class TestVocabWithFeaturesContract(EncoderContract):
    name = "vocab"
    options = {"dim": 8, "char_dim": 4, "char_filters": 5, "bigram_dim": 4, "lowercase": True}


class TestVocabWithBigramsOverCharactersContract(EncoderContract):
    """One-character tokens with bigrams: the batched look-up path of ``features_batch``."""

    name = "vocab"
    options = {"dim": 8, "bigram_dim": 4}
    tokens = [list("我来到北京清华大学"), list("上海浦东开发与法制建设同步"), list("北京"), list("学")]


class TestOneHotContract(EncoderContract):
    name = "one-hot"
