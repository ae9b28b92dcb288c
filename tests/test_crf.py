"""nlpkit.crf: CRF maths against brute-force enumeration, naive loops and pytorch-crf."""

from __future__ import annotations

import itertools

import pytest
import torch

from nlpkit import crf as ops
from nlpkit.errors import UsageError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _crf(seed: int, batch: int, steps: int, k: int, scale: float = 1.0, dtype=torch.float64):
    """Random emissions, tags, a variable-length mask (one row full length) and CRF parameters."""
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(batch, steps, k, generator=g, dtype=dtype) * scale  # shape: [B, T, K]
    tags = torch.randint(k, (batch, steps), generator=g)  # shape: [B, T]
    lengths = torch.randint(1, steps + 1, (batch,), generator=g)  # shape: [B]
    lengths[0] = steps
    params = [torch.randn(*shape, generator=g, dtype=dtype) * scale for shape in ((k, k), (k,), (k,))]
    return emissions, tags, ops.mask_from_lengths(lengths), *params


def _naive_score(emissions, path, transitions, start, end) -> float:
    """Score of one path of one sequence (``emissions``: ``[len(path), K]``), a plain loop."""
    score = float(start[path[0]]) + float(end[path[-1]])
    for t, tag in enumerate(path):
        score += float(emissions[t, tag])
        if t:
            score += float(transitions[path[t - 1], tag])
    return score


def _all_paths(emissions, length, transitions, start, end) -> list[tuple[float, tuple[int, ...]]]:
    """Every path of the first ``length`` steps with its score, best first."""
    k = emissions.shape[-1]
    scored = [(_naive_score(emissions, p, transitions, start, end), p) for p in itertools.product(range(k), repeat=length)]
    return sorted(scored, reverse=True)


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(6))
def test_partition_viterbi_and_path_score_equal_brute_force(seed: int) -> None:
    emissions, tags, mask, transitions, start, end = _crf(seed, batch=3, steps=1 + seed % 4, k=3)
    log_z = ops.crf_log_partition(emissions, mask, transitions, start, end)
    paths, best = ops.viterbi(emissions, mask, transitions, start, end)
    gold = ops.crf_path_score(emissions, tags, mask, transitions, start, end)
    for b, length in enumerate(mask.sum(1).tolist()):
        enumerated = _all_paths(emissions[b], length, transitions, start, end)
        expected_z = torch.logsumexp(torch.tensor([s for s, _ in enumerated], dtype=torch.float64), 0)
        assert log_z[b].item() == pytest.approx(expected_z.item(), abs=1e-9)
        assert best[b].item() == pytest.approx(enumerated[0][0], abs=1e-9)
        assert tuple(paths[b, :length].tolist()) == enumerated[0][1]
        assert paths[b, length:].eq(0).all()
        path = tags[b, :length].tolist()
        assert gold[b].item() == pytest.approx(_naive_score(emissions[b], path, transitions, start, end), abs=1e-9)


@pytest.mark.parametrize(("seed", "steps", "k", "n"), [(0, 4, 3, 5), (1, 3, 3, 1), (2, 2, 2, 6), (3, 3, 2, 8)])
def test_nbest_equals_top_n_of_brute_force(seed: int, steps: int, k: int, n: int) -> None:
    emissions, _, mask, transitions, start, end = _crf(seed, batch=3, steps=steps, k=k)
    paths, scores = ops.viterbi_nbest(emissions, mask, transitions, start, end, n)
    assert paths.shape == (3, n, steps) and scores.shape == (3, n)
    for b, length in enumerate(mask.sum(1).tolist()):
        top = _all_paths(emissions[b], length, transitions, start, end)[:n]
        for rank in range(n):
            if rank < len(top):  # fewer than n paths exist: the rest are -inf and all 0
                assert scores[b, rank].item() == pytest.approx(top[rank][0], abs=1e-9)
                assert tuple(paths[b, rank, :length].tolist()) == top[rank][1]
                assert paths[b, rank, length:].eq(0).all()
            else:
                assert scores[b, rank].item() == float("-inf")
                assert paths[b, rank].eq(0).all()


def test_nbest_first_path_is_viterbi() -> None:
    emissions, _, mask, transitions, start, end = _crf(7, batch=6, steps=9, k=4, dtype=torch.float32)
    paths, scores = ops.viterbi(emissions, mask, transitions, start, end)
    n_paths, n_scores = ops.viterbi_nbest(emissions, mask, transitions, start, end, 4)
    assert torch.equal(n_paths[:, 0], paths)
    torch.testing.assert_close(n_scores[:, 0], scores)
    assert (n_scores[:, :-1] >= n_scores[:, 1:]).all()
    with pytest.raises(UsageError, match="n >= 1"):
        ops.viterbi_nbest(emissions, mask, transitions, start, end, 0)


# --------------------------------------------------------------------------- pytorch-crf


@pytest.mark.parametrize("seed", range(3))
def test_equals_pytorch_crf(seed: int) -> None:
    torchcrf = pytest.importorskip("torchcrf")
    emissions, tags, mask, transitions, start, end = _crf(seed, batch=8, steps=12, k=5)
    crf = torchcrf.CRF(5, batch_first=True).double()
    with torch.no_grad():
        crf.transitions.copy_(transitions)
        crf.start_transitions.copy_(start)
        crf.end_transitions.copy_(end)
    with torch.no_grad():
        for reduction in ("sum", "none"):
            theirs = crf(emissions, tags, mask, reduction=reduction)
            ours = ops.crf_nll(emissions, tags, mask, transitions, start, end, reduction=reduction)
            torch.testing.assert_close(-ours, theirs, atol=1e-5, rtol=0)
        decoded = crf.decode(emissions, mask)
    paths, _ = ops.viterbi(emissions, mask, transitions, start, end)
    assert [row[:n] for row, n in zip(paths.tolist(), mask.sum(1).tolist())] == decoded


# --------------------------------------------------------------------------- reductions and gradients


def test_reductions() -> None:
    emissions, tags, mask, transitions, start, end = _crf(3, batch=4, steps=5, k=3)
    each = ops.crf_nll(emissions, tags, mask, transitions, start, end, reduction="none")
    assert each.shape == (4,) and (each > 0).all()  # a path's probability is below 1
    args = (emissions, tags, mask, transitions, start, end)
    torch.testing.assert_close(ops.crf_nll(*args), each.mean())
    torch.testing.assert_close(ops.crf_nll(*args, reduction="sum"), each.sum())
    torch.testing.assert_close(ops.crf_nll(*args, reduction="token_mean"), each.sum() / mask.sum())
    with pytest.raises(UsageError, match="Unknown reduction 'avg'.*token_mean"):
        ops.crf_nll(*args, reduction="avg")


def test_nll_gradients_are_finite() -> None:
    emissions, tags, mask, transitions, start, end = _crf(4, batch=4, steps=6, k=4, scale=5.0, dtype=torch.float32)
    leaves = [x.requires_grad_() for x in (emissions, transitions, start, end)]
    ops.crf_nll(emissions, tags, mask, transitions, start, end).backward()
    for leaf in leaves:
        assert leaf.grad is not None and torch.isfinite(leaf.grad).all()
    assert emissions.grad[~mask].eq(0).all()  # padding gets no gradient


def test_gradcheck_partition() -> None:
    emissions, _, mask, transitions, start, end = _crf(5, batch=2, steps=3, k=3)
    emissions.requires_grad_()
    transitions.requires_grad_()
    assert torch.autograd.gradcheck(lambda e, tr: ops.crf_log_partition(e, mask, tr, start, end),
                                    (emissions, transitions))


def test_half_precision_is_computed_in_float32() -> None:
    emissions, tags, mask, transitions, start, end = _crf(6, batch=2, steps=60, k=3, dtype=torch.float32)
    emissions = emissions.abs() * 2000  # the sum over 60 steps overflows fp16 (max 65504)
    half = [x.half() for x in (emissions, transitions, start, end)]
    log_z = ops.crf_log_partition(half[0], mask, *half[1:])
    nll = ops.crf_nll(half[0], tags, mask, *half[1:])
    _, best = ops.viterbi(half[0], mask, *half[1:])
    assert log_z.dtype == nll.dtype == best.dtype == torch.float32
    assert torch.isfinite(log_z).all() and torch.isfinite(nll) and torch.isfinite(best).all()
    full = [x.float() for x in half]
    torch.testing.assert_close(log_z, ops.crf_log_partition(full[0], mask, *full[1:]))


def test_autocast_bfloat16_scores_in_float32() -> None:
    emissions, tags, mask, transitions, start, end = _crf(9, batch=3, steps=5, k=4, dtype=torch.float32)
    layer = torch.nn.Linear(4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = layer(emissions)  # shape: [B, T, K], bf16 under autocast
        assert low.dtype == torch.bfloat16
        nll = ops.crf_nll(low, tags, mask, transitions, start, end)
        _, best = ops.viterbi(low, mask, transitions, start, end)
    assert nll.dtype == best.dtype == torch.float32
    expected = ops.crf_nll(low.float(), tags, mask, transitions, start, end)
    torch.testing.assert_close(nll, expected)


@pytest.mark.parametrize("ties", [False, True])
def test_cpu_and_device_viterbi_agree(ties: bool) -> None:
    """The CPU Viterbi (max pass without backpointers, backtrace by rescoring, numpy) and the
    one GPUs run (backpointers, backtrace by gathers) give the same paths and scores, on
    random inputs and on small integer scores full of ties (both take the lowest tag)."""
    for seed in range(20):
        emissions, _, mask, transitions, start, end = _crf(seed, batch=6, steps=1 + seed % 9, k=2 + seed % 5)
        if ties:
            emissions, transitions, start, end = (x.mul(1.5).round() for x in (emissions, transitions, start, end))
        cpu = ops._viterbi_rescoring(emissions, mask, transitions, start, end)
        device = ops._viterbi_backpointers(emissions, mask, transitions, start, end)
        assert cpu[0].tolist() == device[0].tolist()
        torch.testing.assert_close(cpu[1], device[1])
        for b, length in enumerate(mask.sum(1).tolist()):
            path = cpu[0][b, :length].tolist()
            best = _naive_score(emissions[b], path, transitions, start, end)
            assert best == pytest.approx(cpu[1][b].item(), abs=1e-9)
            if emissions.shape[2] ** length <= 1000:  # small enough to enumerate
                assert best == pytest.approx(_all_paths(emissions[b], length, transitions, start, end)[0][0], abs=1e-9)


def test_single_step_and_empty_batch() -> None:
    emissions, _, mask, transitions, start, end = _crf(10, batch=2, steps=1, k=3)
    paths, scores = ops.viterbi(emissions, mask, transitions, start, end)
    torch.testing.assert_close(scores, (emissions[:, 0] + start + end).amax(1))
    assert paths[:, 0].tolist() == (emissions[:, 0] + start + end).argmax(1).tolist()
    n_paths, n_scores = ops.viterbi_nbest(emissions, mask, transitions, start, end, 5)
    assert n_scores[:, 3:].isneginf().all() and n_paths.shape == (2, 5, 1)
    empty = (emissions[:0], mask[:0], transitions, start, end)
    assert ops.crf_log_partition(*empty).shape == (0,)
    assert ops.viterbi(*empty)[0].shape == (0, 1)


# --------------------------------------------------------------------------- masks and shapes


def test_mask_from_lengths() -> None:
    assert ops.mask_from_lengths([2, 0, 3]).tolist() == [[True, True, False], [False, False, False], [True, True, True]]
    assert ops.mask_from_lengths(torch.tensor([1]), max_len=3).tolist() == [[True, False, False]]
    assert ops.mask_from_lengths([]).shape == (0, 0)
    with pytest.raises(UsageError, match="max_len=2 is shorter"):
        ops.mask_from_lengths([3], max_len=2)
    with pytest.raises(UsageError, match=">= 0"):
        ops.mask_from_lengths([2, -1])


def test_bad_masks_are_clear_errors() -> None:
    with pytest.raises(UsageError, match=r"Sequence\(s\) 1 .*length 0"):
        ops.check_mask(torch.tensor([[True, True], [False, False]]))
    with pytest.raises(UsageError, match=r"sequence\(s\) 0 has a True after a False"):
        ops.check_mask(torch.tensor([[True, False, True], [True, True, False]]))
    with pytest.raises(UsageError, match="torch.bool"):
        ops.check_mask(torch.ones(2, 3, dtype=torch.long))
    with pytest.raises(UsageError, match="no time steps"):
        ops.check_mask(torch.ones(2, 0, dtype=torch.bool))
    ops.check_mask(torch.tensor([[True, True], [True, False]]))
    emissions, tags, _, transitions, start, end = _crf(0, batch=2, steps=3, k=3)
    with pytest.raises(UsageError, match="True after a False"):
        ops.crf_nll(emissions, tags, torch.tensor([[True, False, True]] * 2), transitions, start, end)


def test_shape_mismatches_are_clear_errors() -> None:
    emissions, tags, mask, transitions, start, end = _crf(0, batch=2, steps=3, k=3)
    with pytest.raises(UsageError, match=r"mask shape \[2, 2\] does not match emissions shape \[2, 3, 3\]"):
        ops.crf_log_partition(emissions, mask[:, :2], transitions, start, end)
    with pytest.raises(UsageError, match=r"tags shape \[1, 3\]"):
        ops.crf_path_score(emissions, tags[:1], mask, transitions, start, end)
    with pytest.raises(UsageError, match=r"transitions must be \[tags, tags\] = \[3, 3\]"):
        ops.viterbi(emissions, mask, transitions[:2], start, end)
    with pytest.raises(UsageError, match=r"end transitions must be \[tags\] = \[3\]"):
        ops.viterbi(emissions, mask, transitions, start, end[:2])
    with pytest.raises(UsageError, match=r"emissions must be \[batch, time, tags\]"):
        ops.viterbi(emissions[0], mask, transitions, start, end)


def test_padding_invariance() -> None:
    emissions, tags, mask, transitions, start, end = _crf(8, batch=4, steps=7, k=4)
    mask[1] = torch.arange(7) < 3  # a short row among longer ones
    emissions[1, 3:] = 1e3  # whatever lies under the padding must not matter
    tags[1, 3:] = -100
    alone = (emissions[1:2, :3], tags[1:2, :3], mask[1:2, :3])
    params = (transitions, start, end)
    nll = ops.crf_nll(emissions, tags, mask, *params, reduction="none")
    assert nll[1].item() == pytest.approx(ops.crf_nll(*alone, *params, reduction="sum").item(), abs=1e-9)
    paths, scores = ops.viterbi(emissions, mask, *params)
    single, single_score = ops.viterbi(alone[0], alone[2], *params)
    assert paths[1].tolist() == single[0].tolist() + [0] * 4
    assert scores[1].item() == pytest.approx(single_score.item(), abs=1e-9)
    n_paths, n_scores = ops.viterbi_nbest(emissions, mask, *params, 3)
    single_n, single_n_scores = ops.viterbi_nbest(alone[0], alone[2], *params, 3)
    assert torch.equal(n_paths[1, :, :3], single_n[0]) and n_paths[1, :, 3:].eq(0).all()
    torch.testing.assert_close(n_scores[1], single_n_scores[0])


# --------------------------------------------------------------------------- constraints

LABEL_SETS = {
    "BIO": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "IOB2": ["B", "I", "O"],
    "IOB1": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "BIOES": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-ORG", "I-ORG", "E-ORG", "S-ORG"],
    "BMES": ["B", "M", "E", "S"],
}
TYPED_BMES = ["O", "B-PER", "M-PER", "E-PER", "S-PER", "B-ORG", "M-ORG", "E-ORG", "S-ORG"]


def _valid(sequence: list[str], scheme: str) -> bool:
    """An independent check: does ``sequence`` obey ``scheme``?"""
    split = [(label, "") if label == "O" else (label.partition("-")[0], label.partition("-")[2]) for label in sequence]
    if scheme in ("BIO", "IOB2"):
        prev = ("O", "")
        for prefix, kind in split:
            if prefix == "I" and (prev[0] not in "BI" or prev[1] != kind):
                return False
            prev = (prefix, kind)
        return True
    if scheme == "IOB1":
        return _valid_iob1(split)
    inside = "M" if scheme == "BMES" else "I"
    open_kind = None  # the type of the unit begun and not yet ended
    for prefix, kind in split:
        if open_kind is None and prefix in (inside, "E"):
            return False
        if open_kind is not None and (prefix not in (inside, "E") or kind != open_kind):
            return False
        open_kind = kind if prefix in ("B", inside) else None
    return open_kind is None


def _valid_iob1(split: list[tuple[str, str]]) -> bool:
    """IOB1: ``B-X`` only right after ``B-X`` or ``I-X`` (it splits two adjacent entities
    of type X); ``I`` and ``O`` may come anywhere, an ``I-X`` after ``O`` or another type
    beginning an entity."""
    prev = ("O", "")
    for prefix, kind in split:
        if prefix == "B" and (prev[0] not in "BI" or prev[1] != kind):
            return False
        prev = (prefix, kind)
    return True


@pytest.mark.parametrize(("scheme", "labels"), [*LABEL_SETS.items(), ("BMES", TYPED_BMES)])
def test_constrained_viterbi_only_emits_valid_sequences(scheme: str, labels: list[str]) -> None:
    allowed = ops.allowed_transitions(labels, scheme)
    k = len(labels)
    for seed in range(8):
        emissions, _, mask, transitions, start, end = _crf(seed, batch=16, steps=8, k=k, scale=5.0, dtype=torch.float32)
        constrained = ops.apply_constraints(transitions, start, end, *allowed)
        paths, _ = ops.viterbi(emissions, mask, *constrained)
        n_paths, n_scores = ops.viterbi_nbest(emissions, mask, *constrained, 3)
        for b, length in enumerate(mask.sum(1).tolist()):
            assert _valid([labels[i] for i in paths[b, :length].tolist()], scheme)
            for path, score in zip(n_paths[b], n_scores[b].tolist()):
                # short sequences may have fewer than 3 valid paths: the rest pay the penalty
                sequence = [labels[i] for i in path[:length].tolist()]
                assert _valid(sequence, scheme) == (score > ops.FORBIDDEN / 2), (scheme, sequence, score)
        assert torch.isfinite(ops.crf_nll(emissions, torch.zeros_like(mask, dtype=torch.long), mask, *constrained))


def test_allowed_transitions_by_hand() -> None:
    allowed, first, last = ops.allowed_transitions(["O", "B-X", "I-X", "I-Y"], "bio")
    assert allowed.tolist() == [[True, True, False, False], [True, True, True, False],
                                [True, True, True, False], [True, True, False, True]]
    assert first.tolist() == [True, True, False, False] and last.all()
    allowed, first, last = ops.allowed_transitions(["B", "M", "E", "S"], "BMES")
    assert allowed.tolist() == [[False, True, True, False], [False, True, True, False],
                                [True, False, False, True], [True, False, False, True]]
    assert first.tolist() == [True, False, False, True] and last.tolist() == [False, False, True, True]


def test_allowed_transitions_iob1_by_hand() -> None:
    labels = ["O", "B-X", "I-X", "B-Y", "I-Y"]
    allowed, first, last = ops.allowed_transitions(labels, "iob1")
    #                 to: O     B-X    I-X   B-Y    I-Y
    assert allowed.tolist() == [[True, False, True, False, True],   # from O
                                [True, True, True, False, True],    # from B-X
                                [True, True, True, False, True],    # from I-X
                                [True, False, True, True, True],    # from B-Y
                                [True, False, True, True, True]]    # from I-Y
    assert first.tolist() == [True, False, True, False, True] and last.all()
    allowed, first, _ = ops.allowed_transitions(["B", "I", "O"], "IOB1")  # untyped: one empty type
    assert allowed.tolist() == [[True, True, True], [True, True, True], [False, True, True]]
    assert first.tolist() == [False, True, True]


def test_constrained_iob1_sequences_are_valid_and_read_as_seqeval_reads_them() -> None:
    seqeval = pytest.importorskip("seqeval.metrics.sequence_labeling")
    from seqeval.scheme import IOB1, Entities

    from nlpkit.spans import Span, check_scheme, tags_to_spans

    labels = LABEL_SETS["IOB1"]
    constraints = ops.allowed_transitions(labels, "IOB1")
    for seed in range(8):
        emissions, _, mask, transitions, start, end = _crf(seed, batch=16, steps=10, k=len(labels), scale=5.0,
                                                           dtype=torch.float32)
        paths, _ = ops.viterbi(emissions, mask, *ops.apply_constraints(transitions, start, end, *constraints))
        for b, length in enumerate(mask.sum(1).tolist()):
            tags = [labels[i] for i in paths[b, :length].tolist()]
            assert check_scheme(tags, "IOB1") == [], tags
            ours = tags_to_spans(tags, "IOB1")
            assert ours == [Span(label, s, e + 1) for label, s, e in seqeval.get_entities(tags)], tags
            strict = Entities([tags], IOB1).entities[0]  # seqeval's strict IOB1 mode
            assert ours == [Span(e.tag, e.start, e.end) for e in strict], tags


def test_constraint_errors() -> None:
    with pytest.raises(UsageError, match="Unknown tag scheme 'BILOU'"):
        ops.allowed_transitions(["O"], "BILOU")
    with pytest.raises(UsageError, match="Label 'E-PER' does not fit the IOB2 scheme"):
        ops.allowed_transitions(["O", "B-PER", "E-PER"], "BIO")
    with pytest.raises(UsageError, match="Label 'PER' does not fit the BMES scheme"):
        ops.allowed_transitions(["B", "PER"], "BMES")
    transitions, start, end = torch.zeros(3, 3), torch.zeros(3), torch.zeros(3)
    with pytest.raises(UsageError, match="do not match transitions"):
        ops.apply_constraints(transitions, start, end, *ops.allowed_transitions(["B", "I"], "BIO"))


# --------------------------------------------------------------------------- the CRF layer


def test_the_layer_equals_pytorch_crf_and_its_own_maths() -> None:
    """``CRF`` is pytorch-crf's layer: the same NLL and paths from the same parameters."""
    torchcrf = pytest.importorskip("torchcrf")
    emissions, tags, mask, transitions, start, end = _crf(5, batch=6, steps=9, k=4)
    ours, theirs = ops.CRF(4).double(), torchcrf.CRF(4, batch_first=True).double()
    with torch.no_grad():
        for a, b, value in ((ours.transitions, theirs.transitions, transitions),
                            (ours.start, theirs.start_transitions, start), (ours.end, theirs.end_transitions, end)):
            a.copy_(value)
            b.copy_(value)
        torch.testing.assert_close(-ours.nll(emissions, tags, mask, reduction="sum"),
                                   theirs(emissions, tags, mask, reduction="sum"), atol=1e-6, rtol=0)
        torch.testing.assert_close(ours(emissions, tags, mask), ours.nll(emissions, tags, mask))
        paths, best = ours.decode(emissions, mask)
        top, top_scores = ours.nbest(emissions, mask, 3)
    assert [row[:n] for row, n in zip(paths.tolist(), mask.sum(1).tolist())] == theirs.decode(emissions, mask)
    assert torch.equal(top[:, 0], paths) and torch.allclose(top_scores[:, 0], best)


def test_a_layer_with_a_scheme_decodes_only_valid_paths_and_saves_its_masks() -> None:
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    torch.manual_seed(0)
    emissions, mask = torch.randn(16, 7, 5) * 10, ops.mask_from_lengths([7, 5, 3, 1] * 4)
    layer = ops.CRF(5, scheme="bio")
    assert layer.scheme == "IOB2"
    layer.bind_labels(labels)
    paths, _ = layer.decode(emissions, mask)
    for row, n in zip(paths.tolist(), mask.sum(1).tolist()):
        for prev, tag in zip(["O", *[labels[t] for t in row[:n]]], [labels[t] for t in row[:n]]):
            assert not tag.startswith("I-") or prev[2:] == tag[2:], row[:n]
    again = ops.CRF(5, scheme="IOB2")
    again.load_state_dict(layer.state_dict())
    assert torch.equal(again.decode(emissions, mask)[0], paths)
    with pytest.raises(UsageError, match="5 tags but was given 2 label names"):
        layer.bind_labels(["O", "B-PER"])
    with pytest.raises(UsageError, match="num_tags >= 1"):
        ops.CRF(0)


def test_any_model_can_compose_the_layer_and_learn() -> None:
    """A third-party tagger, an embedding plus ``CRF``, learns tags that alternate from the
    first (0 1 0 1 ...) over words that say nothing of them: only the transitions and the
    start scores can, which a per-token softmax lacks."""
    torch.manual_seed(0)
    words = torch.randint(0, 2, (64, 10))  # shape: [B, T]
    tags = (torch.arange(10) % 2).expand(64, 10)  # shape: [B, T]
    mask = ops.mask_from_lengths(torch.randint(1, 11, (64,)), 10)

    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emit, self.crf = torch.nn.Embedding(2, 2), ops.CRF(2)

    model = Tagger()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    first = None
    for _ in range(150):
        optimizer.zero_grad()
        loss = model.crf(model.emit(words), tags, mask)
        first = loss.item() if first is None else first
        loss.backward()
        optimizer.step()
    paths, _ = model.crf.decode(model.emit(words), mask)
    assert loss.item() < first / 4
    assert bool((paths == tags)[mask].all())
