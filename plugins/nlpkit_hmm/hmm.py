"""A supervised hidden Markov model tagger in numpy: fitted from counts, decoded by Viterbi.

TnT (Brants 2000) for POS tagging and the classic BMES character HMM for Chinese word
segmentation. Tags are the integers ``0..K-1``; the index ``K`` stands for the sentence
boundary (start before the first tag, end after the last), so every probability that
:meth:`HMM.log_joint` sums includes the start and the end transition.

:class:`HMM` ties the parts together: estimation from counts (:mod:`.estimate`, with
the unknown-word model of :mod:`.unknown`), batches of sentences (:mod:`.batching`),
Viterbi over all tags (:mod:`.viterbi`) or over a pruned lattice of each token's possible
tags where that pays (:mod:`.lattice`), forward-backward for posteriors, confidences and
Baum-Welch (:mod:`.forward_backward`), and the saved arrays (:mod:`.storage`). This
module never imports torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, repeat

import numpy as np

from nlpkit.errors import InputError, UsageError

from .batching import Batch, chunk_shape
from .checks import OPTION_NAMES, check_num_tags, check_options, check_sentences, check_tags, check_training_data
from .estimate import supervised_tables
from .forward_backward import DenseForwardBackward, ExpectedCounts, ForwardBackward
from .lattice import Lattice, candidates, layout, sentence_states
from .lattice import viterbi as lattice_viterbi
from .lattice_forward_backward import LatticeForwardBackward
from .lexical import LexicalTables
from .storage import from_arrays, to_arrays
from .tables import DecodingTables, prunes_well
from .unknown import UnknownWords, char_class, token_class
from .viterbi import best_paths

__all__ = ["HMM", "ExpectedCounts", "char_class", "token_class"]


class HMM:
    """Supervised HMM tagger over string observations and integer tags 0..K-1.

    Baum-Welch (:mod:`.baum_welch`) re-estimates a fitted HMM through a small public
    interface: :meth:`require_fitted`, then :attr:`transitions`, :attr:`emissions` and
    :attr:`vocabulary` to read, :meth:`expected_counts` for the E-step and
    :meth:`set_tables` for the M-step.
    """

    def __init__(self, *, order: int = 2, smoothing: str = "tnt", k: float = 1.0,
                 unknown: str = "suffix", max_suffix: int = 10, rare_threshold: int = 10,
                 lexical: int = 0, lexical_prior: float = 10.0) -> None:
        check_options(order, smoothing, k, unknown, max_suffix, rare_threshold, lexical, lexical_prior)
        self.order, self.smoothing, self.k, self.unknown = order, smoothing, float(k), unknown
        self.max_suffix, self.rare_threshold = max_suffix, rare_threshold
        self.lexical, self.lexical_prior = int(lexical), float(lexical_prior)
        self.num_tags = 0
        self.lambdas: np.ndarray | None = None  # deleted-interpolation weights, uni- to (order+1)-gram
        self._fitted = False
        self._pruned = False  # Viterbi over the lattice of possible tags, see tables.prunes_well

    def _options(self) -> dict:
        return {name: getattr(self, name) for name in OPTION_NAMES}

    # ----------------------------------------------------------------- fitting and saving

    def fit(self, sentences: list[list[str]], tags: list[list[int]], num_tags: int) -> None:
        """Estimate every probability from tagged sentences (empty ones are skipped)."""
        num_tags = check_num_tags(num_tags)
        words, tag_seqs = check_training_data(sentences, tags, num_tags)
        tables = supervised_tables(words, tag_seqs, num_tags, **self._options())
        self.lambdas = tables.pop("lambdas")
        self._install(num_tags, **tables)

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything learnt, as numeric arrays (safetensors-ready; strings as UTF-8 bytes + offsets)."""
        self.require_fitted()
        return to_arrays(self._options(), self.num_tags, {
            "transitions": self._transitions, "emissions": self._emissions, "vocab": self._vocab,
            "tag_logprob": self._tag_logprob, "unknown_keys": self._unknown.keys, "unknown_rows": self._unknown.rows,
            "lambdas": self.lambdas, "lexical_words": self._lexical_words, "lexical_ratios": self._lexical_ratios})

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], **options: object) -> HMM:
        """Rebuild a fitted HMM from :meth:`arrays`; given options must match the stored ones."""
        stored, num_tags, tables = from_arrays(arrays, options)
        hmm = cls(**stored)
        hmm.lambdas = tables.pop("lambdas")
        hmm._install(num_tags, **tables)
        return hmm

    def _install(self, num_tags: int, transitions: np.ndarray, emissions: np.ndarray, vocab: list[str],
                 tag_logprob: np.ndarray, unknown_keys: list[str], unknown_rows: np.ndarray,
                 lexical_words: list[str] | None = None, lexical_ratios: np.ndarray | None = None) -> None:
        """Keep the learnt tables and derive the decoding tables from them."""
        self.num_tags = num_tags
        self._install_lexical(lexical_words or [], lexical_ratios, transitions, vocab)
        self._transitions, self._emissions, self._tag_logprob = transitions, emissions, tag_logprob
        self._vocab, self._index = vocab, {w: i for i, w in enumerate(vocab)}
        self._unknown = UnknownWords(self.unknown, self.max_suffix, unknown_keys, unknown_rows, self._index, emissions)
        self._emissions_t = {np.float64: np.ascontiguousarray(emissions.T),
                             np.float32: np.ascontiguousarray(emissions.T, dtype=np.float32)}
        self._tables = DecodingTables(transitions, num_tags, self.order, self._lexical)
        self._pruned = prunes_well(emissions, tag_logprob, num_tags, self.order)
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

    def require_fitted(self) -> None:
        """UsageError unless :meth:`fit` or :meth:`from_arrays` has given the model its tables."""
        if not self._fitted:
            raise UsageError("This HMM has not been fitted: call fit() or build it with HMM.from_arrays().")

    # ----------------------------------------------------------------- decoding

    def decode(self, sentences: list[list[str]]) -> list[list[int]]:
        """The most probable tag sequence of each sentence (exact Viterbi, batched)."""
        return self._decode(self._batch(sentences, np.float64 if self._pruned else np.float32))

    def _decode(self, batch: Batch) -> list[list[int]]:
        """Viterbi over the lattice of possible tags where that pays (see ``tables.LATTICE_SHARE``),
        else over all tags; the same paths but for exact ties."""
        if self._pruned:
            return self._decode_lattice(batch)[0]
        if batch.emissions.dtype != np.float32:
            batch = Batch(batch.lengths, batch.emissions.astype(np.float32), batch.lexical)
        paths: list[list[int]] = [[] for _ in batch.lengths]
        for rows in batch.chunks(*self._chunking(viterbi=True)):
            for r, path in zip(rows, best_paths(self._tables, batch, rows)):
                paths[r] = path
        return paths

    def _decode_lattice(self, batch: Batch, confidence: bool = False) -> tuple[list[list[int]], list[list[float]]]:
        """Viterbi over each token's possible tags only (see :mod:`.lattice`), float64, in
        chunks of sentences whose lattices stay within a state budget; with ``confidence``,
        also each chosen tag's posterior, by forward-backward over the same lattices."""
        tags = np.zeros(batch.emissions.shape[1], np.int64)
        probs = np.zeros(batch.emissions.shape[1]) if confidence else None
        transitions, scores = self._tables.transitions_flat, self._tables.state_scorer(batch)
        for lattice in self._lattices(batch, keep_scores=confidence):
            chosen = lattice_viterbi(lattice, transitions, scores)
            tags[lattice.flat] = chosen
            if probs is not None:
                probs[lattice.flat] = LatticeForwardBackward(lattice, transitions).chosen_posteriors(chosen)
        return batch.split(tags), [] if probs is None else batch.split(probs)

    def decode_with_confidence(self, sentences: list[list[str]]) -> tuple[list[list[int]], list[list[float]]]:
        """The Viterbi paths and, per token, the posterior probability of the chosen tag."""
        batch = self._batch(sentences, np.float64)
        if self._pruned:
            return self._decode_lattice(batch, confidence=True)
        paths = self._decode(batch)  # before forward-backward turns the emissions into probabilities
        chosen = np.fromiter(chain.from_iterable(paths), np.int64, count=batch.emissions.shape[1])
        confidence = np.zeros(len(chosen))
        for fb in self._forward_backward(batch):
            confidence[fb.tokens] = fb.chosen_posteriors(chosen[fb.tokens])
        return paths, batch.split(confidence)

    def log_joint(self, tokens: list[str], tags: list[int]) -> float:
        """log p(tokens, tags), start and end transitions included (unseen words: see ``unknown``)."""
        self.require_fitted()
        if len(tokens) != len(tags):
            raise InputError(f"log_joint got {len(tokens)} tokens but {len(tags)} tags")
        check_tags(tags, self.num_tags, "log_joint")
        k, o = self.num_tags, self.order
        emissions = self._unknown.word_rows(list(tokens))
        seq = [k] * o + [int(t) for t in tags] + [k]
        score = sum(float(self._transitions[tuple(seq[j - o: j + 1])]) for j in range(o, len(seq)))
        if self._lexical is not None:
            ids = [self._vocab_lexical[self._index.get(w, -1)] for w in tokens]
            score += self._lexical.log_score(ids, [int(t) for t in tags], k)
        return score + sum(float(emissions[j, t]) for j, t in enumerate(tags))

    def _chunking(self, *, viterbi: bool, lattice: bool = False) -> tuple[int, int]:
        """The chunk sizes of this model's batches, see :func:`.batching.chunk_shape`."""
        return chunk_shape(self.num_tags, self.order, viterbi=viterbi, lattice=lattice)

    def _batch(self, sentences: list[list[str]], dtype: type) -> Batch:
        """Look every token up once: a [K, tokens] emission matrix plus sentence offsets."""
        self.require_fitted()
        check_sentences(sentences)
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
            emissions[:, oov] = self._unknown.word_rows(list(local)).T.astype(dtype)[:, which]
        lexical = None if self._lexical is None else self._lexical.token_ids(self._vocab_lexical[ids], lengths)
        return Batch(lengths, emissions, lexical)

    def _lattices(self, batch: Batch, keep_scores: bool) -> Iterator[Lattice]:
        """The lattices of the batch's possible tags, a chunk of sentences at a time."""
        cands = candidates(batch.emissions)
        states = sentence_states(cands[0], batch.lengths, self.order)
        for rows in batch.lattice_chunks(*self._chunking(viterbi=True, lattice=True), states):
            yield layout(self.order, self.num_tags, batch.lengths[rows], batch.starts[rows], cands, keep_scores)

    # ----------------------------------------------------------------- forward-backward

    def _forward_backward(self, batch: Batch) -> Iterator[ForwardBackward]:
        """Forward-backward over the batch (float64 log emissions), a chunk at a time: over
        the lattice where decoding uses it, else over all tags (turning the emissions into
        probabilities)."""
        if self._pruned:
            scores = self._tables.state_scorer(batch)
            for lattice in self._lattices(batch, keep_scores=True):
                yield LatticeForwardBackward(lattice, self._tables.transitions_flat, scores)
            return
        batch.to_probabilities()
        for rows in batch.chunks(*self._chunking(viterbi=False)):
            yield DenseForwardBackward(self._tables, batch, rows)

    def posteriors(self, sentences: list[list[str]]) -> list[np.ndarray]:
        """p(tag of the token = t | its sentence): one [tokens, K] array per sentence, by
        forward-backward; each row sums to one."""
        batch = self._batch(sentences, np.float64)
        out = np.zeros((batch.emissions.shape[1], self.num_tags))
        for fb in self._forward_backward(batch):
            out[fb.tokens] = fb.tag_posteriors()
        return [out[s: s + n] for s, n in zip(batch.starts.tolist(), batch.lengths.tolist())]

    def expected_counts(self, sentences: list[list[str]]) -> ExpectedCounts:
        """Baum-Welch's E-step: the expected transition events, tag posteriors and
        log-likelihood of unlabelled sentences under this model (empty sentences skipped)."""
        batch = self._batch(sentences, np.float64)
        k, o = self.num_tags, self.order
        events, tags, log_likelihood = np.zeros((k + 1) ** (o + 1)), np.zeros((batch.emissions.shape[1], k)), 0.0
        for fb in self._forward_backward(batch):
            events += fb.event_counts()
            tags[fb.tokens] = fb.tag_posteriors()
            log_likelihood += float(fb.log_likelihoods().sum())
        return ExpectedCounts(events.reshape((k + 1,) * (o + 1)), tags, log_likelihood)

    # ----------------------------------------------------------------- the learnt tables

    @property
    def transitions(self) -> np.ndarray:
        """log p(next | history), [K+1]^(order+1), the last axis the next tag or the end (read-only)."""
        self.require_fitted()
        return _read_only(self._transitions)

    @property
    def emissions(self) -> np.ndarray:
        """log p(word | tag) over :attr:`vocabulary`, [words, K] (read-only)."""
        self.require_fitted()
        return _read_only(self._emissions)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """The words seen, in the order of :attr:`emissions`' rows."""
        self.require_fitted()
        return tuple(self._vocab)

    def set_tables(self, transitions: np.ndarray, emissions: np.ndarray, vocabulary: list[str]) -> None:
        """Replace the transition and emission log tables (Baum-Welch's M-step); the tag prior,
        the unknown-word model and the options stay. Lexicalised transitions are dropped."""
        self.require_fitted()
        k, o = self.num_tags, self.order
        if transitions.shape != (k + 1,) * (o + 1) or emissions.shape != (len(vocabulary), k):
            raise UsageError(f"set_tables needs transitions of shape {(k + 1,) * (o + 1)} and emissions of shape "
                             f"({len(vocabulary)}, {k}), got {transitions.shape} and {emissions.shape}")
        self._install(k, transitions, emissions, list(vocabulary), self._tag_logprob,
                      self._unknown.keys, self._unknown.rows)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
