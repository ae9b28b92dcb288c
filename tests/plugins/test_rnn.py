"""The rnn, gru and lstm models: heads, padding invariance, the gate equations, generation
state, options and saving. Tiny sizes on the CPU; every random draw is seeded."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_model, save_model
from torch import nn

from nlpkit.batch import Batch, collate
from nlpkit.errors import OptionError, UsageError
from nlpkit.model import Model
from nlpkit.recurrent import drop_words
from nlpkit.registry import registry
from nlpkit.testing import ModelContract
from nlpkit_rnn.models import GRUModel, LSTMModel, RecurrentModel, RNNModel
from nlpkit_vocab.layers import OneHot


def _load_reference():  # tests are not a package (importlib mode): load the sibling by path
    spec = importlib.util.spec_from_file_location("reference_cells", Path(__file__).with_name("reference_cells.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()

KINDS = ("rnn", "gru", "lstm")
CLASSES = {"rnn": RNNModel, "gru": GRUModel, "lstm": LSTMModel}
TORCH_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
VOCAB, DIM, HIDDEN, LABELS, PAD = 20, 6, 7, 5, 0
LENGTHS = [5, 9, 1, 12, 3]


def make(kind: str, head: str = "tag", num_outputs: int = LABELS, embedding: nn.Module | None = None,
         **options) -> RecurrentModel:
    """A seeded tiny model in evaluation mode."""
    torch.manual_seed(0)
    embedding = embedding if embedding is not None else nn.Embedding(VOCAB, DIM, padding_idx=PAD)
    options.setdefault("hidden_size", HIDDEN)
    return CLASSES[kind](embedding, head, num_outputs, **options).eval()


def sequences(lengths: list[int] = LENGTHS, seed: int = 1) -> list[list[int]]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randint(1, VOCAB, (n,), generator=gen).tolist() for n in lengths]


def padded(seqs: list[list[int]], seed: int = 2) -> Batch:
    """A right-padded batch whose pad positions hold random real ids, not ``<pad>``:
    what sits under a False mask must not matter either."""
    batch = collate(seqs, PAD)
    noise = torch.randint(1, VOCAB, batch.ids.shape, generator=torch.Generator().manual_seed(seed))  # shape: [B, T]
    return Batch(torch.where(batch.mask, batch.ids, noise), batch.mask)


def rnn_params(rnn: nn.RNNBase, layer: int, direction: int) -> dict[str, np.ndarray]:
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    names = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}
    return {key: getattr(rnn, name + suffix).detach().double().numpy() for key, name in names.items()}


# -- registration and imports -----------------------------------------------------------


def test_registered_under_their_names():
    models = registry("models")
    for kind in KINDS:
        assert models.get(kind) is CLASSES[kind]
        assert issubclass(CLASSES[kind], Model)
        assert CLASSES[kind].cell == kind


def test_loading_the_plugins_never_imports_torch():
    code = (
        "import sys, nlpkit_rnn, nlpkit_decoders\n"
        "found = []\n"
        "nlpkit_decoders.register_decoders(lambda cls, aliases=(): found.append(cls.name))\n"
        "assert found == ['argmax', 'gumbel'], found\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- heads ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_head_shapes(kind):
    batch = padded(sequences())
    tag = make(kind, "tag", bidirectional=True)(batch)
    assert tag.emissions.shape == (5, 12, LABELS) and tag.logits is None
    assert torch.equal(tag.mask, batch.mask)
    cls = make(kind, "classify", num_layers=2, bidirectional=True)(batch)
    assert cls.logits.shape == (5, LABELS) and cls.emissions is None
    lm = make(kind, "lm", VOCAB)(batch)
    assert lm.emissions.shape == (5, 12, VOCAB)


def test_one_hot_input_layer():
    model = make("gru", "tag", embedding=OneHot(VOCAB), bidirectional=True)
    assert model.encoder.rnn.input_size == VOCAB
    assert model(padded(sequences())).emissions.shape == (5, 12, LABELS)


# -- padding ----------------------------------------------------------------------------


def _padding_models(kind: str, num_layers: int, bidirectional: bool) -> dict[str, RecurrentModel]:
    options = {"num_layers": num_layers, "bidirectional": bidirectional, "dropout": 0.3, "word_dropout": 0.2}
    models = {"tag": make(kind, "tag", **options)}
    for pooling in ("last", "mean", "max"):
        models[f"classify-{pooling}"] = make(kind, "classify", pooling=pooling, **options)
    if not bidirectional:
        models["lm"] = make(kind, "lm", VOCAB, **options)
    return models


def _output(scores, row: int, length: int) -> torch.Tensor:
    return scores.logits[row] if scores.logits is not None else scores.emissions[row, :length]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_a_result(kind, num_layers, bidirectional):
    seqs = sequences()
    batch = padded(seqs)
    for head, model in _padding_models(kind, num_layers, bidirectional).items():
        together = model(batch)
        for row, seq in enumerate(seqs):
            alone = model(collate([seq], PAD))
            got, expected = _output(together, row, len(seq)), _output(alone, 0, len(seq))
            assert torch.allclose(got, expected, atol=1e-6), f"{head}: sequence {row} changes when batched"


def test_an_empty_sequence_reads_one_pad_token_and_changes_nothing_else():
    seqs = sequences([4, 2])
    batch = collate([seqs[0], [], seqs[1]], PAD)
    for head in ("tag", "classify"):
        model = make("lstm", head, bidirectional=True, pooling="max")
        with_empty, without = model(batch), model(collate(seqs, PAD))
        out = with_empty.logits if head == "classify" else with_empty.emissions
        assert torch.isfinite(out).all()
        assert torch.allclose(_output(with_empty, 2, 2), _output(without, 1, 2), atol=1e-6)


# -- the gate equations -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_torch_cells_follow_the_textbook_equations(kind):
    torch.manual_seed(3)
    layer = TORCH_CELLS[kind](4, 3, batch_first=True)
    xs = torch.randn(1, 11, 4)  # shape: [1, T, I]
    with torch.no_grad():
        got = layer(xs)[0][0].double().numpy()  # shape: [T, H]
    expected = ref.run_cell(kind, xs[0].double().numpy(), rnn_params(layer, 0, 0))
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_gru_reference_is_sensitive_to_where_the_reset_gate_applies():
    """The paper's form ``W_hn (r * h)`` is not torch's ``r * (W_hn h + b_hn)``: the
    reference must tell them apart, or the test above would prove nothing."""
    torch.manual_seed(3)
    layer = nn.GRU(4, 3, batch_first=True)
    w = rnn_params(layer, 0, 0)
    x, h = np.ones(4), np.full(3, 0.5)
    xi, hh = np.split(w["w_ih"] @ x + w["b_ih"], 3), np.split(w["w_hh"] @ h + w["b_hh"], 3)
    r, z = ref.sigmoid(xi[0] + hh[0]), ref.sigmoid(xi[1] + hh[1])
    w_hn, b_hn = np.split(w["w_hh"], 3)[2], np.split(w["b_hh"], 3)[2]
    paper = (1 - z) * np.tanh(xi[2] + w_hn @ (r * h) + b_hn) + z * h
    assert not np.allclose(paper, ref.gru_cell(x, h, w), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("num_layers", "bidirectional"), [(1, False), (1, True), (2, True)])
def test_models_follow_the_textbook_equations(kind, num_layers, bidirectional):
    """Tag emissions and last-state logits, recomputed in numpy per sequence (no padding)."""
    seqs = sequences()
    batch = padded(seqs)
    tagger = make(kind, "tag", num_layers=num_layers, bidirectional=bidirectional)
    classifier = make(kind, "classify", num_layers=num_layers, bidirectional=bidirectional)  # same seed: same rnn
    with torch.no_grad():
        emissions, logits = tagger(batch).emissions.double(), classifier(batch).logits.double()
    directions = 2 if bidirectional else 1
    layers = [[rnn_params(tagger.encoder.rnn, i, d) for d in range(directions)] for i in range(num_layers)]
    table = tagger.embedding.weight.detach().double().numpy()  # shape: [V, E]
    for row, seq in enumerate(seqs):
        states = ref.run_stack(kind, table[seq], layers)  # shape: [T, D*H]
        np.testing.assert_allclose(emissions[row, : len(seq)].numpy(), _linear(tagger.output, states), atol=1e-5)
        last = np.concatenate([states[-1, :HIDDEN], states[0, HIDDEN:]])  # forward at the end, backward at the start
        np.testing.assert_allclose(logits[row].numpy(), _linear(classifier.output, last), atol=1e-5)


def _linear(layer: nn.Linear, x: np.ndarray) -> np.ndarray:
    return x @ layer.weight.detach().double().numpy().T + layer.bias.detach().double().numpy()


# -- language modelling -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_step_by_step_equals_one_forward_pass(kind):
    model = make(kind, "lm", VOCAB, num_layers=2, dropout=0.2, word_dropout=0.1)
    ids = torch.tensor(sequences([10, 10]))  # shape: [2, 10]
    full = model(Batch(ids, torch.ones_like(ids, dtype=torch.bool))).emissions  # shape: [2, 10, V]
    logits, state = model.step(ids[:, :4])  # a prefix first, as generation does
    pieces = [logits]
    for t in range(4, 10):
        logits, state = model.step(ids[:, t:t + 1], state)  # shape: [2, 1, V]
        pieces.append(logits)
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-6)
    if kind == "lstm":
        assert isinstance(state, tuple) and state[0].shape == state[1].shape == (2, 2, HIDDEN)
    else:
        assert state.shape == (2, 2, HIDDEN)


def test_only_a_language_model_steps():
    with pytest.raises(UsageError, match="cannot generate text"):
        make("gru", "tag").step(torch.tensor([[1, 2]]))


def test_tied_weights_are_one_parameter_and_survive_saving(tmp_path):
    model = make("lstm", "lm", VOCAB, hidden_size=DIM, tie_weights=True)
    assert model.output.weight is model.embedding.weight
    assert sum(p is model.embedding.weight for p in model.parameters()) == 1
    batch = padded(sequences())
    model.train()
    model.loss(model(batch), Batch(batch.ids, batch.mask, batch.ids)).backward()
    assert model.embedding.weight.grad is not None
    model.eval()
    save_model(model, str(tmp_path / "weights.safetensors"))
    copy = make("lstm", "lm", VOCAB, embedding=nn.Embedding(VOCAB, DIM, padding_idx=PAD), hidden_size=DIM, tie_weights=True)
    torch.nn.init.zeros_(copy.embedding.weight)
    load_model(copy, str(tmp_path / "weights.safetensors"), strict=True)
    assert copy.output.weight is copy.embedding.weight
    assert torch.equal(copy(batch).emissions, model(batch).emissions)


def test_generation_through_a_saved_pipeline_is_reproducible(tmp_path):
    from nlpkit.api import get_tokenizer
    from nlpkit.pipeline import Pipeline
    from nlpkit.tasks.generate import GenerateTask
    from nlpkit_decoders.decoders import GumbelDecoder
    from nlpkit_vocab import VocabEncoder

    encoder = VocabEncoder(dim=8)
    encoder.fit([list("hello world, hello there")])
    torch.manual_seed(0)
    model = GRUModel(encoder.embedding(), "lm", len(encoder.fitted), hidden_size=8, tie_weights=True)
    pipe = Pipeline(GenerateTask(), get_tokenizer("char"), encoder, model, GumbelDecoder(temperature=0.8, top_k=5))
    text = pipe.generate("hel", max_length=15, seed=7)  # untrained: specials such as <unk> may appear
    assert text.startswith("hel") and len(text) > len("hel") + 10
    assert pipe.generate("hel", max_length=15, seed=7) == text
    pipe.to_disk(tmp_path / "lm")
    loaded = Pipeline.from_disk(tmp_path / "lm", device="cpu")
    assert loaded.model.config() == model.config()
    assert loaded.generate("hel", max_length=15, seed=7) == text


# -- options ----------------------------------------------------------------------------


def test_config_rebuilds_the_same_model():
    model = make("gru", "classify", num_layers=2, bidirectional=True, dropout=0.1, pooling="mean", word_dropout=0.05)
    config = model.config()
    assert config == {"hidden_size": HIDDEN, "num_layers": 2, "bidirectional": True, "dropout": 0.1,
                      "pooling": "mean", "tie_weights": False, "word_dropout": 0.05}
    rebuilt = GRUModel(nn.Embedding(VOCAB, DIM, padding_idx=PAD), "classify", LABELS, **json.loads(json.dumps(config)))
    rebuilt.load_state_dict(model.state_dict())
    batch = padded(sequences())
    assert torch.equal(rebuilt.eval()(batch).logits, model(batch).logits)


@pytest.mark.parametrize(
    ("head", "options", "message"),
    [
        ("lm", {"bidirectional": True}, "must be unidirectional.*bidirectional=false"),
        ("lm", {"tie_weights": True}, "hidden_size=6"),
        ("tag", {"tie_weights": True, "hidden_size": DIM}, "needs head 'lm'"),
        ("tag", {"hidden_size": 0}, "hidden_size >= 1"),
        ("tag", {"num_layers": 0}, "num_layers >= 1"),
        ("tag", {"dropout": 1.0}, "0 <= dropout < 1"),
        ("tag", {"word_dropout": -0.1}, "0 <= word_dropout < 1"),
        ("classify", {"pooling": "first"}, "must be one of last, mean, max"),
    ],
)
def test_bad_options_say_what_to_change(head, options, message):
    with pytest.raises(OptionError, match=message):
        make("lstm", head, VOCAB, **options)


def test_tied_weights_need_a_trainable_embedding():
    with pytest.raises(OptionError, match="trainable nn.Embedding.*encoder 'vocab'"):
        make("gru", "lm", VOCAB, embedding=OneHot(VOCAB), hidden_size=VOCAB, tie_weights=True)
    frozen = nn.Embedding.from_pretrained(torch.randn(VOCAB, DIM), freeze=True)
    with pytest.raises(OptionError, match="trainable nn.Embedding"):
        make("gru", "lm", VOCAB, embedding=frozen, hidden_size=DIM, tie_weights=True)


def test_unknown_head_is_a_usage_error():
    with pytest.raises(UsageError, match="Model 'rnn' has no 'parse' head; it supports: tag, classify, lm"):
        make("rnn", "parse")


# -- training ---------------------------------------------------------------------------


def test_dropout_acts_in_training_only():
    batch = padded(sequences())
    model = make("gru", "tag", num_layers=2, dropout=0.5)
    assert torch.equal(model(batch).emissions, model(batch).emissions)
    model.train()
    torch.manual_seed(4)
    assert not torch.allclose(model(batch).emissions, model(batch).emissions)


def test_word_dropout_zeroes_whole_token_vectors():
    torch.manual_seed(5)
    vectors = torch.ones(8, 500, 3)  # shape: [B, T, E]
    dropped = drop_words(vectors, 0.25)  # shape: [B, T, E]
    zero = (dropped == 0).all(dim=-1)  # shape: [B, T]
    assert torch.equal(zero, (dropped == 0).any(dim=-1)), "a token vector was partly dropped"
    assert torch.allclose(dropped[~zero], torch.full_like(dropped[~zero], 1 / 0.75))
    assert abs(zero.float().mean().item() - 0.25) < 0.03


def test_word_dropout_is_off_in_evaluation():
    batch = padded(sequences())
    plain, dropping = make("lstm", "tag"), make("lstm", "tag", word_dropout=0.5)
    assert torch.equal(plain(batch).emissions, dropping(batch).emissions)
    dropping.train()
    torch.manual_seed(6)
    assert not torch.allclose(plain(batch).emissions, dropping(batch).emissions)


@pytest.mark.parametrize("kind", KINDS)
def test_a_few_steps_fit_a_small_batch(kind):
    """Gradients reach every parameter and the loss falls: tag each token with its id mod 5."""
    seqs = sequences()
    batch = collate(seqs, PAD, [[i % LABELS for i in s] for s in seqs])
    model = make(kind, "tag", bidirectional=True, num_layers=2).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(40):
        optimiser.zero_grad()
        loss = model.loss(model(batch), batch)
        loss.backward()
        first = first if first is not None else loss.item()
        optimiser.step()
    assert all(p.grad is not None for p in model.parameters())
    assert loss.item() < first / 4


def test_weights_under_the_earlier_names_load(tmp_path):
    """Pipelines saved when the recurrent layer was the model's own ``rnn`` keep loading."""
    from safetensors.torch import save_file

    from nlpkit.compaction import load_weights

    model = LSTMModel(nn.Embedding(VOCAB, 4), "tag", 3, hidden_size=5, bidirectional=True).eval()
    old = {k.replace("encoder.rnn.", "rnn."): v for k, v in model.state_dict().items()}
    assert "rnn.weight_hh_l0_reverse" in old
    save_file(old, str(tmp_path / "weights.safetensors"))
    loaded = LSTMModel(nn.Embedding(VOCAB, 4), "tag", 3, hidden_size=5, bidirectional=True).eval()
    load_weights(loaded, tmp_path / "weights.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


# -- the model contract, as a third-party model would be tested ----------------------------


class TestRNNTagger(ModelContract):
    name = "rnn"
    options = {"hidden_size": 16}


class TestGRUTaggerBidirectional(ModelContract):
    name = "gru"
    options = {"hidden_size": 16, "bidirectional": True, "num_layers": 2}


class TestLSTMClassifier(ModelContract):
    name = "lstm"
    head = "classify"
    options = {"hidden_size": 16, "pooling": "max"}


class TestGRUClassifierOnCharacters(ModelContract):
    name = "gru"
    head = "classify"
    options = {"hidden_size": 16, "bidirectional": True}
    encoder_options = {"dim": 16, "char_dim": 8, "char_filters": 8}
