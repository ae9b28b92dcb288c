"""A supervised hidden Markov model tagger in numpy: counts, smoothing, unknown words, Viterbi.

TnT (Brants 2000) for POS tagging and the classic BMES character HMM for Chinese word
segmentation. Tags are the integers ``0..K-1``; the index ``K`` stands for the sentence
boundary (start before the first tag, end after the last), so every probability that
:meth:`HMM.log_joint` sums includes the start and the end transition.

Decoding works on a whole call at once: sentences are sorted by length and run in
chunks, so one step of Viterbi is a handful of numpy calls for hundreds of sentences.
Where words allow few of the tags (TnT emissions of a large tag set, e.g. UD UPOS),
Viterbi runs over each token's possible tags only (a pruned lattice, :mod:`.lattice`);
elsewhere (few tags, or add-k smoothing) over all tags, with the batch as the innermost
numpy axis, as forward-backward always does. This module never imports torch.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator, Sequence
from functools import partial
from itertools import chain, repeat

import numpy as np

from nlpkit.errors import InputError, OptionError, UsageError

from .lattice import (
    STATE_BUDGET,
    candidates,
    layout,
    posteriors,
    sentence_states,
    viterbi,
)
from .lexical import LexicalTables, lexical_ratios, lexical_words
from .scratch import Scratch

SMOOTHINGS = ("add-k", "tnt")
UNKNOWNS = ("suffix", "chars", "none")
#: Version of the layout :meth:`HMM.arrays` writes; bump it when the layout changes.
FORMAT_VERSION = 2  # 2: options gained lexical and lexical_prior, and the lexical tables
#: The smallest interpolation weight kept, so that no tag sequence is ever impossible.
MIN_LAMBDA = 1e-3
_OPTION_NAMES = ("order", "smoothing", "k", "unknown", "max_suffix", "rare_threshold", "lexical", "lexical_prior")
_OOV_CACHE_SIZE = 1 << 16
_CHUNK_NUMBERS = 1 << 17  # delta entries per chunk and step, see HMM._chunking
#: The lattice Viterbi spends 30-60x more per edge (tag (order+1)-tuple) than the dense one
#: (gathers and index arithmetic against one broadcast add), so it is used only where it
#: visits at most this share of the dense edges (UD UPOS, TnT: ~1 %; SXU BMES: ~75 %).
LATTICE_SHARE = 1 / 32
_HISTORY_BUDGET = 1 << 24  # numbers kept per chunk for the backtrace (float32) or forward-backward (float64, /2)


class HMM:
    """Supervised HMM tagger over string observations and integer tags 0..K-1."""

    def __init__(self, *, order: int = 2, smoothing: str = "tnt", k: float = 1.0,
                 unknown: str = "suffix", max_suffix: int = 10, rare_threshold: int = 10,
                 lexical: int = 0, lexical_prior: float = 10.0) -> None:
        _check_options(order, smoothing, k, unknown, max_suffix, rare_threshold, lexical, lexical_prior)
        self.order, self.smoothing, self.k, self.unknown = order, smoothing, float(k), unknown
        self.max_suffix, self.rare_threshold = max_suffix, rare_threshold
        self.lexical, self.lexical_prior = int(lexical), float(lexical_prior)
        self.num_tags = 0
        self.lambdas: np.ndarray | None = None  # deleted-interpolation weights, uni- to (order+1)-gram
        self._fitted = False
        self._pruned = False  # Viterbi over the lattice of possible tags, see _prunes_well

    # ----------------------------------------------------------------- fitting

    def fit(self, sentences: list[list[str]], tags: list[list[int]], num_tags: int) -> None:
        """Estimate every probability from tagged sentences (empty ones are skipped)."""
        num_tags = _check_num_tags(num_tags)
        words, tag_seqs = _check_training_data(sentences, tags, num_tags)
        index: dict[str, int] = {}
        word_ids = [index.setdefault(w, len(index)) for w in words]
        flat_tags = np.fromiter(chain.from_iterable(tag_seqs), np.int64, count=len(word_ids))
        lengths = np.fromiter(map(len, tag_seqs), np.int64, count=len(tag_seqs))
        counts = np.bincount(np.asarray(word_ids, np.int64) * num_tags + flat_tags,
                             minlength=len(index) * num_tags).reshape(len(index), num_tags)
        ngrams = _ngram_counts(flat_tags, lengths, num_tags, self.order)
        if self.smoothing == "tnt":
            self.lambdas = _deleted_interpolation(ngrams)
            transitions = _interpolated(ngrams, self.lambdas)
        else:
            self.lambdas = None
            transitions = _add_k(ngrams[-1], self.k)
        tag_prob, vocab = counts.sum(0) / counts.sum(), list(index)
        keys, rows = _unknown_table(vocab, counts, tag_prob, self)
        lexical = lexical_words(counts, self.lexical)
        ratios = lexical_ratios(np.asarray(word_ids, np.int64), flat_tags, lengths, lexical, ngrams[1],
                                self.lexical_prior)
        self._install(num_tags, _log(transitions), _emission_logprobs(counts, self.smoothing, self.k),
                      vocab, _log(tag_prob), keys, rows, [vocab[w] for w in lexical], ratios)

    def _install(self, num_tags: int, transitions: np.ndarray, emissions: np.ndarray, vocab: list[str],
                 tag_logprob: np.ndarray, unknown_keys: list[str], unknown_rows: np.ndarray,
                 lexical_words: list[str] | None = None, lexical_ratios: np.ndarray | None = None) -> None:
        """Keep the learnt tables and derive the float32 decoding tables from them."""
        self.num_tags = num_tags
        self._install_lexical(lexical_words or [], lexical_ratios, transitions, vocab)
        self._transitions, self._emissions, self._tag_logprob = transitions, emissions, tag_logprob
        self._vocab, self._index = vocab, {w: i for i, w in enumerate(vocab)}
        self._unknown_keys, self._unknown_rows = unknown_keys, unknown_rows
        self._unknown_index = {key: i for i, key in enumerate(unknown_keys)}
        self._emissions_t = {np.float64: np.ascontiguousarray(emissions.T),
                             np.float32: np.ascontiguousarray(emissions.T, dtype=np.float32)}
        self._phases = {dtype: _phase_tables(transitions, num_tags, self.order, dtype)
                        for dtype in (np.float32, np.float64)}
        self._transitions_flat = np.ascontiguousarray(transitions).ravel()  # what the lattice gathers from
        self._pruned = _prunes_well(emissions, tag_logprob, num_tags, self.order)
        phases, ends = self._phases[np.float64]
        self._probs = [np.exp(p) for p in phases], [np.exp(e) for e in ends]
        full = self._probs[0][self.order]
        self._sum_product = (np.ascontiguousarray(np.moveaxis(full, 0, -1)),  # [..., next, oldest]
                             np.ascontiguousarray(np.moveaxis(full, 0, -2)))  # [..., oldest, next]
        self._oov_cache: dict[str, np.ndarray] = {}
        self._fitted = True

    def _install_lexical(self, words: list[str], ratios: np.ndarray | None, transitions: np.ndarray,
                         vocab: list[str]) -> None:
        """The lexicalised-transition tables, and each vocabulary word's index into them
        (``L`` for the others; the extra last entry serves unseen words, whose id is -1)."""
        self._lexical_words = words
        self._lexical_ratios = ratios if ratios is not None else np.zeros((0, self.num_tags, self.num_tags + 1))
        self._lexical = LexicalTables(transitions, self._lexical_ratios) if words else None
        self._vocab_lexical = np.full(len(vocab) + 1, len(words), np.int64)
        if words:
            position = {w: i for i, w in enumerate(vocab)}
            self._vocab_lexical[[position[w] for w in words]] = np.arange(len(words))

    # ----------------------------------------------------------------- decoding

    def decode(self, sentences: list[list[str]]) -> list[list[int]]:
        """The most probable tag sequence of each sentence (exact Viterbi, batched)."""
        return self._decode(self._batch(sentences, np.float64 if self._pruned else np.float32))

    def _decode(self, batch: _Batch) -> list[list[int]]:
        """Viterbi over the lattice of possible tags where that pays (see ``LATTICE_SHARE``),
        else over all tags; the same paths but for exact ties."""
        if self._pruned:
            return self._decode_lattice(batch)[0]
        if batch.emissions.dtype != np.float32:
            batch = _Batch(batch.lengths, batch.emissions.astype(np.float32), batch.lexical)
        paths: list[list[int]] = [[] for _ in batch.lengths]
        for rows in batch.chunks(*self._chunking(viterbi=True)):
            for r, path in zip(rows, self._viterbi(batch, rows)):
                paths[r] = path
        return paths

    def _decode_lattice(self, batch: _Batch, confidence: bool = False) -> tuple[list[list[int]], list[list[float]]]:
        """Viterbi over each token's possible tags only (see :mod:`.lattice`), float64, in
        chunks of sentences whose lattices stay within a state budget; with ``confidence``,
        also each chosen tag's posterior, by forward-backward over the same lattices."""
        cands = candidates(batch.emissions)
        states = sentence_states(cands[0], batch.lengths, self.order)
        tags = np.zeros(batch.emissions.shape[1], np.int64)
        probs = np.zeros(batch.emissions.shape[1]) if confidence else None
        table = np.ascontiguousarray(batch.emissions.T).ravel()  # no copy: a column gather is token-major
        scores = partial(self._state_scores, batch, table)
        for rows in batch.lattice_chunks(*self._chunking(viterbi=True, lattice=True), states):
            lattice = layout(self.order, self.num_tags, batch.lengths[rows], batch.starts[rows], cands, confidence)
            chosen = viterbi(lattice, self._transitions_flat, scores)
            tags[lattice.flat] = chosen
            if probs is not None:
                probs[lattice.flat] = posteriors(lattice, self._transitions_flat, chosen)
        return _split(tags, batch), [] if probs is None else _split(probs, batch)

    def _state_scores(self, batch: _Batch, table: np.ndarray, tokens: np.ndarray, tok: np.ndarray,
                      tags: np.ndarray, key: np.ndarray) -> np.ndarray:
        """Lattice states' emission log scores (``table``: the batch's emissions token-major,
        flat), plus their lexicalised-transition pair scores (``key``: the tag before times
        K+1 plus the own tag), see :data:`.lattice.ScoreFn`."""
        scores = np.take(table, (tokens * self.num_tags)[tok] + tags)
        if batch.lexical is not None:
            scores += self._lexical.pair_scores(batch.lexical, tokens, tok, key)
        return scores

    def decode_with_confidence(self, sentences: list[list[str]]) -> tuple[list[list[int]], list[list[float]]]:
        """The Viterbi paths and, per token, the posterior probability of the chosen tag."""
        batch = self._batch(sentences, np.float64)
        if self._pruned:
            return self._decode_lattice(batch, confidence=True)
        paths = self._decode(batch)  # before the emissions turn into probabilities below
        top = batch.emissions.max(0, initial=-np.inf)
        batch.emissions = np.exp(batch.emissions - np.where(np.isfinite(top), top, 0.0))
        confidence: list[list[float]] = [[] for _ in batch.lengths]
        for rows in batch.chunks(*self._chunking(viterbi=False)):
            posteriors = self._posteriors(batch, rows)  # per step i: [K, active rows]
            chosen = _pad([paths[r] for r in rows])
            picked = [post[chosen[: post.shape[1], i], np.arange(post.shape[1])].tolist()
                      for i, post in enumerate(posteriors)]
            for j, r in enumerate(rows):
                confidence[r] = [picked[i][j] for i in range(len(paths[r]))]
        return paths, confidence

    def log_joint(self, tokens: list[str], tags: list[int]) -> float:
        """log p(tokens, tags), start and end transitions included (unseen words: see ``unknown``)."""
        self._require_fitted()
        if len(tokens) != len(tags):
            raise InputError(f"log_joint got {len(tokens)} tokens but {len(tags)} tags")
        _check_tags(tags, self.num_tags, "log_joint")
        k, o = self.num_tags, self.order
        emissions = self._rows(list(tokens))
        seq = [k] * o + [int(t) for t in tags] + [k]
        score = sum(float(self._transitions[tuple(seq[j - o: j + 1])]) for j in range(o, len(seq)))
        if self._lexical is not None:
            ids = [self._vocab_lexical[self._index.get(w, -1)] for w in tokens]
            score += self._lexical.log_score(ids, [int(t) for t in tags], k)
        return score + sum(float(emissions[j, t]) for j, t in enumerate(tags))

    def _require_fitted(self) -> None:
        if not self._fitted:
            raise UsageError("This HMM has not been fitted: call fit() or build it with HMM.from_arrays().")

    def _chunking(self, *, viterbi: bool, lattice: bool = False) -> tuple[int, int]:
        """Sentences per chunk so one step's arrays stay in cache, and numbers kept per token;
        for the lattice, sentences and lattice states per chunk (it keeps ~50 bytes a state).

        A step's delta holds ``states`` numbers a sentence; ``_CHUNK_NUMBERS`` of them (512 KB
        of float32) keep the handful of arrays a step touches in a core's L2 cache. Chunks of
        2 MB arrays (UD UPOS: 289 states, 1814 sentences rather than 453) decoded as fast on a
        quiet machine but 10-25 % slower with other jobs on the same cores.
        """
        if lattice:
            return 8192, STATE_BUDGET
        states = self.num_tags ** self.order
        size = int(min(8192, max(16, _CHUNK_NUMBERS // states)))
        return size, states if viterbi else 4 * states  # forward-backward: two float64 tables, 4 per state

    def _batch(self, sentences: list[list[str]], dtype: type) -> _Batch:
        """Look every token up once: a [K, tokens] emission matrix plus sentence offsets."""
        self._require_fitted()
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise UsageError(f"decode expects a list of sentences (lists of tokens), got {type(sentences).__name__}")
        for s in sentences:  # lists pass at once: isinstance against an ABC costs ~0.4 us a sentence
            if type(s) is not list and (isinstance(s, str) or not isinstance(s, Sequence)):
                raise UsageError(f"decode expects each sentence to be a list of tokens, got {type(s).__name__}")
        lengths = np.fromiter(map(len, sentences), np.int64, count=len(sentences))
        flat = list(chain.from_iterable(sentences))
        try:
            ids = np.fromiter(map(self._index.get, flat, repeat(-1)), np.int64, count=len(flat))
        except TypeError:
            bad = next(w for w in flat if not isinstance(w, str))
            raise InputError(f"tokens must be strings, got {type(bad).__name__} {bad!r}") from None
        emissions = self._emissions_t[dtype][:, ids]
        oov = np.flatnonzero(ids < 0)
        if oov.size:
            local: dict[str, int] = {}
            which = [local.setdefault(flat[j], len(local)) for j in oov]
            emissions[:, oov] = self._rows(list(local)).T.astype(dtype)[:, which]
        lexical = None if self._lexical is None else self._lexical.token_ids(self._vocab_lexical[ids], lengths)
        return _Batch(lengths, emissions, lexical)

    def _rows(self, words: list[str]) -> np.ndarray:
        """log p(w|t) rows [len(words), K]: the vocabulary, else the unknown-word model (cached)."""
        out = np.empty((len(words), self.num_tags))
        cache = self._oov_cache
        for j, w in enumerate(words):
            i = self._index.get(w) if isinstance(w, str) else None
            if i is not None:
                out[j] = self._emissions[i]
                continue
            row = cache.get(w) if isinstance(w, str) else None
            if row is None:
                row = self._unknown_row(w)
                if len(cache) >= _OOV_CACHE_SIZE:
                    cache.clear()
                cache[w] = row
            out[j] = row
        return out

    def _unknown_row(self, word: str) -> np.ndarray:
        """log p(w|t) - log p(w) of an unseen word; p(w) does not depend on the tag, so it is left out."""
        if not isinstance(word, str):
            raise InputError(f"tokens must be strings, got {type(word).__name__} {word!r}")
        if self.unknown == "suffix":
            lower = self._index.get(word.lower())
            if lower is not None:  # "Please" at a sentence start reads as "please"; a per-token
                return self._emissions[lower]  # constant between the two scales changes no path
        for key in _unknown_keys(word, self.unknown, self.max_suffix, self._unknown_index):
            i = self._unknown_index.get(key)
            if i is not None:
                return self._unknown_rows[i]
        return np.zeros(self.num_tags)  # no statistics (or unknown="none"): every tag alike

    # ----------------------------------------------------------------- Viterbi

    def _viterbi(self, batch: _Batch, rows: np.ndarray) -> list[list[int]]:
        """Exact Viterbi for one chunk of sentences sorted longest first (float32, log space).

        The deltas the backtrace needs are consecutive slices of one scratch buffer, reused
        from chunk to chunk, rather than a fresh array per step (see :mod:`.scratch`).
        """
        phases, ends = self._phases[np.float32]
        lengths = batch.lengths[rows]
        active, pos = _active_counts(lengths), batch.starts[rows]
        history = batch.scratch.get("history", (int(active.sum()) * self.num_tags ** self.order,), np.float32)
        deltas: list[np.ndarray] = []
        prev, used = np.zeros(len(rows), np.float32), 0
        for i, m in enumerate(active):
            phase, reduce = phases[min(i, self.order)], i >= self.order
            shape = _step_shape(phase, m, reduce=reduce)
            out = history[used: used + math.prod(shape)].reshape(shape)
            used += out.size
            delta = _max_plus(prev, phase, m, reduce=reduce, out=out, scratch=batch.scratch)
            scale = delta.reshape(-1, m).max(axis=0)  # subtracted to keep float32 precise
            emissions = batch.emissions[:, pos[:m] + i] - np.where(np.isfinite(scale), scale, 0)
            delta += emissions if batch.lexical is None else self._pair_scores(batch, i, pos[:m] + i, emissions)
            deltas.append(delta)
            prev = delta
        out = self._backtrace(deltas, active, ends, phases[self.order]).tolist()  # one call, not one per row
        return [row[:n] for row, n in zip(out, lengths.tolist())]

    def _pair_scores(self, batch: _Batch, i: int, tokens: np.ndarray, emissions: np.ndarray) -> np.ndarray:
        """Step ``i``'s emissions [K, m] of the given flat tokens with their lexicalised-transition
        scores, shaped like a delta; log space for float32 batches (Viterbi), else probabilities."""
        prob = batch.emissions.dtype == np.float64
        return self._lexical.step(batch.lexical, i, tokens, emissions, prob=prob, scratch=batch.scratch)

    def _backtrace(self, deltas: list[np.ndarray], active: np.ndarray, ends: list[np.ndarray],
                   full: np.ndarray) -> np.ndarray:
        """Best final state per sentence, then the dropped oldest tag step by step, all rows at once."""
        o, k = self.order, self.num_tags
        out = np.zeros((int(active[0]), len(active)), np.int64)
        for i in range(len(active) - 1, -1, -1):
            m, m_next = int(active[i]), int(active[i + 1]) if i + 1 < len(active) else 0
            if m_next < m:  # rows whose sentence ends at step i
                d = min(i + 1, o)
                score = deltas[i][..., m_next:m] + ends[d][..., None]
                best = np.unravel_index(score.reshape(-1, m - m_next).argmax(0), (k,) * d)
                for j in range(d):
                    out[m_next:m, i - d + 1 + j] = best[j]
            if i >= o:
                kept = tuple(out[:m, i - o + 1 + j] for j in range(o - 1))
                score = deltas[i - 1][(slice(None), *kept, np.arange(m))] + full[(slice(None), *kept, out[:m, i])]
                out[:m, i - o] = score.argmax(0)
        return out

    # ----------------------------------------------------------------- forward-backward

    def _posteriors(self, batch: _Batch, rows: np.ndarray) -> list[np.ndarray]:
        """p(t_i = t | sentence) per step as [K, active rows], by forward-backward.

        Scaled (Rabiner): probabilities, each step's columns divided by their sum, which is
        log-space arithmetic with the per-step normalisers kept apart. Emission rows are
        shifted by their max before exp, so nothing overflows, and every posterior is
        renormalised per step, so the normalisers never need adding up.
        """
        lengths = batch.lengths[rows]
        active, pos = _active_counts(lengths), batch.starts[rows]
        alphas = self._alphas(batch, pos, active)
        betas = self._betas(batch, pos, active)
        posteriors = []
        for i, m in enumerate(active):
            gamma = (alphas[i] * betas[i]).reshape(-1, self.num_tags, m).sum(0)
            posteriors.append(gamma / _column_sums(gamma))
        return posteriors

    def _alphas(self, batch: _Batch, pos: np.ndarray, active: np.ndarray) -> list[np.ndarray]:
        """Forward probabilities per step, shaped like the Viterbi deltas, columns summing to 1."""
        phases, _ = self._probs
        forward, _ = self._sum_product
        alphas, prev = [], np.ones(len(pos))
        for i, m in enumerate(active):
            if i >= self.order:
                alpha = np.matmul(forward, np.moveaxis(prev[..., :m], 0, -2))
            else:
                alpha = prev[..., None, :m] * phases[i][..., None]
            emissions = batch.emissions[:, pos[:m] + i]
            alpha *= emissions if batch.lexical is None else self._pair_scores(batch, i, pos[:m] + i, emissions)
            alpha /= _column_sums(alpha)
            alphas.append(alpha)
            prev = alpha
        return alphas

    def _betas(self, batch: _Batch, pos: np.ndarray, active: np.ndarray) -> list[np.ndarray]:
        """Backward probabilities, scaled per step; rows ending at a step start from the end."""
        phases, ends = self._probs
        _, backward = self._sum_product
        o, betas, beta = self.order, [np.empty(0)] * len(active), None
        for i in range(len(active) - 1, -1, -1):
            m, m_next = int(active[i]), int(active[i + 1]) if i + 1 < len(active) else 0
            d, parts = min(i + 1, o), []
            if m_next:
                emissions = batch.emissions[:, pos[:m_next] + i + 1]
                if batch.lexical is not None:
                    emissions = self._pair_scores(batch, i + 1, pos[:m_next] + i + 1, emissions)
                g = emissions * beta  # [..., next tag, rows]
                if i + 1 >= o:
                    parts.append(np.moveaxis(np.matmul(backward, g), -2, 0))
                else:
                    parts.append((phases[i + 1][..., None] * g).sum(-2))
                parts[0] /= _column_sums(parts[0])
            if m_next < m:
                parts.append(np.broadcast_to(ends[d][..., None], ends[d].shape + (m - m_next,)))
            beta = betas[i] = np.concatenate(parts, axis=-1)
        return betas

    # ----------------------------------------------------------------- saving

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything learnt, as numeric arrays (safetensors-ready; strings as UTF-8 bytes + offsets)."""
        self._require_fitted()
        options = [FORMAT_VERSION, self.num_tags, self.order, SMOOTHINGS.index(self.smoothing),
                   UNKNOWNS.index(self.unknown), self.k, self.max_suffix, self.rare_threshold,
                   self.lexical, self.lexical_prior]
        vocab_bytes, vocab_offsets = _encode_strings(self._vocab)
        key_bytes, key_offsets = _encode_strings(self._unknown_keys)
        out = {"options": np.array(options, np.float64), "transitions": self._transitions,
               "emissions": self._emissions, "tag_logprob": self._tag_logprob,
               "vocab_bytes": vocab_bytes, "vocab_offsets": vocab_offsets,
               "unknown_keys_bytes": key_bytes, "unknown_keys_offsets": key_offsets,
               "unknown_rows": self._unknown_rows}
        if self.lambdas is not None:
            out["lambdas"] = self.lambdas
        if self.lexical:
            out["lexical_words_bytes"], out["lexical_words_offsets"] = _encode_strings(self._lexical_words)
            out["lexical_ratios"] = self._lexical_ratios
        return {name: np.ascontiguousarray(a) for name, a in out.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **options: object) -> HMM:
        """Rebuild a fitted HMM from :meth:`arrays`; given options must match the stored ones."""
        stored = _stored_options(arrays)
        for name, value in options.items():
            if name not in _OPTION_NAMES:
                raise OptionError(f"HMM has no option '{name}'; options are {', '.join(_OPTION_NAMES)}")
            if value != stored[name]:
                raise OptionError(f"HMM option {name}={value!r} does not match the saved model's "
                                  f"{name}={stored[name]!r}; drop the option or refit")
        num_tags = stored.pop("num_tags")
        hmm = cls(**stored)
        tables = _checked_tables(arrays, num_tags, hmm.order, hmm.smoothing == "tnt")
        tables.update(_checked_lexical(arrays, num_tags, tables["vocab"], hmm.lexical > 0))
        hmm.lambdas = tables.pop("lambdas")
        hmm._install(num_tags, **tables)
        return hmm


# --------------------------------------------------------------------- batches


class _Batch:
    """The sentences of one call: lengths, flat offsets and token emissions [K, tokens]."""

    def __init__(self, lengths: np.ndarray, emissions: np.ndarray,
                 lexical: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.lengths, self.emissions = lengths, emissions
        self.lexical = lexical  # per token: lexical-table indices (before, own), or None
        self.scratch = Scratch()  # the steps' temporaries, reused within this call
        self.starts = np.cumsum(lengths) - lengths

    def chunks(self, size: int, per_token: int) -> Iterator[np.ndarray]:
        """Row indices of non-empty sentences, longest first, ``size`` at a time, and fewer
        when long sentences would make the kept history (``per_token`` numbers a token) too big."""
        order = np.argsort(-self.lengths, kind="stable")
        order = order[: np.count_nonzero(self.lengths)]
        start = 0
        while start < len(order):
            n = max(1, min(size, _HISTORY_BUDGET // (per_token * int(self.lengths[order[start]]))))
            yield order[start: start + n]
            start += n

    def lattice_chunks(self, size: int, budget: int, states: np.ndarray) -> Iterator[np.ndarray]:
        """Row indices of non-empty sentences, longest first, at most ``size`` at a time and
        as many as fit ``budget`` lattice states (``states`` per sentence; one at least)."""
        order = np.argsort(-self.lengths, kind="stable")[: np.count_nonzero(self.lengths)]
        total = np.cumsum(states[order])
        start = 0
        while start < len(order):
            done = int(total[start - 1]) if start else 0
            end = int(np.searchsorted(total, done + budget, side="right"))
            end = min(max(end, start + 1), start + size)
            yield order[start:end]
            start = end


def _prunes_well(emissions: np.ndarray, tag_logprob: np.ndarray, k: int, order: int) -> bool:
    """Whether the lattice of possible tags (finite emissions) visits at most ``LATTICE_SHARE``
    of the dense Viterbi's edges: the mean tag count of a token (each vocabulary word weighted
    by its probability sum_t p(w|t) p(t)) to the power order+1, as if neighbours were
    independent, against K^(order+1). Unseen words, which keep every tag, are left out: on
    UD UPOS dev the estimate is ~13 edges a token, the real count 42, both far below 154."""
    weight = np.exp(emissions + tag_logprob).sum(1)
    if not len(weight) or not weight.sum() > 0:
        return False
    mean = float(np.isfinite(emissions).sum(1) @ weight / weight.sum())
    return mean ** (order + 1) <= LATTICE_SHARE * k ** (order + 1)


def _active_counts(lengths: np.ndarray) -> np.ndarray:
    """For rows sorted longest first: how many are still running at each step."""
    ends = np.bincount(lengths, minlength=int(lengths[0]) + 1)
    return len(lengths) - np.cumsum(ends)[:-1]


def _max_plus(prev: np.ndarray, phase: np.ndarray, m: int, *, reduce: bool, out: np.ndarray | None = None,
              scratch: Scratch | None = None) -> np.ndarray:
    """One Viterbi step: ``max_a prev[a, ..., n] + phase[a, ..., next]`` (or no max before the
    history fills), into ``out`` (shaped like the result, see :func:`_step_shape`) when
    given; its temporary comes from ``scratch``."""
    shape = _step_shape(phase, m, reduce=reduce)
    out = np.empty(shape, prev.dtype) if out is None else out
    if not reduce:
        return np.add(prev[..., None, :m], phase[..., None], out=out)
    if phase.size * m <= 1 << 15:  # small: one array, fewer numpy calls
        return np.max(prev[..., None, :m] + phase[..., None], axis=0, out=out)
    np.add(prev[0][..., None, :m], phase[0][..., None], out=out)
    tmp = (scratch or Scratch()).get("max_plus", shape, out.dtype)
    for a in range(1, len(phase)):
        np.add(prev[a][..., None, :m], phase[a][..., None], out=tmp)
        np.maximum(out, tmp, out=out)
    return out


def _step_shape(phase: np.ndarray, m: int, *, reduce: bool) -> tuple[int, ...]:
    """The shape of a Viterbi delta after a step with ``phase`` over ``m`` sentences."""
    return (*phase.shape[1 if reduce else 0:], m)


def _phase_tables(transitions: np.ndarray, k: int, order: int, dtype: type) -> tuple[list, list]:
    """Transition tables by how many real tags the history holds, and end tables by state size.

    ``phases[p]`` has p history axes then the next tag (the rest of the history is the
    boundary); ``ends[d]`` scores the end after a state of the last d tags.
    """
    phases, ends = [], [np.empty(0, dtype)]
    for p in range(order + 1):
        index = (k,) * (order - p) + (slice(0, k),) * (p + 1)
        phases.append(np.ascontiguousarray(transitions[index], dtype=dtype))
    for d in range(1, order + 1):
        index = (k,) * (order - d) + (slice(0, k),) * d + (k,)
        ends.append(np.ascontiguousarray(transitions[index], dtype=dtype))
    return phases, ends


def _column_sums(x: np.ndarray) -> np.ndarray:
    """Sum over all axes but the last (the rows of the batch); 1 where it is 0, to divide by."""
    sums = x.reshape(-1, x.shape[-1]).sum(0)
    return np.where(sums > 0, sums, 1.0)


def _split(values: np.ndarray, batch: _Batch) -> list[list]:  # type: ignore[type-arg]
    """Flat per-token values (batch order) as one list per sentence."""
    flat = values.tolist()
    return [flat[s: s + n] for s, n in zip(batch.starts.tolist(), batch.lengths.tolist())]


def _pad(paths: list[list[int]]) -> np.ndarray:
    """Equal-length int rows (sorted longest first, so the first row sets the width)."""
    out = np.zeros((len(paths), len(paths[0])), np.int64)
    for j, path in enumerate(paths):
        out[j, : len(path)] = path
    return out


def _log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p)


# --------------------------------------------------------------------- estimation


def _ngram_counts(tags: np.ndarray, lengths: np.ndarray, k: int, order: int) -> list[np.ndarray]:
    """Tag n-gram counts for n = 1..order+1 over boundary-padded sentences.

    Each event is one next symbol (a tag or the end, index k) with its history (tags or
    the start, index k); ``counts[n-1]`` has n axes, the last one the next symbol.
    """
    size = lengths + order + 1
    starts = np.cumsum(size) - size
    seq = np.full(int(size.sum()), k, np.int64)
    offsets = np.repeat(starts + order - (np.cumsum(lengths) - lengths), lengths)
    tag_pos = np.arange(len(tags)) + offsets
    seq[tag_pos] = tags
    events = np.concatenate([tag_pos, starts + order + lengths])
    counts, index = [], np.zeros(len(events), np.int64)
    for n in range(1, order + 2):
        index = index + seq[events - n + 1] * (k + 1) ** (n - 1)
        counts.append(np.bincount(index, minlength=(k + 1) ** n).reshape((k + 1,) * n))
    return counts


def _conditionals(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood p(next | history) (0 where the history is unseen) and history-seen flags."""
    totals = counts.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(totals > 0, counts / totals, 0.0)
    return p, totals > 0


def _deleted_interpolation(ngrams: list[np.ndarray]) -> np.ndarray:
    """TnT's lambdas: each (order+1)-gram votes, with its count, for the estimate that
    predicts it best once the n-gram itself is left out; ties split the vote."""
    full = ngrams[-1]
    order = full.ndim
    cases = []
    for n, counts in enumerate(ngrams, start=1):
        history = counts.sum(-1, keepdims=True)
        c = np.broadcast_to(counts.reshape((1,) * (order - n) + counts.shape), full.shape)
        h = np.broadcast_to(history.reshape((1,) * (order - n) + history.shape), full.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            cases.append(np.where(h > 1, (c - 1) / (h - 1), 0.0)[full > 0])
    cases_arr = np.stack(cases)
    winners = cases_arr == cases_arr.max(0)
    votes = (winners / winners.sum(0) * full[full > 0]).sum(1)
    lambdas = np.maximum(votes / votes.sum(), MIN_LAMBDA)
    return lambdas / lambdas.sum()


def _interpolated(ngrams: list[np.ndarray], lambdas: np.ndarray) -> np.ndarray:
    """sum_n lambda_n p_n(next | last n-1 symbols), renormalised over the estimates whose
    history was seen, so that every conditional distribution sums to one."""
    order = ngrams[-1].ndim
    total, weight = 0.0, 0.0
    for n, (counts, lam) in enumerate(zip(ngrams, lambdas), start=1):
        p, seen = _conditionals(counts)
        shape = (1,) * (order - n)
        total = total + lam * p.reshape(shape + p.shape)
        weight = weight + lam * seen.reshape(shape + seen.shape)
    return total / weight


def _add_k(counts: np.ndarray, k: float) -> np.ndarray:
    """(c + k) / (c(history) + k * outcomes) for the full-order transitions."""
    return (counts + k) / (counts.sum(-1, keepdims=True) + k * counts.shape[-1])


def _emission_logprobs(counts: np.ndarray, smoothing: str, k: float) -> np.ndarray:
    """log p(w|t) over the vocabulary: add-k, or TnT's maximum likelihood (uniform for unseen tags)."""
    vocab_size = counts.shape[0]
    if smoothing == "add-k":
        return np.log((counts + k) / (counts.sum(0) + k * vocab_size))
    totals = counts.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _log(np.where(totals > 0, counts / totals, 1.0 / vocab_size))


# --------------------------------------------------------------------- unknown words


def _unknown_table(vocab: list[str], counts: np.ndarray, tag_prob: np.ndarray,
                   hmm: HMM) -> tuple[list[str], np.ndarray]:
    """Keys and log p(t|key) - log p(t) rows of the unknown-word model, from rare words.

    ``suffix``: keys are "U"/"l" (capitalised or not) plus a suffix, TnT's two tries;
    ``chars``: keys are character classes plus the root "". Each key's distribution is
    its maximum-likelihood estimate smoothed towards its parent's by successive
    abstraction, weight theta = std of the tag probabilities (Brants 2000).
    """
    k = counts.shape[1]
    if hmm.unknown == "none":
        return [], np.zeros((0, k))
    rare = np.flatnonzero(counts.sum(1) <= hmm.rare_threshold)
    keys: dict[str, int] = {}
    parents: list[int] = []
    pairs: list[tuple[int, int]] = []
    for w in rare:
        chain_ = _key_chain(vocab[w], hmm.unknown, hmm.max_suffix)
        parent = -1
        for key in chain_:
            if key not in keys:
                keys[key] = len(keys)
                parents.append(parent)
            parent = keys[key]
            pairs.append((parent, int(w)))
    node_counts = np.zeros((len(keys), k))
    if pairs:
        nodes, words = np.array(pairs).T
        np.add.at(node_counts, nodes, counts[words])
    probs = _successive_abstraction(node_counts, np.array(parents, np.int64), tag_prob)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows = np.where(tag_prob > 0, _log(probs) - _log(tag_prob), -np.inf)
    return list(keys), rows


def _successive_abstraction(counts: np.ndarray, parents: np.ndarray, tag_prob: np.ndarray) -> np.ndarray:
    """p(t|node) = (ML(t|node) + theta p(t|parent)) / (1 + theta); roots back off to p(t).

    Parents come before their children (they were created first), so one pass suffices.
    """
    theta = float(np.std(tag_prob, ddof=1)) if len(tag_prob) > 1 else 0.0
    ml = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    depth = np.zeros(len(parents), np.int64)
    for node, parent in enumerate(parents.tolist()):
        depth[node] = 0 if parent < 0 else depth[parent] + 1
    probs = np.empty_like(ml)
    for level in range(int(depth.max(initial=-1)) + 1):  # one level of the trie at a time
        nodes = np.flatnonzero(depth == level)
        prior = tag_prob if level == 0 else probs[parents[nodes]]
        probs[nodes] = (ml[nodes] + theta * prior) / (1 + theta)
    return probs


def _key_chain(word: str, unknown: str, max_suffix: int) -> list[str]:
    """The keys a rare word adds to, root first: suffixes of growing length, or class under ""."""
    if unknown == "chars":
        return ["", token_class(word)]
    case = "U" if word[:1].isupper() else "l"
    return [case + word[len(word) - m:] for m in range(min(max_suffix, len(word)) + 1)]


def _unknown_keys(word: str, unknown: str, max_suffix: int, known: dict[str, int]) -> list[str]:
    """The keys to try for an unseen word, most specific first (falling back to the other trie)."""
    if unknown == "none":
        return []
    if unknown == "chars":
        return [token_class(word), ""]
    case = "U" if word[:1].isupper() else "l"
    if case not in known:
        case = "l" if case == "U" else "U"
    return [case + word[len(word) - m:] for m in range(min(max_suffix, len(word)), -1, -1)]


def char_class(ch: str) -> str:
    """Coarse Unicode class of one character: digit, latin, cjk, letter, punct, symbol, space, other."""
    category = unicodedata.category(ch)
    if category[0] == "N":
        return "digit"
    if category[0] == "L":
        name = unicodedata.name(ch, "")
        return "cjk" if name.startswith("CJK") else "latin" if "LATIN" in name else "letter"
    if category[0] in "PSZ":
        return {"P": "punct", "S": "symbol", "Z": "space"}[category[0]]
    return "space" if ch.isspace() else "other"


def token_class(token: str) -> str:
    """The class of a token: its characters' common class, "digit" for numbers like 3.14, else "mixed"."""
    classes = {char_class(ch) for ch in token}
    if len(classes) == 1:
        return classes.pop()
    if classes == {"digit", "punct"}:
        return "digit"
    return "mixed" if classes else "other"


# --------------------------------------------------------------------- checks


def _check_options(order: object, smoothing: object, k: object, unknown: object,
                   max_suffix: object, rare_threshold: object, lexical: object = 0,
                   lexical_prior: object = 10.0) -> None:
    """Raise OptionError naming the first bad option and what it accepts."""
    if not _is_int(order) or order not in (1, 2):
        raise OptionError(f"HMM option order must be 1 (tag bigrams) or 2 (tag trigrams), got {order!r}")
    if smoothing not in SMOOTHINGS:
        raise OptionError(f"HMM option smoothing must be one of {', '.join(SMOOTHINGS)}, got {smoothing!r}")
    if unknown not in UNKNOWNS:
        raise OptionError(f"HMM option unknown must be one of {', '.join(UNKNOWNS)}, got {unknown!r}")
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or k <= 0:
        raise OptionError(f"HMM option k must be a positive number, got {k!r}")
    if not _is_int(max_suffix) or max_suffix < 0:
        raise OptionError(f"HMM option max_suffix must be an integer >= 0, got {max_suffix!r}")
    if not _is_int(rare_threshold) or rare_threshold < 1:
        raise OptionError(f"HMM option rare_threshold must be an integer >= 1, got {rare_threshold!r}")
    if not _is_int(lexical) or lexical < 0:
        raise OptionError(f"HMM option lexical must be an integer >= 0 (0: off; else the count from which "
                          f"a word conditions the next tag), got {lexical!r}")
    if lexical and order != 2:
        raise OptionError(f"HMM option lexical needs order = 2 (its scores live on tag-pair states), got "
                          f"order = {order!r}; set order = 2 or lexical = 0")
    if (isinstance(lexical_prior, bool) or not isinstance(lexical_prior, (int, float))
            or not math.isfinite(lexical_prior) or lexical_prior <= 0):
        raise OptionError(f"HMM option lexical_prior must be a positive number, got {lexical_prior!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_num_tags(num_tags: object) -> int:
    if not _is_int(num_tags) or num_tags < 1:
        raise UsageError(f"num_tags must be a positive integer, got {num_tags!r}")
    return int(num_tags)


def _check_training_data(sentences: list[list[str]], tags: list[list[int]],
                         num_tags: int) -> tuple[list[str], list[list[int]]]:
    """The training tokens (flat) and tag sequences of the non-empty sentences, checked."""
    if len(sentences) != len(tags):
        raise InputError(f"fit got {len(sentences)} sentences but {len(tags)} tag sequences")
    if not len(sentences):
        raise InputError("fit needs at least one training sentence, got none")
    words: list[str] = []
    kept: list[list[int]] = []
    for i, (sentence, seq) in enumerate(zip(sentences, tags)):
        if isinstance(sentence, str):
            raise InputError(f"sentence {i} is a string; fit expects lists of tokens")
        if len(sentence) != len(seq):
            raise InputError(f"sentence {i} has {len(sentence)} tokens but {len(seq)} tags")
        bad = next((w for w in sentence if not isinstance(w, str)), None)
        if bad is not None:
            raise InputError(f"sentence {i}: tokens must be strings, got {type(bad).__name__} {bad!r}")
        _check_tags(seq, num_tags, f"sentence {i}")
        if len(seq):
            words.extend(sentence)
            kept.append([int(t) for t in seq])
    if not kept:
        raise InputError("fit needs at least one non-empty training sentence; all were empty")
    return words, kept


def _check_tags(tags: Sequence[int], num_tags: int, where: str) -> None:
    for j, t in enumerate(tags):
        if not _is_int(t) or not 0 <= t < num_tags:
            raise InputError(f"{where}: tag {t!r} at position {j} is not an integer in 0..{num_tags - 1} "
                             f"(num_tags={num_tags})")


def _encode_strings(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of all strings back to back, and the [n+1] offsets that cut them apart."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets


def _decode_strings(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    """Inverse of :func:`_encode_strings` for ``<name>_bytes`` / ``<name>_offsets``, checked."""
    data = _array(arrays, f"{name}_bytes", ndim=1)
    offsets = _array(arrays, f"{name}_offsets", ndim=1)
    if data.dtype != np.uint8 or not np.issubdtype(offsets.dtype, np.integer):
        raise InputError(f"HMM arrays: '{name}_bytes' must be uint8 and '{name}_offsets' integers")
    if (len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(data) or np.any(np.diff(offsets) < 0)):
        raise InputError(f"HMM arrays: '{name}_offsets' must rise from 0 to {len(data)} (the byte count)")
    raw = data.tobytes()
    try:
        return [raw[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    except UnicodeDecodeError as exc:
        raise InputError(f"HMM arrays: '{name}_bytes' is not valid UTF-8 ({exc.reason})") from None


def _array(arrays: dict[str, np.ndarray], name: str, *, ndim: int | None = None,
           shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``arrays[name]`` as a numeric array of the expected rank or shape, else InputError."""
    if name not in arrays:
        raise InputError(f"HMM arrays: '{name}' is missing (have: {', '.join(sorted(arrays)) or 'none'})")
    a = np.asarray(arrays[name])
    if a.dtype.kind not in "uif":
        raise InputError(f"HMM arrays: '{name}' must be numeric, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise InputError(f"HMM arrays: '{name}' must have {ndim} dimension(s), got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise InputError(f"HMM arrays: '{name}' has shape {a.shape}, expected {shape}")
    if a.dtype.kind == "f" and np.isnan(a).any():
        raise InputError(f"HMM arrays: '{name}' holds NaN")
    return a


def _stored_options(arrays: dict[str, np.ndarray]) -> dict:
    """The options (and num_tags) saved in ``arrays['options']``, checked."""
    if not isinstance(arrays, dict):
        raise InputError(f"HMM.from_arrays expects a dict of arrays, got {type(arrays).__name__}")
    values = _array(arrays, "options", ndim=1).astype(np.float64).tolist()
    if len(values) == 8 and values[0] == 1:  # version 1 had no lexicalised transitions
        values = [FORMAT_VERSION, *values[1:], 0, 10.0]
    if not values or values[0] != FORMAT_VERSION:
        raise InputError(f"HMM arrays have format version {values[0] if values else 'none'}; this nlpkit reads "
                         f"1 and {FORMAT_VERSION}: refit the model with this nlpkit")
    if len(values) != 10:
        raise InputError(f"HMM arrays: 'options' has {len(values)} values, expected 10 in format {FORMAT_VERSION}")
    _, num_tags, order, smoothing, unknown, k, max_suffix, rare, lexical, prior = values
    ints = (num_tags, order, smoothing, unknown, max_suffix, rare, lexical)
    if any(v != int(v) for v in ints) or num_tags < 1 or smoothing not in (0, 1) or unknown not in (0, 1, 2):
        raise InputError(f"HMM arrays: 'options' holds invalid values {values}")
    stored = {"num_tags": int(num_tags), "order": int(order), "smoothing": SMOOTHINGS[int(smoothing)],
              "k": k, "unknown": UNKNOWNS[int(unknown)], "max_suffix": int(max_suffix), "rare_threshold": int(rare),
              "lexical": int(lexical), "lexical_prior": prior}
    try:
        _check_options(*(stored[name] for name in _OPTION_NAMES))
    except OptionError as exc:
        raise InputError(f"HMM arrays: 'options' is invalid: {exc}") from None
    return stored


def _checked_tables(arrays: dict[str, np.ndarray], k: int, order: int, tnt: bool) -> dict:
    """The learnt tables of ``arrays``, each checked against num_tags, order and the vocabulary."""
    vocab = _decode_strings(arrays, "vocab")
    keys = _decode_strings(arrays, "unknown_keys")
    if len(set(vocab)) != len(vocab):
        raise InputError("HMM arrays: the vocabulary holds a word twice")
    f64 = np.float64
    return {
        "transitions": _array(arrays, "transitions", shape=(k + 1,) * (order + 1)).astype(f64),
        "emissions": _array(arrays, "emissions", shape=(len(vocab), k)).astype(f64),
        "vocab": vocab,
        "tag_logprob": _array(arrays, "tag_logprob", shape=(k,)).astype(f64),
        "unknown_keys": keys,
        "unknown_rows": _array(arrays, "unknown_rows", shape=(len(keys), k)).astype(f64),
        "lambdas": _array(arrays, "lambdas", shape=(order + 1,)).astype(f64) if tnt else None,
    }


def _checked_lexical(arrays: dict[str, np.ndarray], k: int, vocab: list[str], stored: bool) -> dict:
    """The lexicalised-transition words and log ratios of ``arrays`` (none when the option is 0)."""
    if not stored:
        return {"lexical_words": [], "lexical_ratios": None}
    words = _decode_strings(arrays, "lexical_words")
    unknown = set(words) - set(vocab)
    if unknown or len(set(words)) != len(words):
        raise InputError("HMM arrays: 'lexical_words' must be distinct vocabulary words"
                         + (f"; not in the vocabulary: {sorted(unknown)[:5]}" if unknown else ""))
    ratios = _array(arrays, "lexical_ratios", shape=(len(words), k, k + 1)).astype(np.float64)
    if not np.isfinite(ratios).all():
        raise InputError("HMM arrays: 'lexical_ratios' must be finite")
    return {"lexical_words": words, "lexical_ratios": ratios}
