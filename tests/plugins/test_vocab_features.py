"""The ``vocab`` encoder's character (char-CNN) and bigram features."""

from __future__ import annotations

import pytest
import torch

from nlpkit.batch import collate
from nlpkit.errors import OptionError, UsageError
from nlpkit.registry import registry

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ENGLISH = [["The", "cats", "sat"], ["Dogs", "ran", "fast"]]
CHINESE = [list("上海市"), list("北京")]


def encoder(**options):  # type: ignore[no-untyped-def]
    return registry("encoders").get("vocab")(**options)


def test_char_features_spell_each_token_with_unknown_characters_as_unk() -> None:
    enc = encoder(dim=4, char_dim=3, char_filters=5, max_word_chars=3)
    enc.fit(ENGLISH)
    assert enc.feature_names == ("chars",)
    chars = enc.chars
    found = enc.features(["cats", "Zxq"])["chars"]
    assert found[0] == [chars.id("c"), chars.id("a"), chars.id("t")]  # cut at max_word_chars
    assert found[1] == [chars.unk_id, chars.unk_id, chars.unk_id]  # Z, x and q never seen
    assert chars.id("<pad>") == 0
    assert enc.embedding_dim == 4 + 5


def test_bigram_features_are_each_tokens_left_and_right_bigrams() -> None:
    enc = encoder(dim=4, bigram_dim=6)
    enc.fit(CHINESE)
    rows = enc.features(list("上海市"))["bigrams"]
    bigrams = enc.bigrams
    assert [bigrams.items[i] for i in rows[1]] == ["上\x1f海", "海\x1f市"]
    assert bigrams.items[rows[0][0]] == "<bos>\x1f上"
    assert bigrams.items[rows[2][1]] == "市\x1f<eos>"
    assert all(rows[i][1] == rows[i + 1][0] for i in range(2))  # a right bigram is the next left one
    assert enc.features(list("上京"))["bigrams"][0][1] == bigrams.unk_id
    assert enc.embedding_dim == 4 + 2 * 6


def test_the_embedding_reads_words_and_features_side_by_side() -> None:
    torch.manual_seed(0)
    enc = encoder(dim=4, char_dim=3, char_filters=5, bigram_dim=2)
    enc.fit(ENGLISH)
    layer = enc.embedding()
    tokens = [["The", "cats"], ["ran"]]
    batch = collate([enc.encode(t) for t in tokens], enc.pad_id,
                    features={name: [enc.features(t)[name] for t in tokens] for name in enc.feature_names})
    out = layer(batch.ids, **batch.features)  # shape: [2, 2, E]
    assert out.shape == (2, 2, enc.embedding_dim)
    assert torch.all(out[1, 1] == 0)  # a padding token: no word vector, no characters, no bigrams
    alone = layer(batch.ids[1:, :1], **{k: v[1:, :1, :] for k, v in batch.features.items()})
    torch.testing.assert_close(alone[0, 0], out[1, 0])  # padding characters change nothing
    with pytest.raises(ValueError, match="'chars' features"):
        layer(batch.ids)


def test_an_unknown_word_keeps_its_spelling() -> None:
    enc = encoder(dim=4, char_dim=3, char_filters=5)
    enc.fit(ENGLISH)
    layer = enc.embedding()
    ids = torch.tensor([enc.encode(["Cats", "Dats"])])  # both unknown words
    chars = torch.tensor([enc.features(["Cats", "Dats"])["chars"]])
    out = layer(ids, chars=chars)  # shape: [1, 2, 9]
    assert torch.all(out[0, :, :4] == 0)  # <unk> words read as zeros...
    assert not torch.equal(out[0, 0, 4:], out[0, 1, 4:])  # ...but their letters differ


def test_feature_vocabularies_are_saved_and_loaded(tmp_path) -> None:
    enc = encoder(dim=4, char_dim=3, bigram_dim=2)
    enc.fit(ENGLISH)
    enc.to_disk(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bigrams.json", "chars.json", "vocab.json"]
    again = encoder(**enc.config())
    again.from_disk(tmp_path)
    ours, theirs = again.features(["cats", "Zoo"]), enc.features(["cats", "Zoo"])
    assert ours["chars"] == theirs["chars"] and ours["bigrams"].tolist() == theirs["bigrams"].tolist()
    assert again.embedding_dim == enc.embedding_dim


def test_features_before_fit_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no characters vocabulary yet"):
        encoder(char_dim=3).features(["a"])


@pytest.mark.parametrize("options", [{"char_dim": -1}, {"bigram_dim": -2}, {"char_dim": 3, "char_filters": 0},
                                     {"char_dim": 3, "max_word_chars": 0}])
def test_bad_feature_sizes_are_option_errors(options) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match="Encoder 'vocab'"):
        encoder(**options)


# -- learning: the spelling of unseen words -------------------------------------------------

SUFFIXES = {"ing": "VERB", "ly": "ADV", "ness": "NOUN"}


def write_suffix_corpus(path, n: int, seed: int):  # type: ignore[no-untyped-def]
    """Sentences of made-up words whose tag is given by their suffix alone; the stems of
    two corpora written with different seeds never meet, so every dev word is unseen."""
    import random

    rng = random.Random(seed)
    letters = "bcdfgkmprstvz" if seed % 2 else "aeiouhjlnqwxy"
    blocks = []
    for _ in range(n):
        words = []
        for _ in range(rng.randint(2, 6)):
            suffix = rng.choice(list(SUFFIXES))
            stem = "".join(rng.choice(letters) for _ in range(rng.randint(2, 5)))
            words.append(f"{stem}{suffix}\t{SUFFIXES[suffix]}")
        blocks.append("\n".join(words))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("char_dim", [0, 8])
def test_char_features_tag_unseen_words_by_their_spelling(tmp_path, char_dim) -> None:
    import nlpkit
    from nlpkit import training

    config = {
        "seed": 1,
        "task": {"name": "tag", "field": "ner"},
        "corpus": {"train": str(write_suffix_corpus(tmp_path / "train.txt", 150, seed=1)),
                   "dev": str(write_suffix_corpus(tmp_path / "dev.txt", 40, seed=2)), "format": "conll"},
        "tokenizer": {"name": "whitespace"},
        "encoder": {"name": "vocab", "dim": 8, "char_dim": char_dim, "char_filters": 16},
        "model": {"name": "lstm", "hidden_size": 16, "bidirectional": True},
        "trainer": {"name": "torch", "epochs": 6, "batch_size": 16, "lr": 0.02},
    }
    pipeline = training.train(config, tmp_path / "run", device="cpu", progress=False)
    accuracy = pipeline.meta["metrics"]["dev"]["accuracy"]
    if char_dim:
        assert accuracy >= 0.95, accuracy  # the suffix is in the letters
        loaded = nlpkit.load(tmp_path / "run")  # the character vocabulary travels with the pipeline
        text = "zubaring qoly"
        assert loaded(text).tokens.tags == pipeline(text).tokens.tags == ["VERB", "ADV"]
    else:
        assert accuracy <= 0.5, accuracy  # every dev word is <unk>: nothing tells the tags apart


def test_replace_maps_tokens_before_every_lookup(tmp_path) -> None:
    """A corpus converted to half-width punctuation still reads the full-width forms
    users type: words, characters and bigrams alike, and the table is saved."""
    enc = encoder(dim=4, char_dim=3, bigram_dim=2, replace={"。": ".", "，": ","})
    enc.fit([["我们", "去", "北京", "."], ["好", ",", "走", "."]])
    assert enc.encode(["北京", "。"]) == enc.encode(["北京", "."])
    full, half = enc.features(["北京", "，", "。"]), enc.features(["北京", ",", "."])
    assert full["chars"] == half["chars"] and full["bigrams"].tolist() == half["bigrams"].tolist()
    assert enc.fitted.unk_id not in enc.encode(["。"])
    enc.to_disk(tmp_path)
    again = encoder(**enc.config())
    again.from_disk(tmp_path)
    assert again.replace == {"。": ".", "，": ","} and again.encode(["。"]) == enc.encode(["."])


def test_replace_must_map_strings_to_strings() -> None:
    with pytest.raises(OptionError, match="option 'replace' must be a table of a string to a string or none"):
        encoder(dim=4, replace={"。": 1})


def assert_same_features(enc, sequences) -> None:  # type: ignore[no-untyped-def]
    batch = enc.features_batch(sequences)
    assert len(batch) == len(sequences)
    for seq, found in zip(sequences, batch):
        alone = enc.features(seq)
        assert list(found) == list(alone), seq
        for name, values in alone.items():
            assert torch.equal(torch.as_tensor(found[name]), torch.as_tensor(values)), (name, seq)


def test_batch_features_equal_each_sequences_features(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bigrams and lexicon features of single characters are looked up a batch at once;
    batches with longer tokens, empty sequences or the bigram joiner go one by one: the
    same arrays either way, unknown bigrams and <bos> / <eos> included."""
    lexicon = tmp_path / "words.txt"
    lexicon.write_text("上海\n上海市\n北京\n京市\n海\n𠀀上\n", encoding="utf-8")
    enc = encoder(dim=4, bigram_dim=3, lexicon=str(lexicon), lexicon_dim=2)
    enc.fit([*CHINESE, list("𠀀上海")])
    for sequences in ([list("上海市"), list("北京市"), list("海")], [list("京上海北京市𠀀上x")], [list("北")],
                      [["上海", "市"], list("北京")], [list("上海"), []], [list("上\x1f海")]):
        assert_same_features(enc, sequences)
    bigrams_only = encoder(dim=4, bigram_dim=3)
    bigrams_only.fit(CHINESE)
    assert_same_features(bigrams_only, [list("上海市"), list("京上")])
