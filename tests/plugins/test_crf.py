"""The bilstm-crf model, its bilstm baseline and the viterbi decoder: the loss is the core's
CRF NLL, padding changes nothing, a tiny NER sample is learnt, scheme constraints hold,
bad labels and options fail early, and a trained pipeline saves and loads with its
constraints. Tiny sizes on the CPU with one torch thread; every random draw is seeded."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import nlpkit
from nlpkit import crf as ops
from nlpkit.batch import Batch, collate
from nlpkit.errors import OptionError, UsageError
from nlpkit.model import Model
from nlpkit.registry import registry
from nlpkit.scores import Scores
from nlpkit.spans import check_scheme
from nlpkit.testing import DecoderContract, ModelContract
from nlpkit.training import train
from nlpkit_crf.decoder import ViterbiDecoder
from nlpkit_crf.model import BiLSTM, BiLSTMCRF
from nlpkit_rnn.models import LSTMModel

pytestmark = pytest.mark.usefixtures("one_torch_thread")

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
VOCAB, DIM, HIDDEN, PAD = 30, 8, 8, 0
LENGTHS = [5, 9, 1, 12, 3]


def make(cls: type[BiLSTMCRF] = BiLSTMCRF, num_outputs: int = len(LABELS), **options) -> BiLSTMCRF:
    """A seeded tiny model in evaluation mode."""
    torch.manual_seed(0)
    options.setdefault("hidden_size", HIDDEN)
    return cls(nn.Embedding(VOCAB, DIM, padding_idx=PAD), "tag", num_outputs, **options).eval()


def sequences(lengths: list[int] = LENGTHS, seed: int = 1) -> list[list[int]]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randint(1, VOCAB, (n,), generator=gen).tolist() for n in lengths]


def tagged(seqs: list[list[int]], seed: int = 3) -> Batch:
    """A right-padded batch with random gold tags; pad positions hold random real ids,
    not ``<pad>``: what sits under a False mask must not matter either."""
    gen = torch.Generator().manual_seed(seed)
    tags = [torch.randint(0, len(LABELS), (len(s),), generator=gen).tolist() for s in seqs]
    batch = collate(seqs, PAD, tags)
    noise = torch.randint(1, VOCAB, batch.ids.shape, generator=gen)  # shape: [B, T]
    return Batch(torch.where(batch.mask, batch.ids, noise), batch.mask, batch.labels)


def valid_iob2(tags: list[str]) -> bool:
    """IOB2 judged independently of nlpkit.crf: I-X only right after B-X or I-X."""
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


# -- registration -----------------------------------------------------------------------


def test_registered_under_their_names():
    assert registry("models").get("bilstm-crf") is BiLSTMCRF
    assert registry("models").get("bilstm") is BiLSTM
    assert issubclass(BiLSTM, BiLSTMCRF) and issubclass(BiLSTMCRF, Model)
    assert registry("decoders").get("viterbi") is ViterbiDecoder
    assert registry("models").entry("bilstm-crf").plugin == "crf"


def test_loading_the_plugin_never_imports_torch():
    code = (
        "import sys, nlpkit_crf\n"
        "found = []\n"
        "nlpkit_crf.register_decoders(lambda cls, aliases=(): found.append(cls.name))\n"
        "assert found == ['viterbi'], found\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_two_models_differ_only_in_the_crf_default():
    crf, plain = make(), make(BiLSTM)
    assert crf.config() == {"hidden_size": HIDDEN, "num_layers": 1, "dropout": 0.5, "word_dropout": 0.0,
                            "crf": True, "scheme": None}
    assert plain.config() == {**crf.config(), "crf": False}
    assert {n for n, _ in crf.named_parameters()} - {n for n, _ in plain.named_parameters()} == {
        "crf_layer.transitions", "crf_layer.start", "crf_layer.end"}
    assert torch.equal(crf(tagged(sequences())).emissions, plain(tagged(sequences())).emissions)
    scores = plain(tagged(sequences()))
    assert scores.transitions is None and scores.start is None and scores.end is None


def test_crf_scores_are_initialised_like_pytorch_crf():
    model = make(num_outputs=40)
    for tensor in (model.crf_layer.transitions, model.crf_layer.start, model.crf_layer.end):
        assert tensor.abs().max() <= 0.1 and tensor.std() > 0.03
    assert model.crf_layer.allowed.all() and model.crf_layer.allowed_start.all() and model.crf_layer.allowed_end.all()
    assert model.crf_layer.allowed.dtype == torch.bool and model.crf_layer.allowed.shape == (40, 40)


def test_config_rebuilds_the_same_model():
    model = make(num_layers=2, dropout=0.1, word_dropout=0.05, scheme="IOB2")
    model.bind_labels(LABELS)
    config = json.loads(json.dumps(model.config()))
    rebuilt = BiLSTMCRF(nn.Embedding(VOCAB, DIM, padding_idx=PAD), "tag", len(LABELS), **config)
    rebuilt.load_state_dict(model.state_dict())
    assert torch.equal(rebuilt.crf_layer.allowed, model.crf_layer.allowed) and not rebuilt.crf_layer.allowed.all()
    batch = tagged(sequences())
    assert torch.equal(rebuilt.eval()(batch).transitions, model(batch).transitions)


# -- loss, gradients and padding --------------------------------------------------------


def test_the_loss_is_the_core_crf_nll_and_its_gradient_reaches_every_layer():
    model = make(scheme="IOB2").train()
    model.bind_labels(LABELS)
    batch = tagged(sequences())
    torch.manual_seed(1)
    scores = model(batch)
    layer = model.crf_layer
    transitions, start, end = ops.apply_constraints(layer.transitions, layer.start, layer.end,
                                                    layer.allowed, layer.allowed_start, layer.allowed_end)
    expected = ops.crf_nll(scores.emissions, batch.labels, batch.mask, transitions, start, end, reduction="token_mean")
    loss = model.loss(scores, batch)
    assert torch.equal(loss, expected)
    loss.backward()
    for name in ("embedding.weight", "encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l0_reverse", "output.weight",
                 "crf_layer.transitions", "crf_layer.start", "crf_layer.end"):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, f"no gradient reaches {name}"
    # Forbidden moves are constants (FORBIDDEN), so no gradient flows into them.
    assert (model.crf_layer.transitions.grad[~model.crf_layer.allowed] == 0).all()


def test_the_baseline_loss_is_the_cross_entropy_of_real_tokens():
    model = make(BiLSTM)
    batch = tagged(sequences())
    scores = model(batch)
    expected = nn.functional.cross_entropy(scores.emissions[batch.mask], batch.labels[batch.mask])
    assert torch.allclose(model.loss(scores, batch), expected)


def test_padding_never_changes_tags_or_a_sentence_nll():
    seqs = sequences()
    batch = tagged(seqs)
    decoder = ViterbiDecoder()
    for model in (make(num_layers=2, word_dropout=0.2), make(scheme="IOB2")):
        model.bind_labels(LABELS)
        together = model(batch)
        nll = ops.crf_nll(together.emissions, batch.labels, batch.mask, together.transitions,
                          together.start, together.end, reduction="none")  # shape: [B]
        paths = decoder.decode(together)
        for row, seq in enumerate(seqs):
            alone_batch = collate([seq], PAD, [batch.labels[row, :len(seq)].tolist()])
            alone = model(alone_batch)
            assert decoder.decode(alone) == [paths[row]], f"sequence {row}'s tags change when batched"
            assert len(paths[row]) == len(seq)
            assert torch.allclose(model.loss(alone, alone_batch) * len(seq), nll[row], atol=1e-5)


# -- learning ---------------------------------------------------------------------------

PEOPLE = ["Alice", "Bob", "Carol", "Dmitri", "Emma", "Farid", "Grace", "Hiro"]
PLACES = ["Paris", "Rome", "Oslo", "Lima", "Cairo", "Delhi", "Kyoto", "Quito"]
WORDS = ["the", "met", "saw", "went", "to", "and", "then", "a", "friend", "visited", "near", "old"]


def ner_sample(n: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """IOB2 sentences: names of one or two capitalised words are PER, places after 'in' are LOC."""
    rng = random.Random(seed)
    sentences, tags = [], []
    for _ in range(n):
        words, labels = [], []
        for _ in range(rng.randint(2, 4)):
            filler = rng.sample(WORDS, rng.randint(1, 3))
            words += filler
            labels += ["O"] * len(filler)
            if rng.random() < 0.5:
                name = rng.sample(PEOPLE, rng.randint(1, 2))
                words += name
                labels += ["B-PER"] + ["I-PER"] * (len(name) - 1)
            else:
                place = rng.sample(PLACES, rng.randint(1, 2))
                words += ["in", *place]
                labels += ["O", "B-LOC"] + ["I-LOC"] * (len(place) - 1)
        sentences.append(words)
        tags.append(labels)
    return sentences, tags


def test_a_tiny_ner_sample_is_learnt():
    sentences, tags = ner_sample(24, seed=0)
    vocab = {w: i for i, w in enumerate(["<pad>", *sorted({w for s in sentences for w in s})])}
    batch = collate([[vocab[w] for w in s] for s in sentences], PAD, [[LABELS.index(t) for t in s] for s in tags])
    torch.manual_seed(0)
    model = BiLSTMCRF(nn.Embedding(len(vocab), 16, padding_idx=PAD), "tag", len(LABELS), hidden_size=16,
                      dropout=0.1, scheme="IOB2")
    model.bind_labels(LABELS)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        loss = model.loss(model(batch), batch)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 < losses[0], f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    predicted = ViterbiDecoder().decode(model.eval()(batch))
    gold = [LABELS.index(t) for s in tags for t in s]
    right = sum(p == g for p, g in zip((t for s in predicted for t in s), gold))
    assert right / len(gold) > 0.9, f"token accuracy {right / len(gold):.3f}"


# -- constraints ------------------------------------------------------------------------


def _random_crf(scheme: str | None) -> BiLSTMCRF:
    model = make(scheme=scheme)
    model.bind_labels(LABELS)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(7)
        for tensor in (model.crf_layer.transitions, model.crf_layer.start, model.crf_layer.end, model.output.weight):
            tensor.copy_(torch.randn(tensor.shape, generator=gen) * 20)
    return model


def test_a_scheme_forbids_every_invalid_path_even_with_large_random_scores():
    seqs = sequences([1, 2, 3, 7, 12, 20] * 5, seed=8)
    constrained = ViterbiDecoder().decode(_random_crf("IOB2")(collate(seqs, PAD)))
    assert all(valid_iob2([LABELS[t] for t in path]) for path in constrained)
    # The same scores without the scheme do break IOB2, so the check above can fail.
    free = ViterbiDecoder().decode(_random_crf(None)(collate(seqs, PAD)))
    assert not all(valid_iob2([LABELS[t] for t in path]) for path in free)


def test_an_iob1_scheme_decodes_only_valid_iob1():
    seqs = sequences([1, 2, 3, 7, 12, 20] * 5, seed=8)
    constrained = ViterbiDecoder().decode(_random_crf("IOB1")(collate(seqs, PAD)))
    assert all(check_scheme([LABELS[t] for t in path], "IOB1") == [] for path in constrained)
    free = ViterbiDecoder().decode(_random_crf(None)(collate(seqs, PAD)))
    assert not all(check_scheme([LABELS[t] for t in path], "IOB1") == [] for path in free)


def test_bind_labels_fills_the_masks_from_the_scheme():
    model = make(scheme="iob2")
    model.bind_labels(LABELS)
    allowed, allowed_start, allowed_end = ops.allowed_transitions(LABELS, "IOB2")
    assert torch.equal(model.crf_layer.allowed, allowed) and torch.equal(model.crf_layer.allowed_start, allowed_start)
    assert torch.equal(model.crf_layer.allowed_end, allowed_end)
    assert not model.crf_layer.allowed[LABELS.index("O"), LABELS.index("I-PER")]
    assert not model.crf_layer.allowed[LABELS.index("B-LOC"), LABELS.index("I-PER")]
    assert not model.crf_layer.allowed_start[LABELS.index("I-LOC")]


def test_without_a_scheme_bind_labels_changes_nothing():
    model = make()
    model.bind_labels(["PER", "LOC", "x", "y", "z"])  # no scheme: any names will do
    assert model.crf_layer.allowed.all()
    LSTMModel(nn.Embedding(VOCAB, DIM), "tag", 3).bind_labels(["a", "b", "c"])  # the base: a no-op


def test_labels_that_do_not_fit_the_scheme_fail_naming_the_label():
    model = make(scheme="IOB2")
    with pytest.raises(OptionError, match=r"scheme='IOB2'.*Label 'PERSON' does not fit the IOB2 scheme"):
        model.bind_labels(["O", "B-PER", "I-PER", "PERSON", "B-LOC"])
    with pytest.raises(UsageError, match="5 outputs but was given 2 label names"):
        model.bind_labels(["O", "B-PER"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scheme": "BILOU"}, "Unknown tag scheme 'BILOU'.*Schemes: IOB2, IOB1, BIOES, BMES, BIO, IOBES"),
        ({"scheme": "IOB2", "crf": False}, "scheme='IOB2' needs crf=true"),
        ({"hidden_size": 0}, "hidden_size >= 1"),
        ({"num_layers": 0}, "num_layers >= 1"),
        ({"dropout": 1.0}, "0 <= dropout < 1"),
        ({"word_dropout": -0.1}, "0 <= word_dropout < 1"),
    ],
)
def test_bad_options_say_what_to_change(options, message):
    with pytest.raises(OptionError, match=message):
        make(**options)


def test_only_the_tag_head():
    with pytest.raises(UsageError, match="Model 'bilstm-crf' has no 'classify' head; it supports: tag"):
        BiLSTMCRF(nn.Embedding(VOCAB, DIM), "classify", 3)


# -- the decoder ------------------------------------------------------------------------


def test_viterbi_decoder_is_the_core_viterbi_cut_to_each_length():
    model = make()
    scores = model(tagged(sequences()))
    paths, _ = ops.viterbi(scores.emissions, scores.mask, scores.transitions, scores.start, scores.end)
    expected = [row[:n] for row, n in zip(paths.tolist(), LENGTHS)]
    assert ViterbiDecoder().decode(scores) == expected
    assert [len(p) for p in expected] == LENGTHS


def test_viterbi_on_emissions_only_says_to_use_argmax():
    scores = make(BiLSTM)(tagged(sequences()))
    with pytest.raises(UsageError, match="viterbi decoder needs a CRF model.*emissions only.*use decoder 'argmax'"):
        ViterbiDecoder().decode(scores)


def test_viterbi_on_sequence_logits_is_argmax():
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]])  # shape: [N, C]
    assert ViterbiDecoder().decode(Scores(logits=logits)) == [1, 0]
    assert ViterbiDecoder().choose(logits).tolist() == [1, 0]


# -- through the real pipeline ----------------------------------------------------------


def write_conll(path: Path, n: int, seed: int) -> Path:
    sentences, tags = ner_sample(n, seed)
    blocks = ["\n".join(f"{w} {t}" for w, t in zip(s, ts)) for s, ts in zip(sentences, tags)]
    path.write_text("-DOCSTART- O\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def crf_config(root: Path, **model) -> dict:
    return {
        "seed": 5,
        "task": {"name": "tag", "field": "ner"},
        "corpus": {"train": str(write_conll(root / "train.txt", 16, 1)), "dev": str(write_conll(root / "dev.txt", 4, 2)),
                   "format": "conll"},
        "tokenizer": {"name": "whitespace"},
        "encoder": {"name": "vocab", "dim": 8},
        "model": {"name": "bilstm-crf", "hidden_size": 8, "scheme": "IOB2", **model},
        "decoder": {"name": "viterbi"},
        "trainer": {"name": "torch", "epochs": 1, "max_steps": 3, "batch_size": 8, "lr": 0.01},
    }


def test_a_trained_pipeline_saves_and_loads_with_its_constraints(tmp_path):
    trained = train(crf_config(tmp_path), tmp_path / "run", device="cpu", progress=False)
    loaded = nlpkit.load(tmp_path / "run", device="cpu")
    labels = trained.labels.items
    assert set(labels) == set(LABELS)
    allowed, allowed_start, allowed_end = ops.allowed_transitions(labels, "IOB2")
    for model in (trained.model, loaded.model):  # bound in training, restored from the weights
        assert torch.equal(model.crf_layer.allowed, allowed) and torch.equal(model.crf_layer.allowed_start, allowed_start)
        assert torch.equal(model.crf_layer.allowed_end, allowed_end)
    assert loaded.decoder.name == "viterbi" and loaded.model.config() == trained.model.config()
    texts = ["Alice met Bob in Paris", "then Grace Hiro went to Oslo Lima", "x"]
    first, second = list(trained.pipe(texts, batch_size=2)), [loaded(t) for t in texts]
    assert [r.tokens.tags for r in first] == [r.tokens.tags for r in second]
    assert all(valid_iob2(list(r.tokens.tags)) for r in first)


def test_labels_that_misfit_the_scheme_stop_training_before_it_starts(tmp_path):
    config = crf_config(tmp_path, scheme="BMES")
    with pytest.raises(OptionError, match=r"Label 'I-(PER|LOC)' does not fit the BMES scheme"):
        train(config, tmp_path / "run", device="cpu", progress=False)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_viterbi_with_a_softmax_tagger_stops_training_before_it_starts(tmp_path):
    config = crf_config(tmp_path)
    config["model"] = {"name": "bilstm", "hidden_size": 8}
    config["trainer"]["log_every"] = 1
    with pytest.raises(UsageError, match="viterbi decoder needs a CRF model"):
        train(config, tmp_path / "run", device="cpu", progress=False)
    log = tmp_path / "run" / "metrics.jsonl"
    assert not log.exists() or log.read_text() == ""  # not one training step was taken


# -- the CoNLL-2003 configs -------------------------------------------------------------


def test_the_conll2003_configs_validate_and_differ_only_in_the_crf(repo_config):
    crf, plain = repo_config("ner-conll2003.toml"), repo_config("conll2003-bilstm.toml")
    assert crf["task"] == {"name": "ner", "scheme": "IOB2", "field": "ner"} and crf["corpus"]["format"] == "conll"
    assert (crf["model"].pop("name"), crf["model"].pop("scheme"), crf["decoder"]) == ("bilstm-crf", "IOB2", {"name": "viterbi"})
    assert (plain["model"].pop("name"), plain["decoder"]) == ("bilstm", {"name": "argmax"})
    assert {**crf, "decoder": None} == {**plain, "decoder": None}


# -- weights saved before the CRF and the encoder were layers of their own ----------------


def _old_names(state: dict) -> dict:
    """The weight names the model had when the LSTM and the CRF were its own attributes."""
    return {key.replace("encoder.rnn.", "lstm.").replace("crf_layer.", ""): value for key, value in state.items()}


def test_weights_under_the_earlier_names_load_and_give_the_same_scores(tmp_path):
    from safetensors.torch import save_file

    from nlpkit.compaction import load_weights

    model = make(scheme="IOB2").eval()
    model.bind_labels(LABELS)
    old = _old_names(model.state_dict())
    assert "lstm.weight_ih_l0" in old and "transitions" in old and "allowed_start" in old
    save_file({k: v.contiguous() for k, v in old.items()}, str(tmp_path / "weights.safetensors"))
    loaded = make(scheme="IOB2").eval()
    load_weights(loaded, tmp_path / "weights.safetensors")  # strict: every tensor found
    batch = tagged(sequences())
    expected, got = model(batch), loaded(batch)
    for name in ("emissions", "transitions", "start", "end"):
        assert torch.equal(getattr(expected, name), getattr(got, name)), name
    assert torch.equal(loaded.crf_layer.allowed, model.crf_layer.allowed) and not loaded.crf_layer.allowed.all()


# -- the model contract, as a third-party model would be tested ----------------------------


class TestBiLSTMCRFContract(ModelContract):
    name = "bilstm-crf"
    options = {"hidden_size": 16, "dropout": 0.1}


class TestBiLSTMContract(ModelContract):
    name = "bilstm"
    options = {"hidden_size": 16, "dropout": 0.1, "word_dropout": 0.05}


class TestViterbiContract(DecoderContract):
    name = "viterbi"
    crf = True
