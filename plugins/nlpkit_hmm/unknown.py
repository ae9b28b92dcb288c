"""The unknown-word model: emission scores for words the training data never showed.

Words seen at most ``rare_threshold`` times stand for the unseen ones (Brants 2000). With
``unknown = "suffix"`` (TnT, for English) they teach tag distributions per final letters,
in two tries, one for capitalised words and one for the others; with ``"chars"`` (for
Chinese characters) per character class (digit, Latin letter, CJK ideograph, ...). An
unseen word then takes the row of its most specific key that training saw.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from nlpkit.errors import InputError

_CACHE_SIZE = 1 << 16  # unseen words whose rows are kept between lookups


def unknown_table(vocab: list[str], counts: np.ndarray, tag_prob: np.ndarray, unknown: str,
                  rare_threshold: int, max_suffix: int) -> tuple[list[str], np.ndarray]:
    """Keys and log p(t|key) - log p(t) rows of the unknown-word model, from rare words.

    ``suffix``: keys are "U"/"l" (capitalised or not) plus a suffix, TnT's two tries;
    ``chars``: keys are character classes plus the root "". Each key's distribution is
    its maximum-likelihood estimate smoothed towards its parent's by successive
    abstraction, weight theta = std of the tag probabilities (Brants 2000).
    """
    k = counts.shape[1]
    if unknown == "none":
        return [], np.zeros((0, k))
    rare = np.flatnonzero(counts.sum(1) <= rare_threshold)
    keys: dict[str, int] = {}
    parents: list[int] = []
    pairs: list[tuple[int, int]] = []
    for w in rare:
        parent = -1
        for key in _key_chain(vocab[w], unknown, max_suffix):
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
        rows = np.where(tag_prob > 0, np.log(probs) - np.log(tag_prob), -np.inf)
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


def _lookup_keys(word: str, unknown: str, max_suffix: int, known: dict[str, int]) -> list[str]:
    """The keys to try for an unseen word, most specific first (falling back to the other trie)."""
    if unknown == "none":
        return []
    if unknown == "chars":
        return [token_class(word), ""]
    case = "U" if word[:1].isupper() else "l"
    if case not in known:
        case = "l" if case == "U" else "U"
    return [case + word[len(word) - m:] for m in range(min(max_suffix, len(word)), -1, -1)]


class UnknownWords:
    """The rows of :func:`unknown_table`, and the emission rows of any words: the vocabulary's
    where known, else the unknown-word model's (cached between calls).

    An unseen word's row is log p(w|t) - log p(w): p(w) does not depend on the tag, so
    leaving it out changes no path and no posterior.
    """

    def __init__(self, unknown: str, max_suffix: int, keys: list[str], rows: np.ndarray,
                 vocab_index: dict[str, int], emissions: np.ndarray) -> None:
        self.unknown, self.max_suffix = unknown, max_suffix
        self.keys, self.rows = keys, rows
        self._key_index = {key: i for i, key in enumerate(keys)}
        self._vocab_index, self._emissions = vocab_index, emissions
        self._cache: dict[str, np.ndarray] = {}

    def word_rows(self, words: list[str]) -> np.ndarray:
        """log p(w|t) rows [len(words), K] (InputError for a word that is not a string)."""
        out = np.empty((len(words), self._emissions.shape[1]))
        cache = self._cache
        for j, w in enumerate(words):
            i = self._vocab_index.get(w) if isinstance(w, str) else None
            if i is not None:
                out[j] = self._emissions[i]
                continue
            row = cache.get(w) if isinstance(w, str) else None
            if row is None:
                row = self._unseen_row(w)
                if len(cache) >= _CACHE_SIZE:
                    cache.clear()
                cache[w] = row
            out[j] = row
        return out

    def _unseen_row(self, word: str) -> np.ndarray:
        if not isinstance(word, str):
            raise InputError(f"tokens must be strings, got {type(word).__name__} {word!r}")
        if self.unknown == "suffix":
            lower = self._vocab_index.get(word.lower())
            if lower is not None:  # "Please" at a sentence start reads as "please"; a per-token
                return self._emissions[lower]  # constant between the two scales changes no path
        for key in _lookup_keys(word, self.unknown, self.max_suffix, self._key_index):
            i = self._key_index.get(key)
            if i is not None:
                return self.rows[i]
        return np.zeros(self._emissions.shape[1])  # no statistics (or unknown="none"): every tag alike


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
