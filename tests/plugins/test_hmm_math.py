"""The numpy HMM (nlpkit_hmm.hmm) against hand computation and brute force: Viterbi paths,
posteriors and Baum-Welch's expected counts (from both forward-backward kernels, dense and
lattice) equal enumeration over every tag sequence, batches decode like single sentences,
smoothed distributions sum to one, the unknown-word models pick the tags their statistics
suggest, arrays round-trip losslessly, bad input fails clearly, and torch is never imported."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlpkit.errors import InputError, OptionError, UsageError

REPO = Path(__file__).resolve().parents[2]
try:
    from nlpkit_hmm.hmm import HMM, token_class
except ModuleNotFoundError:  # an editable install made before the plugin existed
    sys.path.insert(0, str(REPO / "plugins"))
    from nlpkit_hmm.hmm import HMM, token_class
from nlpkit_hmm.baum_welch import e_step, reestimate  # noqa: E402 - after the fallback above

DET, NOUN, VERB, ADV = range(4)
TINY_WORDS = [["the", "dog", "runs"], ["a", "cat", "sleeps", "now"], ["the", "cat"], ["dogs", "run", "quickly"],
              ["a", "dog", "runs", "now"]]
TINY_TAGS = [[DET, NOUN, VERB], [DET, NOUN, VERB, ADV], [DET, NOUN], [NOUN, VERB, ADV], [DET, NOUN, VERB, ADV]]
QUERIES = [["the", "dog"], ["a", "zebra", "runs", "fast", "the"], ["cat"], ["now", "now", "now"], ["Dogs", "sleep"]]
CONFIGS = [{"order": o, "smoothing": s, "unknown": u}
           for o in (1, 2) for s in ("tnt", "add-k") for u in ("suffix", "none")]
CONFIGS += [{"order": 2, "smoothing": s, "unknown": "suffix", "lexical": 1, "lexical_prior": 0.5} for s in ("tnt", "add-k")]


def fitted(**options: object) -> HMM:
    hmm = HMM(**options)
    hmm.fit(TINY_WORDS, TINY_TAGS, 4)
    return hmm


def enumerate_all(hmm: HMM, tokens: list[str]) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """Every tag sequence of the sentence and its log joint probability."""
    sequences = list(itertools.product(range(hmm.num_tags), repeat=len(tokens)))
    return sequences, np.array([hmm.log_joint(tokens, list(s)) for s in sequences])


# ------------------------------------------------------------------------- exact maths


@pytest.mark.parametrize("order", [1, 2])
def test_log_joint_matches_a_hand_computation(order: int) -> None:
    """One sentence "a b" / 0 1, add-1: every transition is (1+1)/(1+3), every emission (1+1)/(1+2)."""
    hmm = HMM(order=order, smoothing="add-k", k=1.0)
    hmm.fit([["a", "b"]], [[0, 1]], 2)
    assert hmm.log_joint(["a", "b"], [0, 1]) == pytest.approx(math.log((1 / 2) ** 3 * (2 / 3) ** 2))
    # p(1|start) = 1/4, p(0|start) = 2/4; the end after 1 is 2/4 (order 1) or 1/3 (unseen history
    # (start, 1), order 2), the end after 0 is 1/4 (seen once, followed by 1)
    end_after_1 = 2 / 4 if order == 1 else 1 / 3
    assert hmm.log_joint(["b"], [1]) == pytest.approx(math.log((1 / 4) * (2 / 3) * end_after_1))
    assert hmm.log_joint(["b"], [0]) == pytest.approx(math.log((2 / 4) * (1 / 3) * (1 / 4)))


@pytest.mark.parametrize("options", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_viterbi_equals_brute_force_and_batches_like_single_sentences(options: dict) -> None:
    hmm = fitted(**options)
    batch = hmm.decode(QUERIES + [[]])
    assert batch[-1] == []
    for tokens, path in zip(QUERIES, batch):
        sequences, scores = enumerate_all(hmm, tokens)
        assert hmm.log_joint(tokens, path) == pytest.approx(scores.max(), abs=1e-5)  # float32 Viterbi
        if np.sort(scores)[-2] < scores.max() - 1e-6:  # unique best path
            assert tuple(path) == sequences[int(scores.argmax())]
        assert hmm.decode([tokens]) == [path]


@pytest.mark.parametrize("options", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_posteriors_equal_brute_force_marginals(options: dict) -> None:
    hmm = fitted(**options)
    paths, confidence = hmm.decode_with_confidence(QUERIES + [[]])
    assert paths == hmm.decode(QUERIES + [[]]) and confidence[-1] == []
    for tokens, path, conf in zip(QUERIES, paths, confidence):
        assert conf == pytest.approx(brute_force_marginals(hmm, tokens, path), abs=1e-9)


def brute_force_marginals(hmm: HMM, tokens: list[str], path: list[int]) -> list[float]:
    """p(tag i = path[i] | tokens) for each token, summed over every tag sequence."""
    sequences, scores = enumerate_all(hmm, tokens)
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return [sum(w for w, s in zip(weights, sequences) if s[i] == tag) for i, tag in enumerate(path)]


def reference_best_score(hmm: HMM, tokens: list[str]) -> float:
    """The best log joint by plain float64 dynamic programming over explicit tag histories."""
    k, o = hmm.num_tags, hmm.order
    transitions = hmm.arrays()["transitions"]
    start, end = (k,) * o, (k,) * (o - 1)
    best = {start: 0.0}  # history (last o tags, start symbol k before the sentence) -> best score
    for w in tokens:
        emission = [hmm.log_joint([w], [t]) - transitions[start + (t,)] - transitions[end + (t, k)]
                    for t in range(k)]
        step: dict[tuple[int, ...], float] = {}
        for history, score in best.items():
            for t in range(k):
                new = history[1:] + (t,)
                step[new] = max(step.get(new, -np.inf), score + transitions[history + (t,)] + emission[t])
        best = step
    return max(score + transitions[history + (k,)] for history, score in best.items())


@pytest.mark.parametrize("order, lexical", [(1, 0), (2, 0), (2, 3)])
def test_long_sentences_in_small_chunks_reach_the_best_score(order: int, lexical: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Random longer sentences, decoded three at a time, score what a plain DP finds
    (with lexicalised transitions: the best of many random paths, as the DP knows no words)."""
    rng = np.random.default_rng(order)
    words = [[f"w{i}" for i in rng.integers(0, 12, n)] for n in rng.integers(1, 25, 60)]
    tags = [[int(t) for t in rng.integers(0, 3, len(s))] for s in words]
    hmm = HMM(order=order, unknown="suffix", lexical=lexical)
    hmm.fit(words, tags, 3)
    queries = [[f"w{i}" for i in rng.integers(0, 14, n)] for n in (30, 1, 7, 2, 30, 12, 5, 19)]
    whole = hmm.decode(queries)
    monkeypatch.setattr(hmm, "_chunking", lambda viterbi, lattice=False: (3, 9))
    chunked = hmm.decode(queries)
    for tokens, path, other in zip(queries, chunked, whole):
        if lexical:
            randoms = [list(rng.integers(0, 3, len(tokens))) for _ in range(300)]
            assert hmm.log_joint(tokens, path) >= max(hmm.log_joint(tokens, r) for r in randoms) - 1e-3
        else:
            assert hmm.log_joint(tokens, path) == pytest.approx(reference_best_score(hmm, tokens), abs=1e-3)
        assert hmm.log_joint(tokens, other) == pytest.approx(hmm.log_joint(tokens, path), abs=1e-3)


# ------------------------------------------------------------------------- smoothing


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("smoothing", ["tnt", "add-k"])
@pytest.mark.parametrize("unknown", ["suffix", "chars"])
def test_every_smoothed_distribution_sums_to_one(order: int, smoothing: str, unknown: str) -> None:
    hmm = HMM(order=order, smoothing=smoothing, k=0.5, unknown=unknown)
    hmm.fit(TINY_WORDS, TINY_TAGS, 5)  # tag 4 never occurs
    arrays = hmm.arrays()
    transitions = np.exp(arrays["transitions"])  # [history..., next tag or end]
    assert np.allclose(transitions.sum(-1), 1.0)
    assert np.allclose(np.exp(arrays["emissions"]).sum(0), 1.0)  # p(w|t) over the vocabulary
    tag_prob = np.exp(arrays["tag_logprob"])
    assert tag_prob.sum() == pytest.approx(1.0) and tag_prob[4] == 0
    p_tag_given_key = np.exp(arrays["unknown_rows"][:, :4]) * tag_prob[:4]  # back through Bayes
    assert len(p_tag_given_key) and np.allclose(p_tag_given_key.sum(1), 1.0)
    if smoothing == "tnt":
        assert hmm.lambdas.sum() == pytest.approx(1.0) and len(hmm.lambdas) == order + 1
        assert np.all(transitions[..., 4] == 0)  # an unseen tag is never entered


def test_lexicalised_transitions_are_distributions_that_follow_the_word() -> None:
    """p(c | a, b, w) sums to one over the next tag or the end for every history and word, and the
    word steers the tag after it: *have* before a determiner is a verb, before a participle an auxiliary."""
    words = [["I", "have", "done"], ["I", "have", "a", "dog"], ["you", "have", "seen"], ["we", "have", "eaten"],
             ["I", "saw", "a", "dog"], ["we", "saw", "the", "cat"]]
    tags = [[0, 1, 2], [0, 2, 3, 4], [0, 1, 2], [0, 1, 2], [0, 2, 3, 4], [0, 2, 3, 4]]  # PRON AUX VERB DET NOUN
    hmm = HMM(order=2, lexical=2, lexical_prior=1.0)
    hmm.fit(words, tags, 5)
    ratios = hmm.arrays()["lexical_ratios"]  # [words, tag, next tag or end]: log r_w(b, c)
    _, stay = hmm._lexical.log[np.float64]  # stay[w, a, b] = -log Z_w(a, b)
    transitions = hmm.arrays()["transitions"]
    assert len(ratios) == 6  # I, have, a, dog, we, saw: seen at least twice
    for w in range(len(ratios)):
        for a in range(6):
            for b in range(5):
                assert np.exp(transitions[a, b] + ratios[w, b] + stay[w, a, b]).sum() == pytest.approx(1.0)
    saw = hmm._lexical_words.index("saw")  # always a verb followed by a determiner; verbs end 3 of 6 sentences
    assert ratios[saw, 2, 3] > 0 > ratios[saw, 2, 5]
    assert hmm.decode([["they", "have", "a", "cat"], ["they", "have", "gone"]]) == [[0, 2, 3, 4], [0, 1, 2]]


@pytest.mark.parametrize("prob", [False, True])
def test_lexical_step_scores_are_the_table_entries_bit_for_bit(prob: bool) -> None:
    """A decoding step's pair scores are, per token and state (previous tag b, tag c), exactly
    (move[before, b, c] + stay[own, b, c]) + emission[c] in float32 log space (Viterbi), or the
    products of the probability tables: the fast tag-major layout changes no bit of the sum."""
    hmm = fitted(order=2, lexical=1, lexical_prior=0.5)
    sentences = QUERIES + [["the", "dog", "runs", "now"]]
    dtype = np.float64 if prob else np.float32
    batch = hmm._batch(sentences, dtype)
    before, own = batch.lexical
    move, stay = hmm._lexical.prob if prob else hmm._lexical.log[dtype]
    k, tokens = hmm.num_tags, np.arange(len(before))
    emissions = np.random.default_rng(0).random((k, len(tokens))).astype(dtype)
    first = hmm._lexical.step(batch.lexical, 0, tokens, emissions, prob=prob)
    later = hmm._lexical.step(batch.lexical, 1, tokens, emissions, prob=prob)
    assert first.shape == (k, len(tokens)) and later.shape == (k, k, len(tokens)) and later.flags.c_contiguous
    for n in tokens:
        for c in range(k):
            start = stay[own[n], k, c] * emissions[c, n] if prob else stay[own[n], k, c] + emissions[c, n]
            assert first[c, n] == start
            for b in range(k):
                pair = move[before[n], b, c] * stay[own[n], b, c] if prob else move[before[n], b, c] + stay[own[n], b, c]
                assert later[b, c, n] == (pair * emissions[c, n] if prob else pair + emissions[c, n])


def test_lattice_pair_scores_are_the_table_entries_bit_for_bit() -> None:
    """A Viterbi lattice state's lexical score, looked up by its key b * (K+1) + c, is exactly
    move[before, b, c] + stay[own, b, c] of the log tables (b = K: the sentence start)."""
    hmm = fitted(order=2, lexical=1, lexical_prior=0.5)
    batch = hmm._batch(QUERIES + [["the", "dog", "runs", "now"]], np.float64)
    before, own = batch.lexical
    move, stay = hmm._lexical.log[np.float64]
    k, tokens = hmm.num_tags, np.arange(len(before))
    pairs = [(b, c) for b in range(k + 1) for c in range(k)]
    tok = np.repeat(np.arange(len(tokens)), len(pairs))
    b, c = (np.tile(np.array(x), len(tokens)) for x in zip(*pairs))
    scores = hmm._lexical.pair_scores(batch.lexical, tokens, tok, b * (k + 1) + c)
    move_b = np.where(b < k, move[before[tok], np.minimum(b, k - 1), c], 0.0)  # no word before the start
    assert np.array_equal(scores, move_b + stay[own[tok], b, c])


def random_sparse_hmm(rng: np.random.Generator, k: int, order: int, lexical: bool) -> HMM:
    """An HMM with random tables where each vocabulary word allows only 1..k tags (the others
    -inf, as TnT's emissions for tags a word was never seen with), optionally with random
    lexicalised-transition ratios; words "w0".."w7" are known, others go to the suffix model."""
    vocab = [f"w{i}" for i in range(8)]
    emissions = np.log(rng.random((len(vocab), k)))
    for row in emissions:
        row[rng.permutation(k)[: rng.integers(0, k)]] = -np.inf  # keep at least one tag
    transitions = np.log(rng.dirichlet(np.ones(k + 1), size=(k + 1,) * order))
    arrays = {"options": np.array([2, k, order, 0, 0, 1.0, 10, 10, 2 if lexical else 0, 10.0]),
              "transitions": transitions, "emissions": emissions, "tag_logprob": np.log(np.full(k, 1 / k)),
              "lambdas": np.full(order + 1, 1 / (order + 1)), "unknown_rows": np.log(rng.random((1, k)))}
    arrays["vocab_bytes"], arrays["vocab_offsets"] = _strings(vocab)
    arrays["unknown_keys_bytes"], arrays["unknown_keys_offsets"] = _strings(["l"])
    if lexical:
        arrays["lexical_words_bytes"], arrays["lexical_words_offsets"] = _strings(vocab[:3])
        arrays["lexical_ratios"] = rng.normal(0, 1, (3, k, k + 1))
    return HMM.from_arrays(arrays)


def _strings(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = "".join(strings).encode()
    return np.frombuffer(data, np.uint8).copy(), np.cumsum([0] + [len(w.encode()) for w in strings])


@pytest.mark.parametrize("order, lexical", [(1, False), (2, False), (2, True)])
def test_pruned_viterbi_equals_dense_and_brute_force_on_random_sparse_hmms(order: int, lexical: bool,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The lattice Viterbi runs only over the tags a word can take (finite emissions). On
    random HMMs with sparse emissions (and unseen words, which keep every tag) its paths,
    like the dense Viterbi's, score the best of all tag sequences, and are that sequence
    where it is unique; the same in one call and one sentence per chunk, and through
    decode_with_confidence."""
    rng = np.random.default_rng(10 * order + lexical)
    for trial in range(4):
        hmm = random_sparse_hmm(rng, 3 + trial % 2, order, lexical)
        words = [f"w{i}" for i in range(8)] + ["zz"]
        queries = [[str(w) for w in rng.choice(words, n)] for n in rng.integers(1, 7, 12)] + [[]]
        decoded = {}
        for pruned in (True, False):
            hmm._pruned = pruned
            paths = decoded[pruned] = hmm.decode(queries)
            assert paths[-1] == []
            for tokens, path in zip(queries[:-1], paths):
                sequences, scores = enumerate_all(hmm, tokens)
                assert hmm.log_joint(tokens, path) == pytest.approx(scores.max(), abs=1e-5)  # dense: float32
                if np.sort(scores)[-2] < scores.max() - 1e-5:
                    assert tuple(path) == sequences[int(scores.argmax())]
            assert hmm.decode_with_confidence(queries)[0] == paths
        with monkeypatch.context() as patch:
            hmm._pruned = True
            patch.setattr(hmm, "_chunking", lambda viterbi, lattice=False: (1, 1))
            assert hmm.decode(queries) == decoded[True]


@pytest.mark.parametrize("order, lexical", [(1, False), (2, False), (2, True)])
def test_pruned_posteriors_equal_dense_and_brute_force_marginals(order: int, lexical: bool,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """decode_with_confidence over the lattice (forward-backward on the possible tags
    only): each chosen tag's confidence is its marginal over every tag sequence, as the
    dense forward-backward gives it; also with one sentence per chunk and blocks of a few
    edges, so that steps and sentences are split every way the code splits them."""
    import nlpkit_hmm.lattice as lattice_module

    rng = np.random.default_rng(100 + 10 * order + lexical)
    for trial in range(3):
        hmm = random_sparse_hmm(rng, 3 + trial % 2, order, lexical)
        words = [f"w{i}" for i in range(8)] + ["zz"]
        queries = [[str(w) for w in rng.choice(words, n)] for n in rng.integers(1, 7, 10)] + [[]]
        hmm._pruned = False
        dense_paths, dense = hmm.decode_with_confidence(queries)
        hmm._pruned = True
        paths, confidence = hmm.decode_with_confidence(queries)
        assert confidence[-1] == [] and paths == hmm.decode(queries)
        for tokens, path, conf, dense_conf, dense_path in zip(queries, paths, confidence, dense, dense_paths):
            assert conf == pytest.approx(brute_force_marginals(hmm, tokens, path), abs=1e-9)
            if path == dense_path:
                assert conf == pytest.approx(dense_conf, abs=1e-9)
        with monkeypatch.context() as patch:
            patch.setattr(hmm, "_chunking", lambda viterbi, lattice=False: (1, 1))
            patch.setattr(lattice_module, "BLOCK_EDGES", 3)
            again = hmm.decode_with_confidence(queries)
        assert again[0] == paths
        assert [c for row in again[1] for c in row] == pytest.approx([c for row in confidence for c in row], abs=1e-12)


def test_the_lattice_is_chosen_where_it_prunes() -> None:
    """TnT emissions of words seen with one of many tags: the lattice; add-k smoothing (every
    tag possible), or words seen with most of few tags: the dense Viterbi."""
    rng = np.random.default_rng(0)
    words = [[f"w{i}" for i in rng.integers(0, 300, 12)] for _ in range(200)]
    one = [[int(w[1:]) % 17 for w in s] for s in words]  # each word always has the same tag
    mixed = [[int(t) for t in rng.integers(0, 4, len(s))] for s in words]
    for smoothing, tags, k, pruned in (("tnt", one, 17, True), ("add-k", one, 17, False), ("tnt", mixed, 4, False)):
        hmm = HMM(order=2, smoothing=smoothing)
        hmm.fit(words, tags, k)
        assert hmm._pruned is pruned


def naive_lambdas(tag_seqs: list[list[int]], k: int, order: int) -> np.ndarray:
    """Brants (2000), figure 1, with dictionaries; ties split the count evenly."""
    grams: dict[tuple[int, ...], int] = {}
    for seq in tag_seqs:
        padded = [k] * order + seq + [k]
        for j in range(order, len(padded)):
            for n in range(1, order + 2):
                key = tuple(padded[j - n + 1: j + 1])
                grams[key] = grams.get(key, 0) + 1
    history = {}
    for key, c in grams.items():
        history[key[:-1]] = history.get(key[:-1], 0) + c
    votes = np.zeros(order + 1)
    for key, c in grams.items():
        if len(key) != order + 1:
            continue
        cases = []
        for n in range(1, order + 2):
            h = history[key[order + 1 - n: -1]]
            cases.append((grams[key[order + 1 - n:]] - 1) / (h - 1) if h > 1 else 0.0)
        winners = [i for i, x in enumerate(cases) if x == max(cases)]
        for i in winners:
            votes[i] += c / len(winners)
    lambdas = np.maximum(votes / votes.sum(), 1e-3)
    return lambdas / lambdas.sum()


@pytest.mark.parametrize("order", [1, 2])
def test_deleted_interpolation_follows_brants(order: int) -> None:
    rng = np.random.default_rng(7)
    tags = [list(rng.integers(0, 4, n)) for n in rng.integers(1, 9, 40)] + TINY_TAGS
    words = [["x"] * len(t) for t in tags]
    hmm = HMM(order=order, smoothing="tnt")
    hmm.fit(words, tags, 4)
    assert np.allclose(hmm.lambdas, naive_lambdas([[int(t) for t in s] for s in tags], 4, order))


# ------------------------------------------------------------------------- unknown words


def english_like() -> tuple[list[list[str]], list[list[int]]]:
    """Capitalised -ing words are verbs, capitalised -ly words adverbs, lower-case -ing words nouns."""
    words = {VERB: ["Running", "Singing", "Walking", "Reading", "Cooking"],
             ADV: ["Slowly", "Quickly", "Gently", "Rarely", "Kindly"],
             NOUN: ["building", "ceiling", "morning", "wedding", "painting"]}
    sentences, tags = [], []
    for tag, group in words.items():
        for w in group:
            sentences.append([w, "home", "."])
            tags.append([tag, NOUN, DET])  # DET stands in for punctuation here
    return sentences, tags


@pytest.mark.parametrize("order", [1, 2])
def test_the_suffix_model_tags_unseen_words_by_their_endings(order: int) -> None:
    hmm = HMM(order=order, unknown="suffix")
    hmm.fit(*english_like(), 4)
    paths = hmm.decode([["Jumping", "home", "."], ["Happily", "home", "."], ["evening", "home", "."]])
    assert [p[0] for p in paths] == [VERB, ADV, NOUN]
    none = HMM(order=order, unknown="none")
    none.fit(*english_like(), 4)
    assert len({p[0] for p in none.decode([["Jumping", "home", "."], ["Happily", "home", "."]])}) == 1


B, M, E, S = range(4)


def chinese_like() -> tuple[list[list[str]], list[list[int]]]:
    """Two-character words (B E) and single digits (S); after a word, a word is likelier than a digit."""
    sentences, tags = [], []
    for digit in "123456":
        sentences.append(["我", "们", "喜", "欢", digit, "。"])
        tags.append([B, E, B, E, S, S])
    for _ in range(6):
        sentences.append(["我", "们", "喜", "欢", "学", "习", "。"])
        tags.append([B, E, B, E, B, E, S])
    return sentences, tags


@pytest.mark.parametrize("order", [1, 2])
def test_the_chars_model_tags_an_unseen_digit_like_the_seen_ones(order: int) -> None:
    hmm = HMM(order=order, unknown="chars")
    hmm.fit(*chinese_like(), 4)
    assert hmm.decode([["我", "们", "喜", "欢", "7", "。"]]) == [[B, E, B, E, S, S]]
    assert hmm.decode([["我", "们", "喜", "欢", "３", "。"]]) == [[B, E, B, E, S, S]]  # full-width digit


def test_character_classes() -> None:
    cases = {"7": "digit", "３": "digit", "3.14": "digit", "中": "cjk", "中文": "cjk", "a": "latin",
             "Ｚ": "latin", "，": "punct", "!": "punct", "+": "symbol", "あ": "letter", "a1": "mixed", "": "other"}
    assert {t: token_class(t) for t in cases} == cases


@pytest.mark.parametrize("options", CONFIGS + [{"order": 2, "unknown": "chars"}], ids=str)
def test_strange_tokens_never_crash(options: dict) -> None:
    hmm = fitted(**options)
    strange = ["", " ", "\x00", "🙂", "ZZZZZZZZZZZZZZZZZZ", "a\u0301", "\U0010ffff", "x" * 500]
    paths, confidence = hmm.decode_with_confidence([strange, [], ["the"] * 300])
    assert [len(p) for p in paths] == [len(strange), 0, 300]
    assert all(0 < c <= 1 + 1e-9 for c in confidence[0])
    assert math.isfinite(hmm.log_joint(strange, paths[0]))


# ------------------------------------------------------------------------- saving


@pytest.mark.parametrize("options", CONFIGS + [{"order": 1, "unknown": "chars"}], ids=str)
def test_arrays_round_trip_through_safetensors(options: dict, tmp_path: Path) -> None:
    from safetensors.numpy import load_file, save_file

    hmm = fitted(**options)
    save_file(hmm.arrays(), str(tmp_path / "hmm.safetensors"))
    loaded = HMM.from_arrays(load_file(str(tmp_path / "hmm.safetensors")), **options)
    queries = QUERIES + [["Zebras", "quickly", "ran"]]
    assert loaded.decode_with_confidence(queries) == hmm.decode_with_confidence(queries)
    again = loaded.arrays()
    assert sorted(again) == sorted(hmm.arrays())
    for name, array in hmm.arrays().items():
        assert np.array_equal(again[name], array), name
        assert array.dtype.kind in "uif", name


def test_version_1_arrays_still_load_and_other_versions_fail_clearly() -> None:
    hmm = fitted(order=2)
    arrays = hmm.arrays()
    old = {**arrays, "options": np.concatenate([[1.0], arrays["options"][1:8]])}  # format 1: 8 options
    assert HMM.from_arrays(old).decode(QUERIES) == hmm.decode(QUERIES)
    with pytest.raises(InputError, match="format version 7.0; this nlpkit reads 1 and 2: refit"):
        HMM.from_arrays({**arrays, "options": np.concatenate([[7.0], arrays["options"][1:]])})


def test_lexical_arrays_are_checked() -> None:
    arrays = fitted(order=2, lexical=2).arrays()
    assert len(arrays["lexical_ratios"]) and "lexical_words_bytes" in arrays
    with pytest.raises(InputError, match="lexical_ratios"):
        HMM.from_arrays({**arrays, "lexical_ratios": arrays["lexical_ratios"][:, :, :-1]})
    with pytest.raises(InputError, match="'lexical_words_bytes' is missing"):
        HMM.from_arrays({k: v for k, v in arrays.items() if k != "lexical_words_bytes"})


def test_from_arrays_rejects_wrong_shapes_and_missing_arrays() -> None:
    arrays = fitted(order=2).arrays()
    cases = {
        "emissions": ("emissions", arrays["emissions"][:-1]),
        "transitions": ("transitions", arrays["transitions"][..., :-1]),
        "vocab_offsets": ("vocab_offsets", arrays["vocab_offsets"][:-1]),
        "options": ("options", arrays["options"][:5]),
        "unknown_rows": ("unknown_rows", arrays["unknown_rows"].T),
    }
    for name, (key, bad) in cases.items():
        with pytest.raises(InputError, match=name):
            HMM.from_arrays({**arrays, key: bad})
    for key in arrays:
        with pytest.raises(InputError, match=f"'{key}' is missing"):
            HMM.from_arrays({k: v for k, v in arrays.items() if k != key})
    with pytest.raises(InputError, match="UTF-8"):
        HMM.from_arrays({**arrays, "vocab_bytes": np.full_like(arrays["vocab_bytes"], 0xFF)})
    with pytest.raises(OptionError, match="order=1 does not match"):
        HMM.from_arrays(arrays, order=1)
    with pytest.raises(OptionError, match="no option 'beam'"):
        HMM.from_arrays(arrays, beam=3)


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize("options, message", [
    ({"order": 3}, "order must be 1"), ({"order": True}, "order must be 1"),
    ({"smoothing": "kneser-ney"}, "smoothing must be one of add-k, tnt"), ({"k": 0}, "k must be a positive"),
    ({"k": -1.0}, "k must be a positive"), ({"k": float("nan")}, "k must be a positive"),
    ({"unknown": "guess"}, "unknown must be one of"), ({"max_suffix": -1}, "max_suffix"),
    ({"rare_threshold": 0}, "rare_threshold"), ({"rare_threshold": 2.5}, "rare_threshold"),
    ({"lexical": -1}, "lexical must be an integer"), ({"lexical": 5, "order": 1}, "lexical needs order = 2"),
    ({"lexical_prior": 0}, "lexical_prior must be a positive"),
])
def test_bad_options_raise_option_errors(options: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        HMM(**options)


@pytest.mark.parametrize("sentences, tags, num_tags, error, message", [
    ([["a", "b"]], [[0, 4]], 4, InputError, r"sentence 0: tag 4 at position 1 is not an integer in 0\.\.3"),
    ([["a", "b"]], [[0, -1]], 4, InputError, "tag -1"),
    ([["a", "b"]], [[0, 1.5]], 4, InputError, "tag 1.5"),
    ([["a"], ["a", "b"]], [[0], [0]], 4, InputError, "sentence 1 has 2 tokens but 1 tags"),
    ([["a"]], [[0], [1]], 4, InputError, "1 sentences but 2 tag sequences"),
    ([], [], 4, InputError, "at least one training sentence"),
    ([[], []], [[], []], 4, InputError, "all were empty"),
    ([["a", 3]], [[0, 0]], 4, InputError, "tokens must be strings"),
    (["ab"], [[0, 0]], 4, InputError, "is a string"),
    ([["a"]], [[0]], 0, UsageError, "num_tags must be a positive integer"),
])
def test_bad_training_data_raises_clear_errors(sentences: list, tags: list, num_tags: int, error: type,
                                               message: str) -> None:
    with pytest.raises(error, match=message):
        HMM().fit(sentences, tags, num_tags)


def test_bad_use_raises_clear_errors() -> None:
    with pytest.raises(UsageError, match="not been fitted"):
        HMM().decode([["a"]])
    hmm = fitted()
    with pytest.raises(UsageError, match="list of sentences"):
        hmm.decode("the dog")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="each sentence to be a list of tokens"):
        hmm.decode(["the", "dog"])  # type: ignore[list-item]
    with pytest.raises(InputError, match="tokens must be strings"):
        hmm.decode([["the", None]])  # type: ignore[list-item]
    with pytest.raises(InputError, match="tokens must be strings"):
        hmm.decode([["the", ["dog"]]])  # type: ignore[list-item]
    with pytest.raises(InputError, match="2 tokens but 1 tags"):
        hmm.log_joint(["the", "dog"], [0])
    with pytest.raises(InputError, match="tag 9"):
        hmm.log_joint(["the"], [9])


def test_the_module_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "from nlpkit_hmm.hmm import HMM\n"
        "hmm = HMM(order=2)\n"
        "hmm.fit([['the', 'dog'], ['a', 'cat', 'runs']], [[0, 1], [0, 1, 2]], 3)\n"
        "hmm.decode([['the', 'zebra'], []])\n"
        "hmm.decode_with_confidence([['a', 'dog']])\n"
        "hmm.posteriors([['a', 'dog']]), hmm.expected_counts([['a', 'dog']])\n"
        "HMM.from_arrays(hmm.arrays())\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if m.startswith('torch'))\n"
    )
    path = os.pathsep.join([str(REPO / "plugins"), str(REPO), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": path},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_an_unseen_capitalised_word_reads_as_its_known_lowercase_form() -> None:
    from nlpkit_hmm.hmm import HMM

    sentences = [["dogs", "run"], ["cats", "run"], ["Rex", "barks"], ["please", "run"], ["Tom", "run"]]
    tags = [[0, 1], [0, 1], [2, 1], [3, 1], [2, 1]]  # 0 NOUN, 1 VERB, 2 PROPN, 3 INTJ
    hmm = HMM(order=1, unknown="suffix")
    hmm.fit(sentences, tags, 4)
    assert hmm.decode([["Please", "run"]]) == [[3, 1]]  # not PROPN, which capitals suggest


# -- forward-backward (nlpkit_hmm.forward_backward, nlpkit_hmm.lattice_forward_backward) --------


def brute_force_expectations(hmm: HMM, sentences: list[list[str]]) -> tuple[np.ndarray, list[np.ndarray], float]:
    """Expected (history, next) events [K+1]^(order+1), each sentence's tag posteriors [n, K] and
    the summed log-likelihood, by enumerating every tag sequence."""
    k, o = hmm.num_tags, hmm.order
    events, posteriors, log_likelihood = np.zeros((k + 1,) * (o + 1)), [], 0.0
    for tokens in sentences:
        sequences, scores = enumerate_all(hmm, tokens)
        total = np.logaddexp.reduce(scores)
        log_likelihood += total
        marginals = np.zeros((len(tokens), k))
        for seq, score in zip(sequences, scores):
            weight = math.exp(score - total)
            marginals[np.arange(len(tokens)), seq] += weight
            padded = [k] * o + list(seq) + [k]
            for j in range(o, len(padded)):
                events[tuple(padded[j - o: j + 1])] += weight
        posteriors.append(marginals)
    return events, posteriors, log_likelihood


def both_kernels(rng: np.random.Generator, order: int, lexical: bool):  # type: ignore[no-untyped-def]
    """Random sparse HMMs and queries, each run over the lattice and over all tags."""
    for trial in range(3):
        hmm = random_sparse_hmm(rng, 3 + trial % 2, order, lexical)
        words = [f"w{i}" for i in range(8)] + ["zz"]
        queries = [[str(w) for w in rng.choice(words, n)] for n in rng.integers(1, 6, 8)]
        for pruned in (True, False):
            hmm._pruned = pruned
            yield hmm, queries


@pytest.mark.parametrize("order, lexical", [(1, False), (2, False), (2, True)])
def test_posteriors_of_both_kernels_sum_to_one_and_equal_brute_force(order: int, lexical: bool) -> None:
    """HMM.posteriors, over the lattice and over all tags: each token's distribution over
    every tag sums to one and is its marginal over every tag sequence."""
    for hmm, queries in both_kernels(np.random.default_rng(200 + 10 * order + lexical), order, lexical):
        got = hmm.posteriors(queries + [[]])
        assert got[-1].shape == (0, hmm.num_tags)
        _, want, _ = brute_force_expectations(hmm, queries)
        for post, marginals in zip(got, want):
            np.testing.assert_allclose(post.sum(1), 1.0, atol=1e-12)
            np.testing.assert_allclose(post, marginals, atol=1e-9)


@pytest.mark.parametrize("options", CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_fitted_posteriors_equal_brute_force_and_hold_the_confidences(options: dict) -> None:
    hmm = fitted(**options)
    posteriors = hmm.posteriors(QUERIES)
    paths, confidence = hmm.decode_with_confidence(QUERIES)
    _, want, _ = brute_force_expectations(hmm, QUERIES)
    for post, marginals, path, conf in zip(posteriors, want, paths, confidence):
        np.testing.assert_allclose(post, marginals, atol=1e-9)
        assert conf == pytest.approx(post[np.arange(len(path)), path].tolist(), abs=1e-12)


@pytest.mark.parametrize("order, lexical", [(1, False), (2, False), (2, True)])
def test_expected_counts_of_both_kernels_equal_brute_force(order: int, lexical: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The E-step's events (start and end included), tag posteriors and log-likelihood are the
    enumeration's, over the lattice and over all tags; the same with one sentence per chunk
    and blocks of a few edges."""
    import nlpkit_hmm.lattice as lattice_module

    for hmm, queries in both_kernels(np.random.default_rng(300 + 10 * order + lexical), order, lexical):
        counts = hmm.expected_counts(queries + [[]])
        events, posteriors, log_likelihood = brute_force_expectations(hmm, queries)
        assert counts.log_likelihood == pytest.approx(log_likelihood, rel=1e-10)
        np.testing.assert_allclose(counts.events, events, atol=1e-9)
        np.testing.assert_allclose(counts.tags, np.concatenate(posteriors), atol=1e-9)
        assert counts.events.sum() == pytest.approx(sum(len(q) + 1 for q in queries))
        with monkeypatch.context() as patch:
            patch.setattr(hmm, "_chunking", lambda viterbi, lattice=False: (1, 1))
            patch.setattr(lattice_module, "BLOCK_EDGES", 3)
            again = hmm.expected_counts(queries)
        np.testing.assert_allclose(again.events, counts.events, atol=1e-12)
        np.testing.assert_allclose(again.tags, counts.tags, atol=1e-12)
        assert again.log_likelihood == pytest.approx(counts.log_likelihood, rel=1e-12)


def test_the_tables_baum_welch_reads_and_writes() -> None:
    """Setting a model's own tables changes nothing; the tables read are read-only copies of
    what is saved; a wrong shape or an unfitted model is refused."""
    hmm = fitted(order=2)
    arrays = hmm.arrays()
    assert np.array_equal(hmm.transitions, arrays["transitions"]) and np.array_equal(hmm.emissions, arrays["emissions"])
    assert len(hmm.vocabulary) == len(hmm.emissions) and "dog" in hmm.vocabulary
    with pytest.raises(ValueError, match="read-only"):
        hmm.emissions[0, 0] = 0.0
    paths = hmm.decode_with_confidence(QUERIES)
    hmm.set_tables(hmm.transitions.copy(), hmm.emissions.copy(), list(hmm.vocabulary))
    assert hmm.decode_with_confidence(QUERIES) == paths
    assert all(np.array_equal(a, arrays[name]) for name, a in hmm.arrays().items())
    with pytest.raises(UsageError, match="set_tables needs"):
        hmm.set_tables(hmm.transitions, hmm.emissions[1:], list(hmm.vocabulary))
    for use in (lambda h: h.transitions, lambda h: h.expected_counts([["a"]]), lambda h: h.posteriors([["a"]])):
        with pytest.raises(UsageError, match="not been fitted"):
            use(HMM())


# -- Baum-Welch (nlpkit_hmm.baum_welch) ---------------------------------------------------


@pytest.mark.parametrize("order", [1, 2])
def test_forward_backward_likelihood_and_counts_equal_brute_force(order: int) -> None:
    """The E-step's log-likelihood is log sum over every tag sequence of p(tokens, tags), and
    its expected counts are that enumeration's posterior-weighted counts."""
    hmm = fitted(order=order, unknown="none")
    sentences = [["the", "dog", "runs"], ["a", "cat"], ["dogs", "run", "quickly", "now"]]
    words = sorted({w for s in sentences for w in s})
    ids = np.array([words.index(w) for s in sentences for w in s])
    ngrams, emissions, ll = e_step(hmm, sentences, ids, len(words))
    want_ll, want_emissions, want_ngrams = 0.0, np.zeros_like(emissions), np.zeros_like(ngrams)
    for s in sentences:
        seqs, scores = enumerate_all(hmm, s)
        total = np.logaddexp.reduce(scores)
        want_ll += total
        for seq, score in zip(seqs, scores):
            weight = math.exp(score - total)
            padded = [4] * order + list(seq) + [4]
            for j in range(order, len(padded)):
                want_ngrams[tuple(padded[j - order: j + 1])] += weight
            for w, t in zip(s, seq):
                want_emissions[words.index(w), t] += weight
    assert ll == pytest.approx(want_ll, rel=1e-9)
    np.testing.assert_allclose(ngrams, want_ngrams, atol=1e-9)
    np.testing.assert_allclose(emissions, want_emissions, atol=1e-9)


def sxu_sample(corpus_file, first: int, count: int) -> tuple[list[list[str]], list[list[int]]]:  # type: ignore[no-untyped-def]
    """Characters and B/M/E/S tag ids of ``count`` real SXU sentences from line ``first``."""
    lines = corpus_file("sxu_cws", "train.txt").read_text(encoding="utf-8").splitlines()[first: first + count]
    sentences = [line.split() for line in lines if line.strip()]
    tag = {1: [3]}
    chars = [list("".join(words)) for words in sentences]
    tags = [[t for w in words for t in tag.get(len(w), [0, *[1] * (len(w) - 2), 2])] for words in sentences]
    return chars, tags


@pytest.mark.parametrize("order", [1, 2])
def test_baum_welch_never_lowers_the_likelihood_of_real_raw_text(corpus_file, order: int) -> None:
    """EM's guarantee, on 400 real SXU sentences re-estimated from an HMM fitted on 300 others.
    (The supervised model's own score is left out: it scores unseen characters with the
    unknown-word model, which is not a probability.)"""
    chars, tags = sxu_sample(corpus_file, 0, 300)
    raw, _ = sxu_sample(corpus_file, 300, 400)
    hmm = HMM(order=order, unknown="chars")
    hmm.fit(chars, tags, 4)
    lls = reestimate(hmm, raw, 4)
    assert len(lls) == 5
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(lls[1:])), lls
    assert lls[-1] > lls[1], lls
    assert len(hmm.decode(raw[:3])) == 3  # the re-estimated model still decodes


def test_baum_welch_checks_its_options() -> None:
    hmm = fitted()
    with pytest.raises(OptionError, match="iterations"):
        reestimate(hmm, [["the"]], -1)
    with pytest.raises(OptionError, match="anchor"):
        reestimate(hmm, [["the"]], 1, anchor=1.0)
    with pytest.raises(UsageError, match="non-empty raw sentence"):
        reestimate(hmm, [[]], 1)
    with pytest.raises(OptionError, match="lexical = 0"):
        reestimate(fitted(order=2, lexical=1), [["the"]], 1)
