"""The ``nlpkit`` spaCy component with the real pretrained pipelines: what it sets on a Doc
equals what the nlpkit pipeline predicts, batched or not; entities that do not align with
the Doc's tokens follow the alignment mode; saved models load back; errors say what to do.
Found through nlpkit's ``spacy_factories`` entry point, in a process that never imports nlpkit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings

import pytest
import spacy
from spacy.tokens import Doc

import nlpkit
from nlpkit.errors import UsageError
from nlpkit.pretrained import locate
from nlpkit.tasks.ner import Entity
from nlpkit_spacy.align import entity_spans

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SENTENCES = [
    "Barack Obama visited Paris and met Angela Merkel of Germany .",
    "EU rejects German call to boycott British lamb .",
    "Peter Blackburn reports from Brussels for Reuters .",
    "Manchester United beat Liverpool 2-1 at Old Trafford on Sunday, said Alex Ferguson.",
    "",
    "Apple's chief Tim Cook flew to Tokyo,  then to New York.",
]
ENGLISH = [
    "I don't like green eggs and ham, Sam-I-am.",
    "The quick brown fox jumps over the lazy dog.",
    "She sold 3 houses in New York last year!",
    "  Leading spaces and a\ttab.",
]
REVIEWS = ["a gripping , beautifully acted film", "dull , lifeless and far too long", "it is a movie .", ""]


def blank_with(pipeline: str, lang: str = "en", **config: object) -> spacy.Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("nlpkit", config={"pipeline": pipeline, **config})
    return nlp


def ents(doc: Doc) -> list[tuple[str, str, int, int]]:
    return [(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]


def nlpkit_ents(result) -> list[tuple[str, str, int, int]]:  # type: ignore[no-untyped-def]
    return [(e.text, e.label, e.start, e.end) for e in result.entities]


@pytest.fixture(scope="module")
def ner() -> spacy.Language:
    return blank_with("en-ner")


@pytest.fixture(scope="module")
def dev_sentences(corpus_file) -> list[str]:  # type: ignore[no-untyped-def]
    """The first 150 CoNLL-2003 dev sentences, words joined by spaces."""
    from nlpkit.corpus import read_corpus

    return [" ".join(e.tokens or ()) for e in read_corpus(corpus_file("conll2003", "dev"), "conll")][:150]


# -- ner -------------------------------------------------------------------------------


def test_entities_equal_nlpkit_s_own(ner, pipelines) -> None:  # type: ignore[no-untyped-def]
    found = 0
    for text in SENTENCES:
        doc = ner(text)
        expected = nlpkit_ents(pipelines("en-ner")(text))
        assert ents(doc) == expected
        assert doc._.nlpkit_misaligned == []
        found += len(expected)
    assert found >= 8


def test_entities_equal_nlpkit_s_own_on_conll_dev(ner, pipelines, dev_sentences) -> None:  # type: ignore[no-untyped-def]
    expected = [nlpkit_ents(r) for r in pipelines("en-ner").pipe(dev_sentences)]
    assert [ents(doc) for doc in ner.pipe(dev_sentences, batch_size=32)] == expected
    assert sum(map(len, expected)) > 100


def test_pipe_in_batches_equals_one_doc_at_a_time(ner) -> None:  # type: ignore[no-untyped-def]
    texts = SENTENCES * 3
    one_by_one = [ents(ner(t)) for t in texts]
    for batch_size in (1, 4, 1000):
        assert [ents(d) for d in ner.pipe(texts, batch_size=batch_size)] == one_by_one


# -- alignment -------------------------------------------------------------------------

#: "Obama visited Paris ." in tokens where the end of "Obama" falls inside a token.
WORDS, SPACES = ["Oba", "ma visited", "Paris", "."], [False, True, True, False]


def misaligned_doc(nlp: spacy.Language) -> Doc:
    return Doc(nlp.vocab, words=WORDS, spaces=SPACES)


def test_the_sentence_of_the_alignment_tests_has_two_entities(pipelines) -> None:  # type: ignore[no-untyped-def]
    assert nlpkit_ents(pipelines("en-ner")("Obama visited Paris .")) == [
        ("Obama", "PER", 0, 5), ("Paris", "LOC", 14, 19)]


def test_strict_drops_and_lists_an_entity_that_does_not_align(ner) -> None:  # type: ignore[no-untyped-def]
    component = ner.get_pipe("nlpkit")
    component._warned = False
    with pytest.warns(UserWarning, match=r"left out \(alignment_mode 'strict'\); doc._.nlpkit_misaligned"):
        doc = component(misaligned_doc(ner))
    assert ents(doc) == [("Paris", "LOC", 14, 19)]
    assert doc._.nlpkit_misaligned == [{"text": "Obama", "label": "PER", "start": 0, "end": 5}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per component
        component(misaligned_doc(ner))


def test_contract_keeps_the_tokens_inside_and_expand_the_tokens_touched() -> None:
    contract = blank_with("en-ner", alignment_mode="contract")
    assert ents(contract.get_pipe("nlpkit")(misaligned_doc(contract))) == [("Oba", "PER", 0, 3), ("Paris", "LOC", 14, 19)]
    expand = blank_with("en-ner", alignment_mode="expand")
    doc = expand.get_pipe("nlpkit")(misaligned_doc(expand))
    assert ents(doc) == [("Obama visited", "PER", 0, 13), ("Paris", "LOC", 14, 19)]
    assert doc._.nlpkit_misaligned == []


def test_entities_that_would_share_a_token_keep_the_first() -> None:
    doc = Doc(spacy.blank("en").vocab, words=["Oba", "ma Pa", "ris"], spaces=[False, False, False])
    first, second = Entity("Obama", "PER", 0, 5, 0.9, 0, 1), Entity("Paris", "LOC", 6, 11, 0.9, 1, 2)
    spans, left_out = entity_spans(doc, [first, second], "expand")
    assert [(s.text, s.label_) for s in spans] == [("Obama Pa", "PER")] and left_out == [second]
    spans, left_out = entity_spans(doc, [first, second], "strict")
    assert spans == [] and left_out == [first, second]


def test_a_contracted_entity_inside_one_token_is_left_out() -> None:
    doc = Doc(spacy.blank("en").vocab, words=["ObamaCare"], spaces=[False])
    entity = Entity("Obama", "PER", 0, 5, 0.9, 0, 1)
    assert entity_spans(doc, [entity], "contract") == ([], [entity])


# -- taggers ---------------------------------------------------------------------------


def test_pos_equals_nlpkit_s_tags_where_the_tokens_agree(pipelines) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_with("en-pos")
    for text in ENGLISH:
        doc, tokens = nlp(text), pipelines("en-pos")(text).tokens
        words = [(t.text, t.idx) for t in doc if not t.is_space]
        assert words == list(zip(tokens.texts, tokens.starts))  # en-pos tokenizes as spacy.blank("en")
        assert [t.pos_ for t in doc if not t.is_space] == tokens.tags
        assert all(t.tag_ == "" for t in doc)


def test_a_doc_token_takes_the_tag_of_the_nlpkit_token_holding_its_first_character(pipelines) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_with("en-pos")
    doc = Doc(nlp.vocab, words=["I", "don't", "like", "green", "eggs."], spaces=[True, True, True, True, False])
    tags = dict(zip(pipelines("en-pos")(doc.text).tokens.texts, pipelines("en-pos")(doc.text).tokens.tags))
    nlp.get_pipe("nlpkit")(doc)
    assert [t.pos_ for t in doc] == [tags["I"], tags["do"], tags["like"], tags["green"], tags["eggs"]]


@pytest.fixture(scope="module")
def ner_tags_tagger(tmp_path_factory, samples):  # type: ignore[no-untyped-def]
    """A ``tag`` pipeline (an HMM: fitted in a moment) whose labels are IOB2 tags, not UPOS."""
    from nlpkit import training

    folder = tmp_path_factory.mktemp("iob-tagger")
    (folder / "train.txt").write_text(samples.conll(samples.ner_sentences(200, seed=1)), encoding="utf-8")
    (folder / "dev.txt").write_text(samples.conll(samples.ner_sentences(40, seed=2)), encoding="utf-8")
    config = {"seed": 1, "task": {"name": "tag"}, "tokenizer": {"name": "whitespace"}, "model": {"name": "hmm"},
              "corpus": {"train": str(folder / "train.txt"), "dev": str(folder / "dev.txt"), "format": "conll"}}
    training.train(config, folder / "run", progress=False)
    return str(folder / "run")


def test_labels_that_are_not_upos_go_to_tag(ner_tags_tagger) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_with(ner_tags_tagger)
    text = "Mr Smith visited New York ."
    doc = nlp(text)
    assert [t.tag_ for t in doc] == nlpkit.load(ner_tags_tagger)(text).tokens.tags
    assert [t.tag_ for t in doc][:2] == ["O", "B-PER"] and all(t.pos_ == "" for t in doc)
    with pytest.raises(UsageError, match=r"attr 'pos' takes universal POS tags, and '.*run' has other labels \(B-LOC"):
        blank_with(ner_tags_tagger, attr="pos")


def test_attr_tag_puts_upos_tags_in_tag() -> None:
    doc = blank_with("en-pos", attr="tag")("I like green eggs.")
    assert [t.tag_ for t in doc] == ["PRON", "VERB", "ADJ", "NOUN", "PUNCT"] and all(t.pos_ == "" for t in doc)


def test_chinese_pos_on_words_from_the_nlpkit_tokenizer(pipelines) -> None:  # type: ignore[no-untyped-def]
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": "zh-cws"}}})
    nlp.add_pipe("nlpkit", config={"pipeline": "zh-pos"})
    text = "我来到北京清华大学。"
    doc, tokens = nlp(text), pipelines("zh-pos")(text).tokens
    assert [t.text for t in doc] == tokens.texts
    assert [t.pos_ for t in doc] == tokens.tags


# -- classifiers -----------------------------------------------------------------------


def test_cats_are_the_label_probabilities(pipelines) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_with("en-sentiment")
    for text in REVIEWS:
        doc, result = nlp(text), pipelines("en-sentiment")(text)
        if result.label is None:
            assert doc.cats == {}
            continue
        assert doc.cats == pytest.approx(result.probabilities)
        assert sum(doc.cats.values()) == pytest.approx(1.0)
        assert max(doc.cats, key=doc.cats.get) == result.label
    assert [max(d.cats, key=d.cats.get) for d in nlp.pipe(REVIEWS[:2])] == ["1", "0"]


def test_pipe_equals_per_doc_calls_for_tags_and_cats() -> None:
    pos, sentiment = blank_with("en-pos"), blank_with("en-sentiment")
    texts = ENGLISH * 2
    assert [[t.pos_ for t in d] for d in pos.pipe(texts, batch_size=3)] == [[t.pos_ for t in pos(x)] for x in texts]
    texts = REVIEWS * 2
    batched = [d.cats for d in sentiment.pipe(texts, batch_size=3)]
    for cats, text in zip(batched, texts):
        assert cats == pytest.approx(sentiment(text).cats, abs=1e-5)


# -- saving ----------------------------------------------------------------------------


def test_a_pretrained_name_round_trips_as_a_name(tmp_path, ner) -> None:  # type: ignore[no-untyped-def]
    ner.to_disk(tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "nlpkit" / "nlpkit.json").read_text(encoding="utf-8"))
    assert saved["pipeline"] == "en-ner" and saved["copy"] is None
    assert not (tmp_path / "model" / "nlpkit" / "pipeline").exists()
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == ["nlpkit"] and loaded.get_pipe("nlpkit").source == "en-ner"
    assert [ents(d) for d in loaded.pipe(SENTENCES)] == [ents(d) for d in ner.pipe(SENTENCES)]


def test_a_pipeline_folder_is_copied_into_the_model_and_read_from_there(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "my-ner"
    shutil.copytree(locate("en-ner"), folder)
    nlp = blank_with(str(folder))
    before = [ents(d) for d in nlp.pipe(SENTENCES)]
    nlp.to_disk(tmp_path / "model")
    assert (tmp_path / "model" / "nlpkit" / "pipeline" / "pipeline.json").is_file()
    loaded = spacy.load(tmp_path / "model")  # the folder still exists: its identical copy is used, not reloaded
    assert loaded.get_pipe("nlpkit")._folder == tmp_path / "model" / "nlpkit" / "pipeline"
    shutil.rmtree(folder)
    moved = spacy.load(tmp_path / "model")
    assert moved.get_pipe("nlpkit").source == str(folder)  # the config keeps the name it was given
    assert [ents(d) for d in moved.pipe(SENTENCES)] == before
    moved.to_disk(tmp_path / "model")  # saving over the model it was loaded from
    assert [ents(d) for d in spacy.load(tmp_path / "model").pipe(SENTENCES)] == before


# -- errors ----------------------------------------------------------------------------


def test_an_unknown_pipeline_name_says_what_is_installed() -> None:
    with pytest.raises(UsageError, match=r"Unknown pipeline 'en-nr'. Did you mean 'en-ner'\?.*nlpkit models"):
        blank_with("en-nr")


def test_a_segmenter_is_a_tokenizer_not_a_component() -> None:
    with pytest.raises(UsageError, match=r"'zh-cws-hmm' is a word segmentation pipeline.*nlpkit.Tokenizer.v1"):
        blank_with("zh-cws-hmm", lang="zh")


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="needs a pipeline"):
        spacy.blank("en").add_pipe("nlpkit")
    with pytest.raises(UsageError, match="alignment_mode must be one of strict, contract, expand, not 'loose'"):
        blank_with("en-ner", alignment_mode="loose")
    with pytest.raises(UsageError, match="attr must be one of auto, pos, tag"):
        blank_with("en-pos", attr="upos")


def test_a_missing_folder_is_an_error_when_the_component_is_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    nlp = blank_with(str(tmp_path / "nowhere"))
    with pytest.raises(UsageError, match=r"the pipeline folder '.*nowhere' does not exist, and no copy"):
        nlp("Obama visited Paris .")


# -- found by spaCy alone --------------------------------------------------------------

FRESH = """
import json, sys
import spacy
assert "nlpkit" not in sys.modules
nlp = spacy.blank("en")
assert spacy.registry.factories.get("nlpkit")
nlp.add_pipe("nlpkit", config={"pipeline": "en-ner"})
doc = nlp("Barack Obama visited Paris .")
print(json.dumps([[e.text, e.label_] for e in doc.ents]))
"""


def test_spacy_finds_the_factory_through_its_entry_point() -> None:
    result = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["Barack Obama", "PER"], ["Paris", "LOC"]]


FORKED = """
import json
import spacy
nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": "zh-cws"}}})
nlp.add_pipe("nlpkit", config={"pipeline": "zh-ner"})
texts = ["我叫张伟，在北京大学工作。", "张伟是中国人民大学的教授。"] * 4
def seen(docs):
    return [[[t.text for t in d], [[e.text, e.label_] for e in d.ents]] for d in docs]
print(json.dumps(seen(nlp.pipe(texts, n_process=2, batch_size=2)) == seen(nlp.pipe(texts))))
"""


def test_nlp_pipe_on_several_processes() -> None:
    """Forked workers run torch on one thread: on the pool the parent set up, they would hang."""
    result = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "true"
