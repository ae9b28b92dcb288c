"""The ``vocab`` encoder's lexicon features: word roles and lengths from a dictionary."""

from __future__ import annotations

import random

import pytest

from nlpkit.errors import InputError, OptionError
from nlpkit.registry import registry
from nlpkit_vocab.lexicon import END_BASE, ROLE_BASE, START_BASE, B, E, Lexicon, M, S

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NANJING = ["南京", "南京市", "市长", "长江", "长江大桥", "大桥", "江"]


def brute_force(words: set[str], tokens: list[str]) -> list[list[int]]:
    """Every span checked against the lexicon, no pruning: the reference."""
    n = len(tokens)
    roles, starts, ends = [0] * n, [0] * n, [0] * n
    for i in range(n):
        for j in range(i, n):
            if "".join(tokens[i:j + 1]) not in words:
                continue
            roles[i] |= S if i == j else B
            if j > i:
                roles[j] |= E
            for k in range(i + 1, j):
                roles[k] |= M
            starts[i], ends[j] = max(starts[i], j - i + 1), max(ends[j], j - i + 1)
    return [[ROLE_BASE + r, START_BASE + min(s, 8), END_BASE + min(e, 8)] for r, s, e in zip(roles, starts, ends)]


def as_lists(features: dict) -> dict:
    """Features with arrays as nested lists, to compare with ==."""
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in features.items()}


def test_roles_and_lengths_of_a_hand_checked_sentence() -> None:
    rows = Lexicon(NANJING).features(list("南京市长江大桥"))
    assert [r[0] - ROLE_BASE for r in rows] == [B, E | M, E | B, E | B, E | M | S, M | B, E]
    assert [r[1] - START_BASE for r in rows] == [3, 0, 2, 4, 1, 2, 0]
    assert [r[2] - END_BASE for r in rows] == [0, 2, 3, 2, 2, 0, 4]


def test_pruned_matching_equals_checking_every_span() -> None:
    rng = random.Random(3)
    letters = "abcde"
    for _ in range(200):
        words = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 10))) for _ in range(rng.randint(1, 30))}
        tokens = [rng.choice(letters) for _ in range(rng.randint(0, 30))]
        assert Lexicon(words).features(tokens) == brute_force(words, tokens)


def test_multi_character_tokens_match_joined() -> None:
    rows = Lexicon(["NewYork", "York"]).features(["New", "York", "City"])
    assert [r[0] - ROLE_BASE for r in rows] == [B, E | S, 0]


def test_word_sets_list_the_longest_words_of_each_role_first() -> None:
    sets = Lexicon(NANJING).word_sets(list("南京市长江大桥"))
    assert sets[0] == [["南京市", "南京"], [], [], []]
    assert sets[4] == [[], ["长江大桥"], ["长江"], ["江"]]
    assert sets[6] == [[], [], ["长江大桥", "大桥"], []]
    many = Lexicon(["a" * n for n in range(1, 10)]).word_sets(list("a" * 9))
    assert many[0][0] == ["a" * 9, "a" * 8, "a" * 7, "a" * 6]  # at most WORDS_PER_SET, longest first


def test_word_lists_and_segmented_text_are_read(tmp_path) -> None:
    jieba_style = tmp_path / "dict.txt"
    jieba_style.write_text("南京 12 ns\n长江大桥 3 ns\n\n市长 9\n", encoding="utf-8")
    assert Lexicon.read(jieba_style).words == {"南京", "长江大桥", "市长"}
    segmented = tmp_path / "seg.txt"
    segmented.write_text("南京  市长  江\n大桥\n", encoding="utf-8")
    assert Lexicon.read(segmented, "segmented").words == {"南京", "市长", "江", "大桥"}


def test_an_empty_lexicon_is_an_input_error_naming_the_file(tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.txt: the lexicon holds no words"):
        Lexicon.read(empty)


def encoder(**options):  # type: ignore[no-untyped-def]
    return registry("encoders").get("vocab")(**options)


@pytest.mark.parametrize("options", [{"lexicon": "x.txt"}, {"lexicon_dim": 4}, {"lexicon_word_dim": 4},
                                     {"lexicon": "x.txt", "lexicon_dim": -1}])
def test_lexicon_options_come_in_pairs(options) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match="Encoder 'vocab'"):
        encoder(**options)


def test_a_missing_lexicon_file_is_an_input_error(tmp_path) -> None:
    enc = encoder(dim=4, lexicon=str(tmp_path / "nowhere.txt"), lexicon_dim=3)
    with pytest.raises(InputError, match="nowhere.txt"):
        enc.fit([list("南京")])


def test_the_pipeline_keeps_its_own_copy_of_the_lexicon(tmp_path) -> None:
    source = tmp_path / "words.txt"
    source.write_text("\n".join(NANJING) + "\n", encoding="utf-8")
    enc = encoder(dim=4, lexicon=str(source), lexicon_dim=3)
    enc.fit([list("南京市长江大桥")])
    assert enc.feature_names == ("lexicon",)
    assert enc.embedding_dim == 4 + 3 * 3
    saved = tmp_path / "encoder"
    saved.mkdir()
    enc.to_disk(saved)
    source.unlink()
    again = encoder(**enc.config())
    again.from_disk(saved)
    assert as_lists(again.features(list("长江大桥"))) == as_lists(enc.features(list("长江大桥")))
    layer = again.embedding()
    import torch

    ids = torch.tensor([again.encode(list("长江"))])
    lexicon = torch.from_numpy(again.features(list("长江"))["lexicon"]).unsqueeze(0)  # shape: [1, T, 3]
    assert layer(ids, lexicon=lexicon).shape == (1, 2, 4 + 9)


def test_lexicon_words_read_as_the_mean_vector_of_each_role_set(tmp_path) -> None:
    import torch

    source = tmp_path / "words.txt"
    source.write_text("\n".join(NANJING) + "\n", encoding="utf-8")
    enc = encoder(dim=4, lexicon=str(source), lexicon_word_dim=3)
    enc.fit([list("南京市长")])  # matches 南京, 南京市 and 市长 only
    assert enc.feature_names == ("lexicon_words",) and enc.embedding_dim == 4 + 4 * 3
    vocab = enc.lexicon_vocab
    assert vocab.items == ["<pad>", "<unk>", "南京", "南京市", "市长"]
    rows = enc.features(list("南京大桥"))["lexicon_words"]
    assert rows[0] == [vocab.id("南京"), 0, 0, 0] + [0] * 12  # begins 南京 (南京市 is not in the text)
    assert rows[2][:4] == [vocab.unk_id, 0, 0, 0]  # begins 大桥: in the lexicon, never matched in training
    layer = enc.embedding()
    ids = torch.tensor([enc.encode(list("南京市"))])
    out = layer(ids, lexicon_words=torch.tensor([enc.features(list("南京市"))["lexicon_words"]]))
    table = layer.lexicon_words.weight
    expected_b = (table[vocab.id("南京市")] + table[vocab.id("南京")]) / 2
    torch.testing.assert_close(out[0, 0, 4:7], expected_b)
    assert torch.all(out[0, 0, 7:] == 0)  # no M, E or S words for 南
    saved = tmp_path / "encoder"
    saved.mkdir()
    enc.to_disk(saved)
    again = encoder(**enc.config())
    again.from_disk(saved)
    assert as_lists(again.features(list("南京大桥"))) == as_lists(enc.features(list("南京大桥")))


def test_frequency_pooling_weighs_words_by_their_training_matches(tmp_path) -> None:
    import torch

    source = tmp_path / "words.txt"
    source.write_text("\n".join(NANJING) + "\n", encoding="utf-8")
    enc = encoder(dim=4, lexicon=str(source), lexicon_word_dim=3, lexicon_pooling="frequency")
    enc.fit([list("南京市长"), list("南京"), list("南京")])  # 南京 3 times, 南京市 and 市长 once
    vocab, layer = enc.lexicon_vocab, enc.embedding()
    assert layer.lexicon_words.weights.tolist() == [0.0, 1.0, 3.0, 1.0, 1.0]  # pad, unk, 南京, 南京市, 市长
    text = list("南京市长")
    ids = torch.tensor([enc.encode(text)])
    features = torch.tensor([enc.features(text)["lexicon_words"]])
    out = layer(ids, lexicon_words=features)
    table = layer.lexicon_words.weight
    # 南 begins 南京 (3) and 南京市 (1) and plays no other role: Z = 4, the B set is 4/4 of the weighted sum
    torch.testing.assert_close(out[0, 0, 4:7], 3 * table[vocab.id("南京")] + table[vocab.id("南京市")])
    # 市 ends 南京市 (1) and begins 市长 (1): Z = 2, each set is 4/2 of its one word
    torch.testing.assert_close(out[0, 2, 4:7], 2 * table[vocab.id("市长")])
    torch.testing.assert_close(out[0, 2, 10:13], 2 * table[vocab.id("南京市")])
    saved = tmp_path / "encoder"
    saved.mkdir()
    enc.to_disk(saved)
    again = encoder(**enc.config())
    again.from_disk(saved)
    loaded = again.embedding()
    loaded.load_state_dict(layer.state_dict(), strict=True)  # the weights travel with the model's weights
    torch.testing.assert_close(loaded(ids, lexicon_words=features), out)


@pytest.mark.parametrize("options, match", [
    ({"lexicon_word_dim": 3, "lexicon_pooling": "sum"}, "option 'lexicon_pooling' must be one of 'mean', 'frequency'"),
    ({"lexicon_dim": 4, "lexicon_pooling": "frequency"}, "lexicon_pooling = \"frequency\" weighs the matched words"),
    ({"lexicon_dim": 4, "lexicon_format": "csv"}, "option 'lexicon_format' must be one of 'words', 'segmented'"),
])
def test_bad_lexicon_pooling_and_format_are_option_errors(options, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match=match):
        encoder(lexicon="words.txt", **options)


# -- learning: boundaries of unseen words come from the lexicon ------------------------------


def write_words_corpus(path, words: list[str], n: int, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    lines = ["  ".join(rng.choice(words) for _ in range(rng.randint(3, 7))) for _ in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lexicon_dim", [0, 8])
def test_lexicon_features_segment_words_never_seen_in_training(tmp_path, lexicon_dim) -> None:
    from nlpkit import training

    rng = random.Random(0)
    made_up = sorted({"".join(rng.choice("abcdefgh") for _ in range(rng.randint(2, 4))) for _ in range(120)})
    rng.shuffle(made_up)
    seen, unseen = made_up[:60], made_up[60:]  # dev words never occur in training
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text("\n".join(made_up) + "\n", encoding="utf-8")
    encoder_options = {"name": "vocab", "dim": 8}
    if lexicon_dim:
        encoder_options |= {"lexicon": str(lexicon), "lexicon_dim": lexicon_dim}
    config = {
        "seed": 1,
        "task": {"name": "segment"},
        "corpus": {"train": str(write_words_corpus(tmp_path / "train.txt", seen, 200, seed=1)),
                   "dev": str(write_words_corpus(tmp_path / "dev.txt", unseen, 40, seed=2)), "format": "segmented"},
        "tokenizer": {"name": "char"},
        "encoder": encoder_options,
        "model": {"name": "lstm", "hidden_size": 16, "bidirectional": True},
        "trainer": {"name": "torch", "epochs": 6, "batch_size": 16, "lr": 0.02},
    }
    pipeline = training.train(config, tmp_path / "run", device="cpu", progress=False)
    f1 = pipeline.meta["metrics"]["dev"]["f1"]
    if lexicon_dim:
        assert f1 >= 0.85, f1
    else:
        assert f1 <= 0.6, f1  # letters alone cannot tell where an unseen word ends


def test_a_saved_lexicon_reads_back_with_the_same_match_table(tmp_path) -> None:
    words = ["南京", "南京市", "市长", "长江", "长江大桥", "大桥", "江", "ab cd"]
    lexicon = Lexicon(words)
    lexicon.save(tmp_path / "lexicon.txt")
    again = Lexicon.read(tmp_path / "lexicon.txt")
    assert again.words == lexicon.words and again._table == lexicon._table
    assert again.features(list("南京市长江大桥")) == lexicon.features(list("南京市长江大桥"))
    assert "ab cd" in again.words  # the table keeps a word with a space whole
    plain = [w for w in words if " " not in w]
    (tmp_path / "plain.txt").write_text("\n".join(plain) + "\n", encoding="utf-8")  # an older pipeline's copy
    assert Lexicon.read(tmp_path / "plain.txt")._table == Lexicon(plain)._table


# -- whole batches at once ------------------------------------------------------------


def trie_walk(lexicon: Lexicon, tokens: list[str]) -> list[list[int]]:
    """The per-start matching loop :meth:`Lexicon.feature_array` used before batches were
    matched at once, marking roles as it finds each word: the reference for both."""
    words, n = lexicon.words, len(tokens)
    prefixes = {w[:k] for w in words for k in range(1, len(w))}
    roles, starts, ends = [0] * n, [0] * n, [0] * n
    for i in range(n):
        text, j = tokens[i], i
        while True:
            if text in words:
                if i == j:
                    roles[i] |= S
                else:
                    roles[i] |= B
                    roles[j] |= E
                    for k in range(i + 1, j):
                        roles[k] |= M
                starts[i] = j - i + 1
                ends[j] = max(ends[j], j - i + 1)
            j += 1
            if j == n or text not in prefixes:
                break
            text += tokens[j]
    return [[ROLE_BASE + r, START_BASE + min(s, 8), END_BASE + min(e, 8)] for r, s, e in zip(roles, starts, ends)]


def batch_features(lexicon: Lexicon, sentences: list[list[str]]) -> list[list[list[int]]]:
    from nlpkit_vocab.codes import code_points

    text = "".join(map("".join, sentences))
    return [a.tolist() for a in lexicon.batch_feature_arrays(text, code_points(text), list(map(len, sentences)))]


@pytest.mark.parametrize("letters", ["abcde", "ab", "南京市长江大桥", "\x00a\U00020000\U0010ffff"])
def test_batch_matching_equals_the_trie_walk_on_random_lexicons(letters) -> None:  # type: ignore[no-untyped-def]
    """Words up to 12 letters (the batch looks up three-letter codes, then walks on), sentences
    of one letter to 30, words never crossing from one sentence into the next."""
    rng = random.Random(len(letters))
    for _ in range(150):
        words = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(rng.randint(1, 40))}
        lexicon = Lexicon(words)
        sentences = [[rng.choice(letters) for _ in range(rng.randint(1, 30))] for _ in range(rng.randint(1, 6))]
        expected = [trie_walk(lexicon, s) for s in sentences]
        assert expected == [brute_force(lexicon.words, s) for s in sentences]
        assert batch_features(lexicon, sentences) == expected
        assert [lexicon.features(s) for s in sentences] == expected


def test_batch_matching_of_the_hand_checked_sentence() -> None:
    lexicon = Lexicon(NANJING)
    sentences = [list("南京市长江大桥"), list("江"), list("长江")]
    assert batch_features(lexicon, sentences) == [lexicon.features(s) for s in sentences]
