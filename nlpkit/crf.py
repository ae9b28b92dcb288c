"""The linear-chain CRF, in one home: the :class:`CRF` layer any model composes, and the
maths under it (masks, log-partition, path score, NLL, Viterbi best and n-best,
tagging-scheme constraints) as pure functions a decoder or a benchmark can call alone.

All functions are pure and batch-first, with right-padded ``torch.bool`` masks:

- ``emissions``: ``[B, T, K]`` float, the score of tag ``k`` at step ``t``;
- ``tags``: ``[B, T]`` long (anything under a False mask is ignored, ``-100`` too);
- ``mask``: ``[B, T]`` bool, True on real tokens, a prefix of each row, never empty;
- ``transitions``: ``[K, K]``, the score of going from tag ``i`` (row) to tag ``j``;
- ``start`` / ``end``: ``[K]``, the score of a sequence starting / ending with a tag.

Half-precision inputs (fp16 / bf16, e.g. under ``torch.autocast``) are computed in
float32, so long sequences cannot overflow; float64 stays float64. Loops run over time
only, vectorised over the batch and the tags, with no per-sequence Python loop; on a GPU
the Viterbi backtrace runs on the device with no host sync inside the loops.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .errors import UsageError
from .schemes import normalize_scheme

#: The score :func:`apply_constraints` gives forbidden moves: low enough that no valid
#: path loses to an invalid one at usual score scales, finite so that the log-partition
#: and its gradient never see ``-inf - -inf`` (NaN), even for gold paths that break a rule.
FORBIDDEN = -1e4

REDUCTIONS = ("mean", "sum", "none", "token_mean")

# --------------------------------------------------------------------------- validation


def check_mask(mask: torch.Tensor) -> None:
    """Raise :class:`~nlpkit.errors.UsageError` unless ``mask`` is a ``[B, T]`` bool prefix
    mask (no True after a False in a row) in which every sequence has at least one token."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.dim() != 2:
        got = f"{mask.dtype} tensor of shape {list(mask.shape)}" if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise UsageError(f"The mask must be a [batch, time] torch.bool tensor (True on real tokens); got a {got}. "
                         "Build one with nlpkit.crf.mask_from_lengths(lengths) or with `mask.bool()`.")
    if mask.shape[1] == 0:
        raise UsageError(f"The mask has no time steps (shape {list(mask.shape)}): a CRF needs sequences of "
                         "at least one token. Drop empty sequences before batching.")
    gaps = mask[:, 1:] & ~mask[:, :-1]  # shape: [B, T-1]
    empty, holes = torch.stack([~mask[:, 0], gaps.any(dim=1)]).cpu().unbind(0)  # shape: [B] each
    if empty.any():
        rows = empty.nonzero().flatten().tolist()
        raise UsageError(f"Sequence(s) {_rows(rows)} of the batch have length 0 (mask[:, 0] is False): a CRF "
                         "needs at least one token per sequence. Drop empty sequences before batching.")
    if holes.any():
        rows = holes.nonzero().flatten().tolist()
        raise UsageError(f"The mask of sequence(s) {_rows(rows)} has a True after a False: masks must be "
                         "right-padded prefixes (True on the real tokens, then False on padding). "
                         "Build them with nlpkit.crf.mask_from_lengths(lengths).")


def _rows(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:10])) + (f" (and {len(rows) - 10} more)" if len(rows) > 10 else "")


def _check(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
           end: torch.Tensor, tags: torch.Tensor | None = None) -> None:
    """Shapes of all CRF inputs, then the mask's content."""
    if emissions.dim() != 3:
        raise UsageError(f"emissions must be [batch, time, tags]; got shape {list(emissions.shape)}.")
    batch, steps, k = emissions.shape
    if mask.shape != (batch, steps):
        raise UsageError(f"mask shape {list(mask.shape)} does not match emissions shape {list(emissions.shape)}: "
                         f"it must be [batch, time] = {[batch, steps]}.")
    if tags is not None and tags.shape != (batch, steps):
        raise UsageError(f"tags shape {list(tags.shape)} does not match emissions shape {list(emissions.shape)}: "
                         f"it must be [batch, time] = {[batch, steps]}.")
    if transitions.shape != (k, k):
        raise UsageError(f"transitions must be [tags, tags] = {[k, k]} for {k} tags (the last dimension of "
                         f"emissions); got shape {list(transitions.shape)}.")
    for name, vector in (("start", start), ("end", end)):
        if vector.shape != (k,):
            raise UsageError(f"{name} transitions must be [tags] = {[k]}; got shape {list(vector.shape)}.")
    check_mask(mask)


def _float(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """The tensors in their common float type, at least float32 (fp16 and bf16 overflow)."""
    dtype = tensors[0].dtype
    for tensor in tensors[1:]:
        dtype = torch.promote_types(dtype, tensor.dtype)
    if dtype != torch.float64:
        dtype = torch.float32
    return [tensor.to(dtype) for tensor in tensors]


def mask_from_lengths(lengths: torch.Tensor | Sequence[int], max_len: int | None = None) -> torch.Tensor:
    """The ``[B, max_len]`` bool mask that is True on the first ``lengths[b]`` steps of row ``b``
    (``max_len`` defaults to the longest length), on the device of ``lengths``."""
    lengths = torch.as_tensor(lengths, dtype=torch.long)  # shape: [B]
    if lengths.dim() != 1:
        raise UsageError(f"lengths must be a 1-D sequence of sequence lengths; got shape {list(lengths.shape)}.")
    longest = int(lengths.max()) if lengths.numel() else 0
    if lengths.numel() and int(lengths.min()) < 0:
        raise UsageError(f"lengths must be >= 0; got {lengths.tolist()[:10]}.")
    if max_len is None:
        max_len = longest
    elif max_len < longest:
        raise UsageError(f"max_len={max_len} is shorter than the longest sequence ({longest}); "
                         "raise max_len or leave it out.")
    steps = torch.arange(max_len, device=lengths.device)  # shape: [T]
    return steps.unsqueeze(0) < lengths.unsqueeze(1)  # shape: [B, T]


# --------------------------------------------------------------------------- training


def crf_log_partition(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
                      start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """``log Z`` of each sequence, the log-sum-exp of the scores of all its tag paths: ``[B]``.

    The forward algorithm in log space; padding steps keep the previous ``alpha``.
    """
    _check(emissions, mask, transitions, start, end)
    return _log_partition(mask, *_float(emissions, transitions, start, end))


def _log_partition(mask: torch.Tensor, emissions: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
                   end: torch.Tensor) -> torch.Tensor:
    # Tags-first layout: logsumexp then reduces the outermost dimension of a contiguous
    # [K, K, B] tensor, which CPU kernels vectorise (about 2x faster than [B, K, K] over dim 1).
    steps = emissions.permute(1, 2, 0).contiguous().unbind(0)  # shape: T x [K, B]
    keep = mask.t().unsqueeze(1).unbind(0)  # shape: T x [1, B]
    moves = transitions.unsqueeze(2)  # shape: [K, K, 1], from i to j
    alpha = start.unsqueeze(1) + steps[0]  # shape: [K, B]
    for t in range(1, len(steps)):
        nxt = torch.logsumexp(alpha.unsqueeze(1) + moves, dim=0) + steps[t]  # shape: [K, B]
        alpha = torch.where(keep[t], nxt, alpha)  # shape: [K, B]
    return torch.logsumexp(alpha + end.unsqueeze(1), dim=0)  # shape: [B]


def crf_path_score(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
                   start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    """The score of the given tag path of each sequence: ``[B]`` (vectorised, no loop over time)."""
    _check(emissions, mask, transitions, start, end, tags)
    return _path_score(tags, mask, *_float(emissions, transitions, start, end))


def _path_score(tags: torch.Tensor, mask: torch.Tensor, emissions: torch.Tensor, transitions: torch.Tensor,
                start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
    tags = tags.long().masked_fill(~mask, 0)  # shape: [B, T]
    emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # shape: [B, T]
    moved = transitions[tags[:, :-1], tags[:, 1:]]  # shape: [B, T-1]
    last = tags.gather(1, mask.sum(dim=1, keepdim=True) - 1).squeeze(1)  # shape: [B]
    score = start[tags[:, 0]] + end[last]  # shape: [B]
    score = score + emitted.masked_fill(~mask, 0).sum(dim=1)  # shape: [B]
    return score + moved.masked_fill(~mask[:, 1:], 0).sum(dim=1)  # shape: [B]


def crf_nll(emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
            start: torch.Tensor, end: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood ``log Z - score(tags)`` of the gold paths.

    ``reduction``: ``"mean"`` over the batch, ``"sum"``, ``"none"`` (``[B]``), or
    ``"token_mean"`` (the sum divided by the number of real tokens).
    """
    if reduction not in REDUCTIONS:
        raise UsageError(f"Unknown reduction {reduction!r} for crf_nll; use one of {', '.join(REDUCTIONS)}.")
    _check(emissions, mask, transitions, start, end, tags)
    scores = _float(emissions, transitions, start, end)
    nll = _log_partition(mask, *scores) - _path_score(tags, mask, *scores)  # shape: [B]
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    if reduction == "mean":
        return nll.mean()
    return nll.sum() / mask.sum()


# --------------------------------------------------------------------------- decoding


def viterbi(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
            end: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The best tag path of each sequence and its score: ``([B, T] long, [B] float)``.

    Paths are 0 beyond each sequence's length; ``paths.tolist()`` gives plain lists.
    On CPU the max pass keeps only each step's best scores and the backtrace recomputes
    the best predecessor of each chosen tag (:func:`_viterbi_rescoring`); elsewhere it
    keeps backpointers and backtraces on the device (:func:`_viterbi_backpointers`).
    Both give the same paths: ties go to the lowest tag.
    """
    _check(emissions, mask, transitions, start, end)
    emissions, transitions, start, end = _float(emissions, transitions, start, end)
    if emissions.device.type == "cpu":
        return _viterbi_rescoring(emissions, mask, transitions, start, end)
    return _viterbi_backpointers(emissions, mask, transitions, start, end)


def _viterbi_rescoring(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
                       start: torch.Tensor, end: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Viterbi for CPU tensors. Why: on CPU, torch's max-with-indices over a small middle
    dimension costs several times a plain ``amax`` over the outer one, and it was most of
    the decode time. So the max pass lays each step out as ``[K from, K to, B]`` and keeps
    only the maxima, in numpy (a tenth of torch's per-call overhead on these small arrays:
    the pass is one call a step); the backtrace then rescores the ``K`` edges into each
    sequence's chosen tag, step by step, in numpy too.
    It rescores with the same float operations as the max pass, so it finds the same
    maximum. Before and after: docs/benchmarks.md section 7."""
    k = emissions.shape[2]
    steps = emissions.detach().permute(1, 2, 0).contiguous().numpy()  # shape: [T, K, B]
    moves = transitions.detach().numpy()[:, :, None]  # shape: [K, K, 1]
    alphas = np.empty_like(steps)  # shape: [T, K, B]
    alphas[0] = start.detach().numpy()[:, None] + steps[0]
    for t in range(1, len(steps)):
        np.add((alphas[t - 1][:, None, :] + moves).max(axis=0), steps[t], out=alphas[t])  # shape: [K, B]
    alphas = torch.from_numpy(alphas)  # shape: [T, K, B]
    last_step = (mask.sum(dim=1) - 1).view(1, 1, -1).expand(1, k, -1)  # shape: [1, K, B]
    final = alphas.gather(0, last_step).squeeze(0) + end.detach().unsqueeze(1)  # shape: [K, B]
    last = final.argmax(dim=0)  # shape: [B]
    best = final.gather(0, last.unsqueeze(0)).squeeze(0)  # shape: [B]
    return _rescoring_backtrace(alphas, mask, transitions.detach(), last), best


def _rescoring_backtrace(alphas: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
                         last: torch.Tensor) -> torch.Tensor:
    """``[B, T]`` tags back from ``last`` (each sequence's tag at its last step): the tag at
    step t-1 is the best predecessor of the tag at t, ``argmax_i alpha[t-1, i] + trans[i, tag]``
    (the first best: the lowest tag); padding steps pass the tag through unchanged."""
    scores = alphas.transpose(1, 2).contiguous().numpy()  # shape: [T, B, K]
    into = transitions.t().contiguous().numpy()  # shape: [K to, K from]
    real = mask.t().numpy()  # shape: [T, B]
    out = np.empty(real.shape, np.int64)  # shape: [T, B]
    state = out[-1] = last.numpy()
    for t in range(len(out) - 1, 0, -1):
        state = out[t - 1] = np.where(real[t], (scores[t - 1] + into[state]).argmax(1), state)
    return torch.from_numpy(np.ascontiguousarray(out.T)).masked_fill_(~mask, 0)  # shape: [B, T]


def _viterbi_backpointers(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor,
                          start: torch.Tensor, end: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Viterbi for GPU tensors: the max pass keeps every step's scores and backpointers
    (``[T, B, K]``); each sequence's final scores are read at its last real step, and the
    backtrace runs on the device for the whole batch at once, one gather per step."""
    steps = emissions.unbind(1)  # shape: T x [B, K]
    moves = transitions.unsqueeze(0)  # shape: [1, K, K]
    scores, history = [start + steps[0]], []  # shape: T x [B, K], T-1 x [B, K]
    for t in range(1, len(steps)):
        best, came = (scores[-1].unsqueeze(2) + moves).max(dim=1)  # shape: [B, K], [B, K]
        scores.append(best + steps[t])
        history.append(came)
    final = _at_last_step(scores, mask) + end  # shape: [B, K]
    last = final.argmax(dim=1)  # shape: [B]
    best_score = final.gather(1, last.unsqueeze(1)).squeeze(1)  # shape: [B]
    backpointers = _backpointers(history, mask, transitions.shape[0])  # shape: [T, B, K]
    paths = _backtrace(backpointers, last.unsqueeze(1), mask, 1)  # shape: [B, 1, T]
    return paths.squeeze(1), best_score


def _at_last_step(scores: list[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
    """Each sequence's scores at its last real step (the scores past it saw padding)."""
    stacked = torch.stack(scores, dim=1)  # shape: [B, T, W]
    last = (mask.sum(dim=1) - 1).view(-1, 1, 1).expand(-1, 1, stacked.shape[2])  # shape: [B, 1, W]
    return stacked.gather(1, last).squeeze(1)  # shape: [B, W]


def _backpointers(history: list[torch.Tensor], mask: torch.Tensor, width: int) -> torch.Tensor:
    """Stack the per-step backpointers (``[B, W]`` each) into ``[T, B, W]``, with the identity
    at step 0 and on padding, so that a backtrace passes through padding unchanged."""
    identity = torch.arange(width, device=mask.device).expand(mask.shape[0], width)  # shape: [B, W]
    stacked = torch.stack([identity, *history])  # shape: [T, B, W]
    return torch.where(mask.t().unsqueeze(2), stacked, identity)  # shape: [T, B, W]


def _backtrace(backpointers: torch.Tensor, last: torch.Tensor, mask: torch.Tensor, n: int) -> torch.Tensor:
    """Follow ``backpointers`` (``[T, B, K * n]``, flat ``tag * n + rank`` of the previous
    step) back from ``last`` (``[B, n]`` flat states at each sequence's end): ``[B, n, T]`` tags.

    Vectorised over the batch and the ``n`` paths, one gather per step on the device.
    Padding steps hold the identity, so each sequence starts from ``last`` at its own
    last step; the padding is set to tag 0 at the end.
    """
    steps = backpointers.unbind(0)  # shape: T x [B, K * n]
    states = [last]  # shape: T x [B, n], last step first
    for t in range(len(steps) - 1, 0, -1):
        states.append(steps[t].gather(1, states[-1]))  # shape: [B, n]
    flat = torch.stack(states[::-1], dim=2)  # shape: [B, n, T]
    tags = flat if n == 1 else flat // n  # shape: [B, n, T]
    return tags.masked_fill(~mask.unsqueeze(1), 0)  # shape: [B, n, T]


def viterbi_nbest(emissions: torch.Tensor, mask: torch.Tensor, transitions: torch.Tensor, start: torch.Tensor,
                  end: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``n`` best distinct tag paths of each sequence, best first: ``([B, n, T], [B, n])``.

    k-best Viterbi keeping the ``n`` best partial paths per tag (state ``tag * n + rank``).
    Where a sequence has fewer than ``n`` paths, the missing ones score ``-inf`` and are
    all 0. Ties go either way.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"viterbi_nbest needs n >= 1 (a whole number of paths); got {n!r}.")
    _check(emissions, mask, transitions, start, end)
    emissions, transitions, start, end = _float(emissions, transitions, start, end)
    steps = emissions.unbind(1)  # shape: T x [B, K]
    batch, k = steps[0].shape
    moves = transitions.repeat_interleave(n, dim=0).unsqueeze(0)  # shape: [1, K * n, K]
    first = steps[0].new_full((batch, k, n), float("-inf"))  # shape: [B, K, n]
    first[:, :, 0] = start + steps[0]
    scores, history = [first.flatten(1)], []  # shape: T x [B, K * n], T-1 x [B, K * n]
    for t in range(1, len(steps)):
        best, came = (scores[-1].unsqueeze(2) + moves).topk(n, dim=1)  # shape: [B, n, K], [B, n, K]
        scores.append((best + steps[t].unsqueeze(1)).transpose(1, 2).flatten(1))  # shape: [B, K * n]
        history.append(came.transpose(1, 2).flatten(1))  # shape: [B, K * n]
    final = _at_last_step(scores, mask) + end.repeat_interleave(n)  # shape: [B, K * n]
    best_scores, last = final.topk(n, dim=1)  # shape: [B, n], [B, n]
    backpointers = _backpointers(history, mask, k * n)  # shape: [T, B, K * n]
    paths = _backtrace(backpointers, last, mask, n)  # shape: [B, n, T]
    return paths.masked_fill(best_scores.isneginf().unsqueeze(2), 0), best_scores


# --------------------------------------------------------------------------- constraints

# Each scheme's prefixes, written with the BIOES roles: B begins, I continues, E ends,
# S is a single-token unit, O is outside. BMES says M for "continues". In IOB1, I also
# begins a unit (after O or another type) and B only splits two units of one type.
_ROLES = {"IOB2": {"B": "B", "I": "I", "O": "O"},
          "IOB1": {"B": "B", "I": "I", "O": "O"},
          "BIOES": {"B": "B", "I": "I", "E": "E", "S": "S", "O": "O"},
          "BMES": {"B": "B", "M": "I", "E": "E", "S": "S", "O": "O"}}


def allowed_transitions(labels: Sequence[str], scheme: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Which moves a tagging scheme allows, as ``(allowed [K, K], allowed_start [K],
    allowed_end [K])`` bool tensors (``allowed[i, j]``: tag ``j`` may follow tag ``i``).

    Schemes: ``BIO`` (= ``IOB2``), ``IOB1`` (CoNLL-2003's original: ``I-X`` begins an
    entity, ``B-X`` only follows ``B-X`` or ``I-X``), ``BIOES`` (= ``IOBES``) and ``BMES``
    (word segmentation with ``B M E S``, or typed as ``B-PER M-PER E-PER S-PER O``). Labels
    are ``O`` or ``PREFIX-TYPE``; an untyped ``B`` / ``I`` / ... is a unit of the empty type.
    """
    key = normalize_scheme(scheme)
    parsed = [_parse(label, key) for label in labels]
    allowed = torch.tensor([[_follows(a, b, key) for b in parsed] for a in parsed], dtype=torch.bool)  # shape: [K, K]
    allowed = allowed.reshape(len(parsed), len(parsed))  # shape: [K, K]
    allowed_start = torch.tensor([_may_start(role, key) for role, _ in parsed], dtype=torch.bool)  # shape: [K]
    allowed_end = torch.tensor([_may_end(role, key) for role, _ in parsed], dtype=torch.bool)  # shape: [K]
    return allowed, allowed_start, allowed_end


def _may_start(role: str, scheme: str) -> bool:
    """May a sentence begin with a tag of this role? (In IOB1 ``B`` never does.)"""
    return role in "IO" if scheme == "IOB1" else role in "BSO"


def _may_end(role: str, scheme: str) -> bool:
    """May a sentence end with a tag of this role? (Only BIOES and BMES close units.)"""
    return scheme in ("IOB2", "IOB1") or role in "ESO"


def _parse(label: str, scheme: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``: the label's BIOES role and its type."""
    prefix, _, kind = label.partition("-")
    role = _ROLES[scheme].get(prefix)
    if role is None or (role == "O" and label != "O"):
        prefixes = ", ".join(p for p in _ROLES[scheme] if p != "O")
        raise UsageError(f"Label {label!r} does not fit the {scheme} scheme: labels must be 'O' or "
                         f"'<prefix>-<type>' (or a bare prefix) with prefix one of {prefixes}. "
                         "Check the scheme option against the corpus's labels.")
    return role, kind


def _follows(prev: tuple[str, str], nxt: tuple[str, str], scheme: str) -> bool:
    """May tag ``nxt`` follow tag ``prev``? (Roles as in BIOES.)"""
    inside = nxt[0] in "IE"  # continues or ends the unit opened before
    if scheme == "IOB1":  # B only splits two adjacent units of one type; I and O go anywhere
        return nxt[0] != "B" or (prev[0] in "BI" and prev[1] == nxt[1])
    if scheme == "IOB2":
        return not inside or (prev[0] in "BI" and prev[1] == nxt[1])
    if prev[0] in "BI":  # an open unit must go on with the same type
        return inside and prev[1] == nxt[1]
    return not inside


def apply_constraints(transitions: torch.Tensor, start: torch.Tensor, end: torch.Tensor, allowed: torch.Tensor,
                      allowed_start: torch.Tensor, allowed_end: torch.Tensor,
                      value: float = FORBIDDEN) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Copies of ``transitions``, ``start`` and ``end`` with forbidden moves set to ``value``.

    Differentiable (gradients reach the allowed entries); the masks move to the scores'
    device. Use :func:`allowed_transitions` for the masks.
    """
    if allowed.shape != transitions.shape or allowed_start.shape != start.shape or allowed_end.shape != end.shape:
        raise UsageError(f"Constraint masks of shapes {list(allowed.shape)}, {list(allowed_start.shape)}, "
                         f"{list(allowed_end.shape)} do not match transitions {list(transitions.shape)}, "
                         f"start {list(start.shape)} and end {list(end.shape)}: build them from the same labels.")
    transitions = transitions.masked_fill(~allowed.to(transitions.device), value)  # shape: [K, K]
    start = start.masked_fill(~allowed_start.to(start.device), value)  # shape: [K]
    end = end.masked_fill(~allowed_end.to(end.device), value)  # shape: [K]
    return transitions, start, end


# --------------------------------------------------------------------------- the layer


class CRF(torch.nn.Module):
    """A linear-chain CRF over ``K`` tags: ``transitions [K, K]``, ``start [K]`` and ``end
    [K]`` scores (initialised like pytorch-crf), and, with a tagging ``scheme``, bool masks
    of the moves it allows, filled by :meth:`bind_labels` and saved with the weights.

    Any model composes it: its network gives emissions ``[B, T, K]``, the layer gives the
    training loss (:meth:`nll`, also ``crf(emissions, tags, mask)``) and the best paths
    (:meth:`decode`, :meth:`nbest`). :meth:`scores` hands the constrained scores to a
    :class:`~nlpkit.scores.Scores`, so the ``viterbi`` decoder decodes any such model.
    """

    def __init__(self, num_tags: int, scheme: str | None = None) -> None:
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise UsageError(f"A CRF needs num_tags >= 1 (a whole number); got {num_tags!r}.")
        super().__init__()
        self.num_tags = num_tags
        self.scheme = None if scheme is None else normalize_scheme(scheme)
        self.transitions = torch.nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))  # shape: [K, K]
        self.start = torch.nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))  # shape: [K]
        self.end = torch.nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))  # shape: [K]
        self.register_buffer("allowed", torch.ones(num_tags, num_tags, dtype=torch.bool))  # shape: [K, K]
        self.register_buffer("allowed_start", torch.ones(num_tags, dtype=torch.bool))  # shape: [K]
        self.register_buffer("allowed_end", torch.ones(num_tags, dtype=torch.bool))  # shape: [K]

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}, scheme={self.scheme}"

    def bind_labels(self, labels: Sequence[str]) -> None:
        """Fill the constraint masks from the tag names (id order) when a ``scheme`` is set;
        a :class:`~nlpkit.errors.UsageError` names the first label that does not fit."""
        if self.scheme is None:
            return
        if len(labels) != self.num_tags:
            raise UsageError(f"This CRF has {self.num_tags} tags but was given {len(labels)} label names; "
                             "bind the labels it was built for.")
        for mask, value in zip((self.allowed, self.allowed_start, self.allowed_end),
                               allowed_transitions(labels, self.scheme)):
            mask.copy_(value.to(mask.device))

    def scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``transitions [K, K]``, ``start [K]``, ``end [K]``, forbidden moves at :data:`FORBIDDEN`.
        Applied whenever a ``scheme`` is set (unbound masks are all True and change nothing),
        so no host sync asks whether any mask entry is False."""
        if self.scheme is None:
            return self.transitions, self.start, self.end
        return apply_constraints(self.transitions, self.start, self.end,
                                 self.allowed, self.allowed_start, self.allowed_end)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor,
            reduction: str = "token_mean") -> torch.Tensor:
        """The negative log-likelihood of the gold ``tags``; ``reduction`` as :func:`crf_nll`
        (``token_mean`` by default: the scale of a softmax tagger's per-token cross-entropy)."""
        return crf_nll(emissions, tags, mask, *self.scores(), reduction=reduction)

    forward = nll

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The best tag path of each sequence and its score, as :func:`viterbi`."""
        return viterbi(emissions, mask, *self.scores())

    def nbest(self, emissions: torch.Tensor, mask: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``n`` best paths of each sequence and their scores, as :func:`viterbi_nbest`."""
        return viterbi_nbest(emissions, mask, *self.scores(), n)
