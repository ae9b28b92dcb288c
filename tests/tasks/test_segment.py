"""The ``segment`` task: words to characters and BMES tags, a seeded dev hold-out, word
F1 with OOV recall (training words saved with the pipeline), and predicted words with
offsets, on hand-segmented sentences written for these tests (tests/tagging_samples.py)."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpkit.config import load_config
from nlpkit.corpus import Example, read_corpus
from nlpkit.errors import InputError, UsageError
from nlpkit.evaluation import evaluate
from nlpkit.pipeline import load
from nlpkit.registry import registry
from nlpkit.spans import bmes_to_words, tags_to_spans
from nlpkit.splits import split_examples
from nlpkit.tasks import task_class
from nlpkit.tasks.segment import SegmentResult, SegmentTask, word_tokens
from nlpkit.tasks.tag import Tagged
from nlpkit.testing import invoke
from nlpkit.tokens import Tokens
from nlpkit.training import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")




def corpus(tmp_path: Path, name: str, text: str) -> list[Example]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return read_corpus(tmp_path / name, "segmented")


def chars():  # type: ignore[no-untyped-def]
    return registry("tokenizers").get("char")(graphemes=False)


def vocab():  # type: ignore[no-untyped-def]
    return registry("encoders").get("vocab")(dim=4)


# -- data ---------------------------------------------------------------------------------


def test_registered_with_the_word_f1_metric() -> None:
    assert task_class("segment") is SegmentTask
    task = SegmentTask()
    assert (task.head, task.metric, task.scheme) == ("tag", "f1", "BMES")
    assert task.config() == {"dev_fraction": 0.1, "dev_seed": 42}
    with pytest.raises(UsageError, match="dev_fraction"):
        SegmentTask(dev_fraction=1.0)


def test_words_become_characters_and_bmes_tags(tmp_path) -> None:
    task = SegmentTask()
    train_ex = corpus(tmp_path, "train.txt", "我  来到  北京  清华大学\n他  来了\n")
    train_data, dev_data, labels = task.datasets(train_ex, corpus(tmp_path, "dev.txt", "我  来到\n"), chars(), vocab())
    assert sorted(labels.items) == ["B", "E", "M", "S"]
    assert train_data.tokens[0] == list("我来到北京清华大学")
    assert labels.decode(train_data.targets[0]) == ["S", "B", "E", "B", "E", "B", "M", "M", "E"]
    assert dev_data.tokens == [list("我来到")]
    assert task.words == {"我", "来到", "北京", "清华大学", "他", "来了"}


def test_without_a_dev_file_a_seeded_tenth_is_held_out(tmp_path, samples) -> None:
    lines = samples.cws_sentences(40, seed=3)
    examples = corpus(tmp_path, "train.txt", samples.segmented(lines))
    task = SegmentTask()
    train_data, dev_data, _ = task.datasets(examples, None, chars(), vocab())
    kept, held_out = split_examples(examples, (0.9, 0.1), 42)  # = [corpus] split = [0.9, 0.1], split_seed = 42
    assert (len(train_data), len(dev_data)) == (36, 4)
    assert dev_data.tokens == [list(e.text) for e in held_out]
    assert task.words == {w for e in kept for w in e.tokens}  # held-out words stay out of the dictionary
    with pytest.raises(UsageError, match="needs dev data"):
        SegmentTask(dev_fraction=0).datasets(examples, None, chars(), vocab())


def test_the_tokenizer_must_give_single_characters(tmp_path) -> None:
    examples = corpus(tmp_path, "train.txt", "我  来到  北京\n")
    whitespace = registry("tokenizers").get("whitespace")()
    with pytest.raises(UsageError, match=r"train.txt:1: the segment task tags single characters.*graphemes = false"):
        SegmentTask().datasets(examples, examples, whitespace, vocab())


def test_tagged_corpora_are_refused() -> None:
    tagged = [Example(tokens=("我",), tags={"tag": ("S",)}, source="c.bmes:4")]
    with pytest.raises(InputError, match="c.bmes:4: the segment task learns from word-segmented text"):
        SegmentTask().datasets(tagged, tagged, chars(), vocab())


def test_a_model_scheme_other_than_bmes_is_refused() -> None:
    SegmentTask().check_config({"model": {"name": "bilstm-crf", "scheme": "bmes"}})
    with pytest.raises(UsageError, match="'segment' reads tags in scheme BMES"):
        SegmentTask().check_config({"model": {"name": "bilstm-crf", "scheme": "IOB2"}})


# -- words from tags ----------------------------------------------------------------------


def tagged(text: str, tags: list[str]) -> Tagged:
    tokens = chars()(text)
    tokens.tags = tags
    return Tagged(text, tokens, [1.0] * len(tags))


def test_words_follow_the_tags_and_never_span_whitespace() -> None:
    words = word_tokens(tagged("我来到 北京。", ["S", "B", "E", "B", "E", "S"]))
    assert words.texts == ["我", "来到", "北京", "。"]
    assert list(zip(words.starts, words.ends)) == [(0, 1), (1, 3), (4, 6), (6, 7)]
    across = word_tokens(tagged("北 京", ["B", "E"]))  # a word the tags run across a space is cut there
    assert across.texts == ["北", "京"] and across.starts == [0, 2]
    lenient = word_tokens(tagged("北京大学", ["M", "E", "E", "S"]))  # read as bmes_to_words reads them
    assert lenient.texts == bmes_to_words("北京大学", ["M", "E", "E", "S"]) == ["北京", "大", "学"]


_OPENS, _CLOSES = {"B", "S"}, {"E", "S"}


def per_token_words(text: str, tokens: Tokens) -> Tokens:
    """The per-token reading the batched one replaced, kept as the reference it must equal."""
    tags, starts, ends = tokens.tags or [], tokens.starts, tokens.ends
    if not tags:
        return Tokens(text, [], [], [])
    cuts = [i for i in range(1, len(tags))
            if tags[i] in _OPENS or tags[i - 1] in _CLOSES or ends[i - 1] != starts[i]]
    firsts, lasts = [0, *cuts], [c - 1 for c in cuts] + [len(tags) - 1]
    word_starts, word_ends = [starts[i] for i in firsts], [ends[i] for i in lasts]
    return Tokens(text, [text[a:b] for a, b in zip(word_starts, word_ends)], word_starts, word_ends)


#: A text as pieces: a token (one or more characters, Chinese, Latin or mixed) and the
#: whitespace after it (none, a space, a tab, an ideographic space...).
pieces = st.lists(st.tuples(st.text("字北京aZ9。", min_size=1, max_size=3),
                            st.sampled_from(["", "", "", " ", "\t", "\u3000", "  "]),
                            st.sampled_from(["B", "M", "E", "S", "O", "B-X", "", "X"])), max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", " ", "  "]), pieces), max_size=5), st.booleans())
def test_batched_words_equal_the_per_token_reading(texts, with_scores) -> None:
    """Any tokens (several characters, whitespace between and around them), any tags
    (ill-formed, and labels outside BMES): the words built for a whole batch at once, and
    their mean scores, are the per-token reading's."""
    from nlpkit.tasks.segment import batch_words
    from nlpkit.tasks.tag import TagRun

    built = []
    for lead, parts in texts:
        text, words, tags = lead, [], []
        for word, space, tag in parts:
            words.append((word, len(text), len(text) + len(word)))
            text += word + space
            tags.append(tag)
        tokens = Tokens.from_tokens(text, words)
        tokens.tags = tags
        built.append((text, tokens))
    labels = ["B", "M", "E", "S", "O", "B-X", "", "X"]
    nonempty = [i for i, (_, tokens) in enumerate(built) if len(tokens)]
    ids = [[labels.index(t) for t in built[i][1].tags] for i in nonempty]
    confidence = [[(k % 7 + 1) / 8 for k in range(len(p))] for p in ids] if with_scores else None
    done = TagRun([tokens for _, tokens in built], nonempty, ids, confidence)
    words, scores = batch_words([text for text, _ in built], done, labels)
    assert words == [per_token_words(text, tokens) for text, tokens in built]
    assert [w.text for w in words] == [text for text, _ in built]
    for text, tokens in built:
        assert word_tokens(Tagged(text, tokens)) == per_token_words(text, tokens)
    if with_scores:
        for k, i in enumerate(nonempty):
            bounds = [*(built[i][1].starts.index(s) for s in words[i].starts), len(ids[k])]
            expected = [sum(confidence[k][a:b]) / (b - a) for a, b in pairwise(bounds)]
            assert scores[i] == pytest.approx(expected, abs=1e-12)
    else:
        assert scores is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("BMES"), st.booleans()), max_size=12))
def test_words_are_the_chunks_conlleval_reads_cut_at_gaps(tags_and_gaps) -> None:
    """The one-pass reading equals the general one: conlleval's chunks of the BMES
    tags (any sequence, ill-formed ones too), each cut where the input has a space."""
    text = "".join("字" + (" " if gap else "") for _, gap in tags_and_gaps)
    tags = [tag for tag, _ in tags_and_gaps]
    words = word_tokens(tagged(text, tags))
    tokens = chars()(text)
    expected = []
    for span in tags_to_spans(tags, "BMES"):
        first = span.start
        for i in range(span.start + 1, span.end):
            if tokens.ends[i - 1] != tokens.starts[i]:
                expected.append((tokens.starts[first], tokens.ends[i - 1]))
                first = i
        expected.append((tokens.starts[first], tokens.ends[span.end - 1]))
    assert list(zip(words.starts, words.ends)) == expected
    assert words.texts == [text[a:b] for a, b in expected]


def test_result_formats() -> None:
    text = "我 来到"
    tokens = Tokens(text, ["我", "来", "到"], [0, 2, 3], [1, 3, 4], ["S", "B", "E"])
    result = SegmentResult(text, Tokens(text, ["我", "来到"], [0, 2], [1, 4]), tokens)
    assert result.format("text") == "我 来到\n"
    assert json.loads(result.format("json"))["words"] == [{"text": "我", "start": 0, "end": 1},
                                                        {"text": "来到", "start": 2, "end": 4}]
    assert result.format("conll") == "我\t0\t1\tS\n来\t2\t3\tB\n到\t3\t4\tE\n\n"


# -- training -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory, samples):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("segment")
    (folder / "train.txt").write_text(samples.segmented(samples.cws_sentences(80, seed=1)), encoding="utf-8")
    (folder / "dev.txt").write_text(samples.segmented(samples.cws_sentences(20, seed=2)), encoding="utf-8")
    config = load_config(None, base={
        "seed": 1,
        "task": {"name": "segment"},
        "corpus": {"train": str(folder / "train.txt"), "dev": str(folder / "dev.txt"), "format": "segmented"},
        "tokenizer": {"name": "char", "graphemes": False},
        "encoder": {"name": "vocab", "dim": 16},
        "model": {"name": "bilstm-crf", "hidden_size": 16, "dropout": 0.0, "scheme": "BMES"},
        "decoder": {"name": "viterbi"},
        "trainer": {"name": "torch", "epochs": 8, "batch_size": 8, "lr": 0.03},
    })
    start = time.perf_counter()
    pipeline = train(config, folder / "run", device="cpu", progress=False)
    return pipeline, folder, time.perf_counter() - start


def test_a_bilstm_crf_learns_to_segment(trained) -> None:
    pipeline, _, seconds = trained
    dev = pipeline.meta["metrics"]["dev"]
    assert dev["f1"] > 0.9, dev
    assert {"precision", "recall", "oov_rate", "oov_recall", "iv_recall", "accuracy", "loss"} <= set(dev)
    assert seconds < 30  # about 3 s on one thread


def test_predicted_words_spell_the_input(trained) -> None:
    pipeline, _, _ = trained
    texts = ["我今天去北京。", "老师 喜欢看电影", "", "朋友们明天参观人民公园。"]
    results = list(pipeline.pipe(texts, batch_size=3))
    assert results[0].words.texts == ["我", "今天", "去", "北京", "。"]
    for text, result in zip(texts, results):
        assert "".join(result.words.texts) == "".join(text.split())
        for word in result.words:
            assert text[word.start:word.end] == word.text
        chars = result.tokens.texts
        if " " not in text:  # the tags round-trip to the same words
            assert bmes_to_words(chars, result.tokens.tags) == result.words.texts
    assert len(results[2].words) == 0


def test_the_saved_pipeline_keeps_the_training_words_for_oov(trained, tmp_path) -> None:
    pipeline, folder, _ = trained
    saved = (folder / "run" / "model" / "task" / "words.txt").read_text(encoding="utf-8").split()
    assert set(saved) == pipeline.task.words and "人民公园" in saved
    loaded = load(folder / "run", device="cpu")
    assert loaded.task.words == pipeline.task.words
    (tmp_path / "test.txt").write_text("我  喜欢  北京\n他  看  天安门  。\n", encoding="utf-8")
    report = evaluate(loaded, tmp_path / "test.txt")
    assert report["gold_words"] == 7 and report["oov_rate"] == pytest.approx(1 / 7)  # 天安门 was never seen
    assert report["iv_recall"] > 0.8


def test_evaluate_cli_prints_an_undefined_oov_recall(trained, tmp_path) -> None:
    _, folder, _ = trained
    seen = (folder / "train.txt").read_text(encoding="utf-8").splitlines()[:3]  # only training words: no OOV
    (tmp_path / "seen.txt").write_text("\n".join(seen) + "\n", encoding="utf-8")
    table = invoke("evaluate", folder / "run", tmp_path / "seen.txt", "--device", "cpu")
    assert table.exit_code == 0, table.output
    rows = dict(line.split() for line in table.stdout.splitlines() if line.strip())
    assert rows["oov_rate"] == "0.0000" and rows["oov_recall"] == "n/a" and 0 < float(rows["iv_recall"]) <= 1
    as_json = invoke("evaluate", folder / "run", tmp_path / "seen.txt", "--device", "cpu", "--json")
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["oov_recall"] is None and report["iv_recall"] == pytest.approx(float(rows["iv_recall"]), abs=5e-5)

