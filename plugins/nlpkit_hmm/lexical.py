"""Lexicalised transitions for a second-order HMM (Lee, Rim and Seo 2000): the tag after a
frequent word depends on the word as well as on the two tags before it.

Why: a tag trigram cannot tell *have* AUX from *have* VERB, both coming after a pronoun,
but the word itself can: AUX *have* is followed by a participle, VERB *have* by a
determiner or a noun. For a word ``w`` seen at least ``lexical`` times in training,

    p(c | a, b, w) = p(c | a, b) r_w(b, c) / Z_w(a, b),
    r_w(b, c)      = p_w(c | b) / p(c | b),
    p_w(c | b)     = (n_w(b, c) + prior * p(c | b)) / (n_w(b) + prior),

where ``n_w(b, c)`` counts ``w`` tagged ``b`` followed by ``c`` (a tag or the end),
``p(c | b)`` is the maximum-likelihood tag bigram and ``Z_w(a, b) = sum_c p(c | a, b)
r_w(b, c)``, so every lexicalised distribution sums to one. The model stays an HMM: a
frequent word's states are (tag, word) pairs, and as the word is observed Viterbi only
ever visits one of them per tag.

In second-order Viterbi the state at token ``i`` is ``(t[i-1], t[i])``, so all three
factors are per-token pair scores ``[K+1, K]`` (the row ``K`` is the sentence start)
added beside the emission: ``+ log r_{w[i-1]}(t[i-1], t[i])``, ``- log Z_{w[i]}(t[i-1],
t[i])`` and, at a sentence's last token, ``+ log r_{w[i]}(t[i], end)``. Decoding stays
one batched Viterbi; each step gathers two small tables.
"""

from __future__ import annotations

import numpy as np

from .scratch import Scratch


def lexical_words(counts: np.ndarray, min_count: int) -> np.ndarray:
    """Vocabulary indices of the words seen at least ``min_count`` times (none when 0)."""
    if min_count <= 0:
        return np.zeros(0, np.int64)
    return np.flatnonzero(counts.sum(1) >= min_count)


def lexical_ratios(word_ids: np.ndarray, tags: np.ndarray, lengths: np.ndarray, words: np.ndarray,
                   bigrams: np.ndarray, prior: float) -> np.ndarray:
    """log r_w(b, c) as [L, K, K+1] for the vocabulary indices ``words`` (see the module doc).

    ``word_ids`` and ``tags`` are the flat training tokens, ``lengths`` the sentence
    lengths, ``bigrams`` the tag bigram counts [K+1, K+1] (index K: boundary).
    """
    k = bigrams.shape[0] - 1
    lex_of = np.full(int(word_ids.max(initial=-1)) + 2, -1, np.int64)
    lex_of[words] = np.arange(len(words))
    nexts = np.append(tags[1:], k)
    nexts[np.cumsum(lengths) - 1] = k  # the end follows each sentence's last token
    lex = lex_of[word_ids]
    keep = lex >= 0
    n = np.bincount((lex[keep] * k + tags[keep]) * (k + 1) + nexts[keep],
                    minlength=len(words) * k * (k + 1)).reshape(len(words), k, k + 1).astype(np.float64)
    totals = bigrams[:k].sum(1, keepdims=True)
    p_bigram = bigrams[:k] / np.maximum(totals, 1)  # [K, K+1]; rows of unseen tags stay 0
    p_word = (n + prior * p_bigram) / (n.sum(2, keepdims=True) + prior)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.log(p_word) - np.log(p_bigram)
    return np.where(p_bigram > 0, ratios, 0.0)  # c never follows b: p_w is 0 too, leave p(c|a,b) as it is


class LexicalTables:
    """The per-step pair scores of :mod:`lexical` for decoding, in log and probability form.

    ``move[l, b, c]``: log r_l(b, c) over tags (the word before the token);
    ``stay[l, a, b]``: -log Z_l(a, b), and for ``l + L`` the same plus log r_l(b, end)
    (the token is its sentence's last). Index ``L`` of ``move`` and ``2L`` of ``stay``
    are zeros: the neighbour is not a lexicalised word (or there is none).
    """

    def __init__(self, transitions: np.ndarray, ratios: np.ndarray) -> None:
        num, k = ratios.shape[0], ratios.shape[1]
        probs = np.exp(transitions)  # [K+1, K+1, K+1] p(c | a, b)
        log_z = np.log(np.einsum("abc,lbc->abl", probs[:, :k, :], np.exp(ratios)))  # [K+1, K, L]
        move = np.zeros((k, k, num + 1))
        move[..., :num] = np.moveaxis(ratios[:, :, :k], 0, -1)
        stay = np.zeros((k + 1, k, 2 * num + 1))
        stay[..., :num] = -log_z
        stay[..., num: 2 * num] = -log_z + np.moveaxis(ratios[:, :, k], 0, -1)[None]
        self.size = num
        # word-major copies ([index, a, b]): a step gathers whole rows, which is fast
        move_rows, stay_rows = np.moveaxis(move, -1, 0), np.moveaxis(stay, -1, 0)
        self.log = {dtype: (np.ascontiguousarray(move_rows, dtype), np.ascontiguousarray(stay_rows, dtype))
                    for dtype in (np.float32, np.float64)}
        self.prob = (np.exp(self.log[np.float64][0]), np.exp(self.log[np.float64][1]))
        # what pair_scores gathers from: [index, before (K: start), tag (K: unused)], both flat
        self._pairs = (np.pad(move_rows, ((0, 0), (0, 1), (0, 1))).ravel(), np.pad(stay_rows, ((0, 0), (0, 0), (0, 1))).ravel())
        self._k = k
        # what step() gathers: float32 log scores for Viterbi, float64 probabilities for forward-backward
        self._steps = {(np.float32, False): _step_tables(*self.log[np.float32]),
                       (np.float64, True): _step_tables(*self.prob)}

    def token_ids(self, lex: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per flat token: the ``move`` index of the word before it and its own ``stay`` index."""
        num = self.size
        starts = np.cumsum(lengths) - lengths
        prev = np.empty_like(lex)
        prev[1:] = lex[:-1]
        prev[starts[lengths > 0]] = num  # a sentence's first token follows the boundary
        own = lex + np.where(lex < num, 0, num)  # not lexicalised: the zero column 2L
        last = (np.cumsum(lengths) - 1)[lengths > 0]
        own[last] = np.where(lex[last] < num, lex[last] + num, 2 * num)
        return prev, own

    def step(self, ids: tuple[np.ndarray, np.ndarray], i: int, tokens: np.ndarray, emissions: np.ndarray, *,
             prob: bool = False, scratch: Scratch | None = None) -> np.ndarray:
        """The pair scores of step ``i`` for the given flat tokens combined (added, or multiplied
        when ``prob``) with their ``emissions`` [K, m], shaped like a Viterbi delta: [K, m] at
        the first token, else [K, K, m]; C-contiguous, in ``scratch`` when given (valid until
        the next step).

        ``ids`` are :meth:`token_ids` of the whole batch. Each token's row ([K] or [K*K],
        ``move`` then ``stay``) is gathered word-major, which is cheap, and turned tag-major
        with one transposing copy, so the caller adds it to its delta contiguously (adding
        a transposed view instead cost twice as much). The arithmetic is the same as always:
        (move + stay) + emission, then the caller's delta + that, so the scores are bit for bit
        what they were when this was a per-batch table of distinct word pairs.
        """
        first, move, stay = self._steps[emissions.dtype.type, prob]
        prev, own = ids
        scratch = scratch or Scratch()
        if i == 0:
            rows = _gather(first, own[tokens], scratch, "lexical rows")  # [m, K]
        else:
            rows = _gather(move, prev[tokens], scratch, "lexical rows")  # [m, K*K]
            _combine(rows, _gather(stay, own[tokens], scratch, "lexical stay"), prob)
        out = scratch.get("lexical pairs", rows.shape[::-1], rows.dtype)
        np.copyto(out, rows.T)
        tags = emissions if i == 0 else emissions[None]  # the emission belongs to the token's tag
        out = out if i == 0 else out.reshape(-1, *emissions.shape)
        _combine(out, tags, prob)
        return out

    def pair_scores(self, ids: tuple[np.ndarray, np.ndarray], tokens: np.ndarray, tok: np.ndarray,
                    key: np.ndarray) -> np.ndarray:
        """log r_{w[i-1]}(b, c) - log Z_{w[i]}(b, c) (+ log r_{w[i]}(c, end) at a sentence's last
        token) of lattice states, float64: move + stay, what a state adds beside its emission.
        ``tokens`` are batch indices, ``tok`` each state's position among them and ``key``
        b * (K+1) + c (b = K at a sentence start)."""
        move, stay = self._pairs
        prev, own = ids
        size = (self._k + 1) ** 2
        return np.take(move, (prev[tokens] * size)[tok] + key) + np.take(stay, (own[tokens] * size)[tok] + key)

    def log_score(self, lex: list[int], tags: list[int], k: int) -> float:
        """The sum of the pair scores of one tagged sentence (``lex``: each token's lexical index or L)."""
        if not tags:
            return 0.0
        prev, own = self.token_ids(np.asarray(lex, np.int64), np.array([len(tags)]))
        move, stay = self.log[np.float64]
        before = [k, *tags[:-1]]
        score = sum(float(stay[o, a, b]) for a, b, o in zip(before, tags, own.tolist()))
        return score + sum(float(move[p, a, b]) for a, b, p in zip(before[1:], tags[1:], prev[1:].tolist()))


def _step_tables(move: np.ndarray, stay: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``move`` and ``stay`` ([index, a, b]) as the row tables :meth:`LexicalTables.step` gathers:
    a first token's ``stay`` row after the start [2L+1, K], later tokens' ``move`` [L+1, K*K]
    and ``stay`` [2L+1, K*K] rows, each contiguous."""
    k = move.shape[-1]
    return (np.ascontiguousarray(stay[:, -1]), np.ascontiguousarray(move.reshape(len(move), k * k)),
            np.ascontiguousarray(stay[:, :-1].reshape(len(stay), k * k)))


def _gather(table: np.ndarray, index: np.ndarray, scratch: Scratch, name: str) -> np.ndarray:
    """``table[index]`` (whole rows) into the scratch buffer ``name``. The indices are valid, so
    ``mode="clip"`` changes nothing but lets numpy write straight into the buffer."""
    return np.take(table, index, axis=0, out=scratch.get(name, (len(index), *table.shape[1:]), table.dtype),
                   mode="clip")


def _combine(out: np.ndarray, other: np.ndarray, prob: bool) -> None:
    """``out += other`` in log space, ``out *= other`` for probabilities (in place)."""
    if prob:
        np.multiply(out, other, out=out)
    else:
        np.add(out, other, out=out)
