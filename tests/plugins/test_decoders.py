"""The argmax and gumbel decoders: exact argmax at temperature 0, sampled frequencies
against softmax(logits / T), top-k and top-p supports, seeds, and Decoder.decode."""

from __future__ import annotations

import json

import pytest
import torch

from nlpkit.decoder import Decoder
from nlpkit.errors import OptionError
from nlpkit.registry import registry
from nlpkit.scores import Scores
from nlpkit.testing import DecoderContract
from nlpkit_decoders.decoders import ArgmaxDecoder, GumbelDecoder

DRAWS = 200_000
#: chi-square critical values at p = 0.001, by degrees of freedom.
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46}
LOGITS = torch.tensor([1.5, 0.2, -0.7, 2.1, 0.0])  # shape: [C]


def seeded(seed: int = 0, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def frequencies(decoder: Decoder, logits: torch.Tensor, draws: int = DRAWS, seed: int = 0) -> torch.Tensor:
    """How often each label is drawn from one row of logits, over ``draws`` rows at once."""
    rows = logits.expand(draws, -1)  # shape: [N, C]
    ids = decoder.choose(rows, seeded(seed, str(logits.device)))  # shape: [N]
    return torch.bincount(ids.cpu(), minlength=logits.shape[-1]).double() / draws  # shape: [C]


def assert_matches(freq: torch.Tensor, probs: torch.Tensor, draws: int = DRAWS) -> None:
    """Max abs difference below 0.01, and a chi-square test over the labels that can occur."""
    probs = probs.double()
    assert (freq - probs).abs().max() < 0.01, f"frequencies {freq.tolist()} vs probabilities {probs.tolist()}"
    support = probs > 0
    assert (freq[~support] == 0).all(), "drew a label of probability 0"
    if support.sum() < 2:
        return
    observed, expected = freq[support] * draws, probs[support] * draws
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < CHI2_999[int(support.sum()) - 1], f"chi-square {chi2:.1f}"


def restricted(logits: torch.Tensor, keep: list[int], temperature: float = 1.0) -> torch.Tensor:
    """softmax(logits / T) renormalised over ``keep``."""
    probs = torch.zeros_like(logits, dtype=torch.float64)
    probs[keep] = torch.softmax(logits.double()[keep] / temperature, dim=-1)
    return probs


# -- registration and options -----------------------------------------------------------


def test_registered_with_aliases():
    decoders = registry("decoders")
    assert decoders.get("argmax") is decoders.get("greedy") is ArgmaxDecoder
    assert decoders.get("gumbel") is decoders.get("sample") is GumbelDecoder


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": -0.5}, "temperature >= 0"),
        ({"temperature": float("nan")}, "temperature >= 0"),
        ({"temperature": "hot"}, "temperature >= 0"),
        ({"top_k": 0}, "top_k >= 1"),
        ({"top_k": 2.5}, "top_k >= 1"),
        ({"top_k": True}, "top_k >= 1"),
        ({"top_p": 0.0}, "0 < top_p <= 1"),
        ({"top_p": 1.5}, "0 < top_p <= 1"),
    ],
)
def test_bad_options_are_rejected(options, message):
    with pytest.raises(OptionError, match=message):
        GumbelDecoder(**options)


def test_config_rebuilds_the_decoder():
    decoder = GumbelDecoder(temperature=0.7, top_k=3, top_p=0.9)
    config = json.loads(json.dumps(decoder.config()))
    assert config == {"temperature": 0.7, "top_k": 3, "top_p": 0.9}
    assert GumbelDecoder(**config).config() == config
    assert ArgmaxDecoder().config() == {}


# -- argmax and temperature 0 -----------------------------------------------------------


def test_argmax_picks_the_highest_logit():
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 3.0, 1.0]])  # shape: [2, 3]
    assert ArgmaxDecoder().choose(logits).tolist() == [1, 0]


@pytest.mark.parametrize("options", [{}, {"top_k": 2}, {"top_p": 0.3}])
def test_temperature_zero_is_argmax(options):
    logits = torch.randn(500, 7, generator=seeded(1))  # shape: [N, C]
    logits[0] = 1.0  # a row of ties: both take the first
    got = GumbelDecoder(temperature=0, **options).choose(logits, seeded(2))
    assert torch.equal(got, ArgmaxDecoder().choose(logits))


# -- sampling ---------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sampled_frequencies_follow_softmax_over_temperature(temperature):
    freq = frequencies(GumbelDecoder(temperature=temperature), LOGITS)
    assert_matches(freq, torch.softmax(LOGITS.double() / temperature, dim=-1))


def test_top_k_samples_only_the_k_best():
    freq = frequencies(GumbelDecoder(top_k=2, temperature=1.5), LOGITS)
    assert_matches(freq, restricted(LOGITS, [3, 0], temperature=1.5))
    logits = torch.randn(2000, 9, generator=seeded(3))  # shape: [N, C]; a different support per row
    ids = GumbelDecoder(top_k=3, temperature=5.0).choose(logits, seeded(4))  # shape: [N]
    top = logits.topk(3, dim=-1).indices  # shape: [N, 3]
    assert (top == ids[:, None]).any(dim=-1).all()


def test_top_k_larger_than_the_labels_keeps_them_all():
    freq = frequencies(GumbelDecoder(top_k=50), LOGITS)
    assert_matches(freq, torch.softmax(LOGITS.double(), dim=-1))


# probabilities 0.4, 0.3, 0.15, 0.1, 0.05; at T = 0.5 about 0.561, 0.316, 0.079, 0.035, 0.009
NUCLEUS_LOGITS = torch.tensor([0.4, 0.3, 0.15, 0.1, 0.05]).log()


@pytest.mark.parametrize(
    ("top_p", "temperature", "nucleus"),
    [
        (0.6, 1.0, [0, 1]),  # 0.4 < 0.6 <= 0.7
        (0.8, 1.0, [0, 1, 2]),  # 0.7 < 0.8 <= 0.85
        (0.8, 0.5, [0, 1]),  # the nucleus is taken after the temperature
        (0.05, 1.0, [0]),  # the most likely label is always kept
        (1.0, 1.0, [0, 1, 2, 3, 4]),
    ],
)
def test_top_p_samples_only_the_nucleus(top_p, temperature, nucleus):
    freq = frequencies(GumbelDecoder(top_p=top_p, temperature=temperature), NUCLEUS_LOGITS)
    assert_matches(freq, restricted(NUCLEUS_LOGITS, nucleus, temperature))


def test_top_p_nucleus_per_row():
    logits = torch.randn(300, 8, generator=seeded(5)) * 2  # shape: [N, C]
    repeats = 40
    ids = GumbelDecoder(top_p=0.7).choose(logits.repeat_interleave(repeats, dim=0), seeded(6))  # shape: [N*R]
    for row, drawn in zip(logits, ids.reshape(-1, repeats)):
        assert set(drawn.tolist()) <= _nucleus(row, 0.7)


def _nucleus(row: torch.Tensor, p: float) -> set[int]:
    """The smallest set of most likely labels with probability >= p, by brute force."""
    probs = torch.softmax(row.double(), dim=-1).tolist()
    kept, mass = set(), 0.0
    for i in sorted(range(len(probs)), key=lambda i: -probs[i]):
        kept.add(i)
        mass += probs[i]
        if mass >= p:
            return kept
    return kept


def test_top_k_then_top_p():
    # top-2 of [0.4, 0.3, ...] renormalised is [4/7, 3/7]; top_p 0.5 keeps only the first
    freq = frequencies(GumbelDecoder(top_k=2, top_p=0.5), NUCLEUS_LOGITS, draws=20_000)
    assert freq.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_impossible_labels_are_never_drawn():
    logits = torch.tensor([[0.0, float("-inf"), 0.0, float("-inf")]]).expand(10_000, -1)  # shape: [N, 4]
    ids = GumbelDecoder(temperature=50.0).choose(logits, seeded(7))
    assert set(ids.tolist()) == {0, 2}


def test_half_precision_logits():
    freq = frequencies(GumbelDecoder(), LOGITS.half(), draws=50_000)
    assert (freq - torch.softmax(LOGITS.double(), dim=-1)).abs().max() < 0.02


def test_the_same_seed_draws_the_same_samples():
    decoder = GumbelDecoder(temperature=1.3, top_p=0.95)
    logits = torch.randn(1000, 6, generator=seeded(8))  # shape: [N, C]
    first = decoder.choose(logits, seeded(42))
    assert torch.equal(decoder.choose(logits, seeded(42)), first)
    assert not torch.equal(decoder.choose(logits, seeded(43)), first)
    torch.manual_seed(9)
    assert decoder.choose(logits).shape == (1000,)  # without a generator: torch's global one


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_generator():
    decoder = GumbelDecoder(temperature=0.5, top_k=4)
    logits = LOGITS.cuda()
    freq = frequencies(decoder, logits)
    assert_matches(freq, restricted(LOGITS, [3, 0, 1, 4], temperature=0.5))
    rows = logits.expand(1000, -1)
    assert torch.equal(decoder.choose(rows, seeded(1, "cuda")), decoder.choose(rows, seeded(1, "cuda")))


# -- Decoder.decode ---------------------------------------------------------------------


def _tag_scores() -> Scores:
    emissions = torch.randn(3, 5, 4, generator=seeded(10))  # shape: [B, T, C]
    mask = torch.arange(5)[None, :] < torch.tensor([5, 2, 0])[:, None]  # shape: [B, T]
    return Scores(emissions=emissions, mask=mask)


def test_decode_tag_emissions_keeps_real_tokens_only():
    scores = _tag_scores()
    best = scores.emissions.argmax(dim=-1).tolist()
    assert ArgmaxDecoder().decode(scores) == [best[0], best[1][:2], []]
    sampled = GumbelDecoder(temperature=2.0).decode(scores, seeded(11))
    assert [len(s) for s in sampled] == [5, 2, 0]
    assert all(0 <= i < 4 for seq in sampled for i in seq)
    assert GumbelDecoder(temperature=2.0).decode(scores, seeded(11)) == sampled
    assert GumbelDecoder(temperature=0).decode(scores) == ArgmaxDecoder().decode(scores)


def test_decode_sequence_logits():
    logits = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 1.0]])  # shape: [B, C]
    assert ArgmaxDecoder().decode(Scores(logits=logits)) == [1, 0]
    sampled = GumbelDecoder(top_k=1).decode(Scores(logits=logits), seeded(12))
    assert sampled == [1, 0]


# -- the decoder contract, as a third-party decoder would be tested --------------------------


class TestArgmaxContract(DecoderContract):
    name = "argmax"


class TestGumbelContract(DecoderContract):
    name = "gumbel"
    options = {"temperature": 0.5, "top_k": 3}
