"""WordVectors against gensim's KeyedVectors on the same vectors: files both ways, queries,
and the word-similarity and analogy evaluations (on hand-written files and on the files
gensim ships); then every kind of damaged file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlpkit import word2vec_format
from nlpkit.errors import InputError, UsageError
from nlpkit_word2vec import evaluate, ranking
from nlpkit_word2vec.vectors import WordVectors

try:
    import gensim
    from gensim.models import KeyedVectors
except ImportError:  # the comparisons skip; the rest runs
    gensim = KeyedVectors = None
DATA = Path(gensim.__file__).parent / "test" / "test_data" if gensim else Path("gensim-is-not-installed")
WORDSIM, SIMLEX, QUESTIONS = DATA / "wordsim353.tsv", DATA / "simlex999.txt", DATA / "questions-words.txt"
needs_gensim = pytest.mark.skipif(gensim is None, reason="gensim is not installed (pip install gensim)")
# gensim's most_similar_cosmul calls its own deprecated init_sims
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")


def _pair(words: list[str], matrix: np.ndarray):  # type: ignore[no-untyped-def]
    """Ours, and gensim's KeyedVectors on the same vectors (None without gensim)."""
    if KeyedVectors is None:
        return WordVectors(words, matrix), None
    kv = KeyedVectors(matrix.shape[1])
    kv.add_vectors(words, matrix)
    return WordVectors(words, matrix), kv


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    """40 random 8-dimensional vectors, with non-ASCII words."""
    words = [f"w{i}" for i in range(36)] + ["中国", "café", "naïve", "Ünïcode"]
    return _pair(words, np.random.default_rng(0).standard_normal((40, 8)).astype(np.float32))


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    if gensim is None:
        pytest.skip("gensim is not installed: its evaluation files come with it")
    return _shipped()


def _shipped():  # type: ignore[no-untyped-def]
    """Vectors for about 600 words of gensim's evaluation files, with planted analogies
    (a capital is its country plus one offset plus noise) and case variants."""
    rng = np.random.default_rng(1)
    questions = QUESTIONS.read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in questions[:507] + questions[8400:8700] if not line.startswith(":")]
    for path in (WORDSIM, SIMLEX):
        rows += [line.split("\t")[:2] for line in path.read_text(encoding="utf-8").splitlines()[2:160]]
    rows += [line.split() for line in questions[507:3000] if not line.startswith(":")]
    words = list(dict.fromkeys(w.lower() for row in rows for w in row))[:600]
    words[10:10] = ["Athens", "PARIS", "The"]  # case variants: the first (more frequent) one stands for all
    index = {w: i for i, w in enumerate(words)}
    matrix = rng.standard_normal((len(words), 24)).astype(np.float32)
    offset = rng.standard_normal(24).astype(np.float32) * 0.5
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[1:507]:  # capital-common-countries
        capital, country = (w.lower() for w in line.split()[:2])
        if capital in index and country in index:
            matrix[index[capital]] = matrix[index[country]] + offset + rng.standard_normal(24) * 0.2
    return _pair(words, matrix)


# --------------------------------------------------------------------------- files


@needs_gensim
@pytest.mark.parametrize("binary", [False, True])
def test_our_files_load_in_gensim(tmp_path: Path, small, binary: bool) -> None:  # type: ignore[no-untyped-def]
    ours, _ = small
    path = tmp_path / "v.bin"
    ours.save(path, binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert kv.index_to_key == ours.words
    assert np.array_equal(kv.vectors, ours.vectors)


@needs_gensim
@pytest.mark.parametrize("binary", [False, True])
def test_gensim_files_load_here(tmp_path: Path, small, binary: bool) -> None:  # type: ignore[no-untyped-def]
    ours, kv = small
    path = tmp_path / "v.txt"
    kv.save_word2vec_format(str(path), binary=binary)
    loaded = WordVectors.load(path, binary=binary)
    assert loaded.words == ours.words
    assert np.array_equal(loaded.vectors, ours.vectors)
    assert loaded.vectors.dtype == np.float32


def test_binary_rows_end_with_a_line_break_as_word2vec_c_writes(tmp_path: Path) -> None:
    WordVectors(["a", "b"], np.array([[1, 2], [3, 4]], np.float32)).save(tmp_path / "v.bin", binary=True)
    data = (tmp_path / "v.bin").read_bytes()
    assert data == b"2 2\na " + np.array([1, 2], "<f4").tobytes() + b"\nb " + np.array([3, 4], "<f4").tobytes() + b"\n"


def test_text_rows_read_with_a_trailing_space_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\r\nthe 0.1 -2 3e-2 \r\ncat 1 2 3\r\n\r\n")
    loaded = WordVectors.load(path)
    assert loaded.words == ["the", "cat"]
    assert np.array_equal(loaded.vectors, np.array([[0.1, -2, 0.03], [1, 2, 3]], np.float32))


def test_save_is_atomic_and_refuses_words_the_format_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="space, tab or line break"):
        WordVectors(["new york", "b"], np.ones((2, 3), np.float32)).save(path)
    assert path.read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["v.txt"]


# --------------------------------------------------------------------------- queries


def test_most_similar_equals_gensim(shipped) -> None:  # type: ignore[no-untyped-def]
    ours, kv = shipped
    for word in ("king", "athens", "Athens", "tiger"):
        expected = kv.most_similar(word, topn=10)
        got = ours.most_similar(word, topn=10)
        assert [w for w, _ in got] == [w for w, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-6)
    vector = ours.vector("king") + ours.vector("queen")
    assert [w for w, _ in ours.most_similar(vector, 5)] == [w for w, _ in kv.most_similar([vector], topn=5)]


def test_most_similar_excludes_words(shipped) -> None:  # type: ignore[no-untyped-def]
    ours, _ = shipped
    first = [w for w, _ in ours.most_similar("king", topn=4)]
    again = [w for w, _ in ours.most_similar("king", topn=3, exclude=first[:1])]
    assert again == first[1:]


@pytest.mark.parametrize("question", [("greece", "athens", "norway"), ("man", "king", "woman"),
                                      ("Athens", "greece", "PARIS")])
def test_analogies_equal_gensim(shipped, question: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    ours, kv = shipped
    a, b, c = question
    add = kv.most_similar(positive=[b, c], negative=[a], topn=5)
    assert [w for w, _ in ours.analogy(a, b, c, topn=5)] == [w for w, _ in add]
    assert [s for _, s in ours.analogy(a, b, c, topn=5)] == pytest.approx([s for _, s in add], abs=1e-6)
    mul = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)  # gensim adds 1e-6, not 1e-3
    got = ours.analogy(a, b, c, method="3cosmul", topn=5, eps=1e-6)
    assert [w for w, _ in got] == [w for w, _ in mul]
    assert [s for _, s in got] == pytest.approx([s for _, s in mul], rel=1e-5)


def test_planted_analogy_is_found(shipped) -> None:  # type: ignore[no-untyped-def]
    ours, _ = shipped
    assert ours.analogy("greece", "athens", "norway")[0][0] == "oslo"
    assert ours.analogy("greece", "athens", "norway", method="3cosmul")[0][0] == "oslo"


@needs_gensim
def test_similarity(small) -> None:  # type: ignore[no-untyped-def]
    ours, kv = small
    assert ours.similarity("w1", "中国") == pytest.approx(float(kv.similarity("w1", "中国")), abs=1e-6)
    assert ours.similarity("w3", "w3") == pytest.approx(1.0)


def test_unknown_word_names_it_and_suggests(small) -> None:  # type: ignore[no-untyped-def]
    ours, _ = small
    with pytest.raises(UsageError, match=r"'cafe' is not in the vocabulary.*Did you mean 'café'"):
        ours.most_similar("cafe")
    with pytest.raises(UsageError, match="'nope'"):
        ours.analogy("w1", "nope", "w2")
    with pytest.raises(UsageError, match="3cosadd or 3cosmul"):
        ours.analogy("w1", "w2", "w3", method="cosine")  # type: ignore[arg-type]


def test_constructor_checks() -> None:
    with pytest.raises(UsageError, match="2 words but 3 vectors"):
        WordVectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(UsageError, match="appears twice"):
        WordVectors(["a", "a"], np.zeros((2, 2)))
    wv = WordVectors(["a", "b"], np.zeros((2, 2), np.float64))
    assert wv.vectors.dtype == np.float32 and len(wv) == 2 and "a" in wv and "c" not in wv and wv.dim == 2
    assert wv.most_similar("a") == [("b", 0.0)]  # zero vectors: cosine 0, not NaN


# --------------------------------------------------------------------------- evaluations


def _gensim_similarity(kv, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    _, spearman, oov_percent = kv.evaluate_word_pairs(str(path), **kwargs)
    return spearman[0], oov_percent


@pytest.mark.parametrize("path", [WORDSIM, SIMLEX], ids=["wordsim353", "simlex999"])
def test_similarity_evaluation_equals_gensim_on_shipped_files(shipped, path: Path) -> None:  # type: ignore[no-untyped-def]
    ours, kv = shipped
    for restrict in (300_000, 200):
        spearman, oov_percent = _gensim_similarity(kv, path, restrict_vocab=restrict)
        score = ours.evaluate_similarity(path, restrict_vocab=restrict)
        assert score.spearman == pytest.approx(spearman, abs=1e-12)
        assert 100 * score.oov_ratio == pytest.approx(oov_percent, abs=1e-9)
        assert score.pairs > 20 and score.oov > 0


@needs_gensim
def test_similarity_evaluation_equals_gensim_on_a_hand_written_file(tmp_path: Path, small) -> None:  # type: ignore[no-untyped-def]
    ours, kv = small
    path = tmp_path / "pairs.tsv"
    path.write_text("# Word 1\tWord 2\tScore\n"
                    "w1\tw2\t7.5\nW3\tw4\t7.5\nw5\tCAFÉ\t1\nw6\t中国\t3.25\nw1\tunknown\t9\n"
                    "not a pair\nw7\tw8\tnot-a-number\nw9\tw10\t2\nw11\tw12\t7.5\nw13\tnaïve\t0\n",
                    encoding="utf-8")
    spearman, oov_percent = _gensim_similarity(kv, path)
    score = ours.evaluate_similarity(path)
    assert score.spearman == pytest.approx(spearman, abs=1e-12)
    assert (score.pairs, score.oov) == (7, 1)
    assert 100 * score.oov_ratio == pytest.approx(oov_percent)


def test_spearman_without_scipy_equals_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, 200).astype(float)  # many ties
    y = x + rng.integers(0, 3, 200)
    ranks = ranking.ranks
    assert ranking.pearson(ranks(x), ranks(y)) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    assert ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [3.5, 1.0, 3.5, 2.0]


def _gensim_sections(kv, path: Path, **kwargs) -> tuple[float, list[tuple[str, int, int]]]:  # type: ignore[no-untyped-def]
    score, sections = kv.evaluate_word_analogies(str(path), **kwargs)
    return score, [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]


@pytest.mark.parametrize("restrict", [300_000, 300])
def test_analogy_evaluation_equals_gensim_on_questions_words(shipped, restrict: int) -> None:  # type: ignore[no-untyped-def]
    ours, kv = shipped
    accuracy, sections = _gensim_sections(kv, QUESTIONS, restrict_vocab=restrict)
    score = ours.evaluate_analogies(QUESTIONS, restrict_vocab=restrict)
    assert [(s.name, s.correct, s.total) for s in score.sections] == sections
    assert score.accuracy == accuracy
    assert score.section("capital-common-countries").accuracy > 0.5  # the planted offset is found
    assert score.oov > 0 and score.total + score.oov == 19544


def test_analogy_evaluation_equals_gensim_on_a_hand_written_file(tmp_path: Path, shipped) -> None:  # type: ignore[no-untyped-def]
    ours, kv = shipped
    path = tmp_path / "questions.txt"
    path.write_text(": capitals\nGreece Athens Norway Oslo\ngreece athens norway OSLO\nathens greece oslo norway\n"
                    "Athens Greece PARIS france\ngreece athens nowhere oslo\ntoo few words\n\n"
                    ": empty\n: family\nman king woman queen\nboy girl brother sister\n", encoding="utf-8")
    accuracy, sections = _gensim_sections(kv, path)
    score = ours.evaluate_analogies(path)
    assert [(s.name, s.correct, s.total) for s in score.sections] == sections
    assert score.accuracy == accuracy and score.oov == 1
    assert score.section("empty").total == 0 and score.section("empty").accuracy == 0.0
    with pytest.raises(UsageError, match="Did you mean 'capitals'"):
        score.section("capital")


def test_analogy_evaluation_with_3cosmul(tmp_path: Path, shipped) -> None:  # type: ignore[no-untyped-def]
    """gensim's evaluation only knows 3CosAdd: the reference is its loop with most_similar_cosmul."""
    ours, kv = shipped
    lines = [ln for ln in QUESTIONS.read_text(encoding="utf-8").splitlines()[:2000] if not ln.startswith(":")]
    questions = [[w.lower() for w in ln.split()] for ln in lines]
    folded = {w for w in ours.words if ours.words[evaluate.folded_vocabulary(ours.words, 10**6)[w.upper()]] != w}  # "athens"
    questions = [q for q in questions if all(w in ours and w not in folded for w in q)]
    path = tmp_path / "q.txt"
    path.write_text(": all\n" + "\n".join(" ".join(q) for q in questions) + "\n", encoding="utf-8")
    correct = 0
    for a, b, c, expected in questions:
        sims = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
        predicted = None
        for predicted, _ in sims:  # gensim's rule: the last candidate when all are query words
            if predicted not in (a, b, c):
                break
        correct += predicted == expected
    score = ours.evaluate_analogies(path, method="3cosmul", eps=1e-6)
    assert (score.correct, score.total) == (correct, len(questions))
    assert len(questions) > 50 and correct > 10


def test_question_before_any_section_is_an_error(tmp_path: Path, small) -> None:  # type: ignore[no-untyped-def]
    ours, _ = small
    path = tmp_path / "q.txt"
    path.write_text("a b c d\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{path}:1: a question comes before"):
        ours.evaluate_analogies(path)


def test_nothing_to_score_is_an_error(tmp_path: Path, small) -> None:  # type: ignore[no-untyped-def]
    ours, _ = small
    path = tmp_path / "pairs.tsv"
    path.write_text("x\ty\t1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no pair to score"):
        ours.evaluate_similarity(path)


# --------------------------------------------------------------------------- damaged files

TEXT_CASES = {
    "empty": (b"", "the file is empty", None),
    "bad header": (b"two 3\na 1 2 3\n", "is not '<number of words> <dimensions>'", 1),
    "truncated": (b"3 2\na 1 2\nb 3 4\n", "ends after 2 of the 3 words", 4),
    "extra row": (b"1 2\na 1 2\nb 3 4\n", "the header says 1 words, but another row follows", 3),
    "too few values": (b"2 3\na 1 2 3\nb 1 2\n", "the word 'b' has 2 values, the header says 3", 3),
    "too many values": (b"1 2\na 1 2 3\n", "the word 'a' has 3 values, the header says 2", 2),
    "not a number": (b"1 3\na 1 x2 3\n", r"value 2 of the word 'a' \('x2'\) is not a number", 2),
    "not finite": (b"1 2\na 1 nan\n", "not a finite number", 2),
    "invalid utf-8": (b"2 2\na 1 2\n\xff\xfe 1 2\n", "invalid UTF-8 .* load it with binary=True", 3),
    "no word": (b"2 2\na 1 2\n 1 2\n", "does not start with a word", 3),
    "duplicate": (b"2 1\na 1\na 2\n", r"the word 'a' appears again \(first on line 2\)", 3),
}


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_damaged_text_files(tmp_path: Path, case: str) -> None:
    data, message, line = TEXT_CASES[case]
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as info:
        WordVectors.load(path)
    assert info.value.path == str(path) and info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: " if line else f"{path}: ")


def _row(word: bytes, *values: float) -> bytes:
    return word + b" " + np.array(values, "<f4").tobytes() + b"\n"


BINARY_CASES = {
    "truncated": (b"2 2\n" + _row(b"a", 1, 2) + _row(b"b", 3, 4)[:-5], "ends inside word 2 of the 2"),
    "extra data": (b"1 2\n" + _row(b"a", 1, 2) + _row(b"b", 3, 4), "the header says 1 words, but more data follows"),
    "bad header": (b"2\n" + _row(b"a", 1, 2), "is not '<number of words> <dimensions>'"),
    "invalid utf-8": (b"2 2\n" + _row(b"a", 1, 2) + _row(b"\xffb", 3, 4), "word 2 is not valid UTF-8"),
    "a text file": (b"2 2\na 0.123456 -1.5\nb 3.0 4.0\n", "load it with binary=False"),
    "not finite": (b"1 2\n" + _row(b"a", 1, float("inf")), r"word 1 \('a'\) has a value that is not a finite"),
    "duplicate": (b"2 1\n" + _row(b"a", 1) + _row(b"a", 2), r"word 2 \('a'\) appears twice"),
}


@pytest.mark.parametrize("case", list(BINARY_CASES))
def test_damaged_binary_files(tmp_path: Path, case: str) -> None:
    data, message = BINARY_CASES[case]
    path = tmp_path / "v.bin"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as info:
        WordVectors.load(path, binary=True)
    assert info.value.path == str(path) and str(info.value).startswith(f"{path}")


def test_binary_without_line_breaks_and_errors_replace(tmp_path: Path) -> None:
    path = tmp_path / "v.bin"
    path.write_bytes(b"2 2\n" + _row(b"a", 1, 2)[:-1] + _row(b"\xffb", 3, 4)[:-1])  # as gensim writes
    loaded = WordVectors.load(path, binary=True, errors="replace")
    assert loaded.words == ["a", "\ufffdb"] and loaded.vectors.tolist() == [[1, 2], [3, 4]]


def test_binary_file_across_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small) -> None:  # type: ignore[no-untyped-def]
    ours, _ = small
    monkeypatch.setattr(word2vec_format, "_CHUNK_BYTES", 7)  # every row straddles reads
    ours.save(tmp_path / "v.bin", binary=True)
    loaded = WordVectors.load(tmp_path / "v.bin", binary=True)
    assert loaded.words == ours.words and np.array_equal(loaded.vectors, ours.vectors)


def test_missing_file(tmp_path: Path) -> None:
    for binary in (False, True):
        with pytest.raises(InputError, match="cannot read the file"):
            WordVectors.load(tmp_path / "nope.txt", binary=binary)
