"""The ``vocab`` and ``one-hot`` encoders: a vocabulary built from the training tokens,
with a trainable embedding or a fixed one-hot input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import add
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from nlpkit import hookimpl
from nlpkit.encoder import Encoder
from nlpkit.errors import OptionError, UsageError
from nlpkit.options import check_types
from nlpkit.vocab import BOS, EOS, PAD, UNK, Vocab

if TYPE_CHECKING:
    import numpy as np

    from .lexicon import Lexicon


class VocabEncoder(Encoder):
    """A vocabulary of the training tokens seen at least ``min_freq`` times (at most
    ``max_size``, most frequent first) and a trainable ``dim``-wide embedding in
    which unknown words read as zeros (what word dropout teaches a model).

    Two optional features join the word vector (their vocabularies also keep items
    seen ``min_freq`` times and are saved beside ``vocab.json``):

    - ``char_dim > 0``: the characters of each word (case kept, at most
      ``max_word_chars``) through a ``char_dim``-wide embedding and a char-CNN of
      ``char_filters`` filters ``char_width`` wide, max-pooled over the word (Ma & Hovy
      2016): an unseen word still has a spelling, a suffix and a capital letter;
    - ``bigram_dim > 0``: for character-level Chinese tasks, the bigrams each token
      forms with its left and right neighbours (``<bos>``/``<eos>`` at the ends), each
      ``bigram_dim`` wide (Chen et al. 2015, Zhang & Yang 2018);
    - ``lexicon_dim > 0`` with ``lexicon = FILE``: the roles (B, M, E, S) each token plays
      in the lexicon's words that match the sentence, and the longest such word starting
      and ending at it, three vectors ``lexicon_dim`` wide (softword features, Zhang &
      Yang 2018). ``FILE`` is a word list (``lexicon_format = "words"``: the first field
      of each line, so jieba dictionaries work) or segmented text (``"segmented"``), a
      path or ``corpus:NAME/FILE``; the pipeline keeps its own copy, ``lexicon.txt``;
    - ``lexicon_word_dim > 0`` (with a lexicon): the matched words themselves, per role,
      each a learned ``lexicon_word_dim``-wide vector averaged over the set: four more
      vectors (SoftLexicon, Ma et al. 2020). Words matched in training get a vector;
      the others read as ``<unk>``. ``lexicon_pooling = "frequency"`` weighs each word by
      how often it matched the training text, normalised over the token's four sets
      together, as SoftLexicon does (``"mean"``, the default: a plain mean per set).

    ``replace`` (a table, token -> token) rewrites tokens before every lookup: it maps the
    forms users write onto those of a corpus converted to others, such as UD Chinese GSD's
    half-width punctuation (``replace = {"。" = ".", "，" = ","}``).

    Pretrained word vectors start the word embedding when ``vectors`` names a word2vec
    file (text, or binary with ``binary = true`` or a ``.bin`` name; ``nlpkit word2vec
    train`` writes one, as do gensim and fastText); training words the file lacks start
    random. ``dim`` is then the file's width (leave it out). ``extend_vocab`` also gives
    every word of the file its own row (at most ``max_size`` words in all, the training
    words first), so a word never seen in training but known to the vectors is not
    ``<unk>``; ``freeze`` keeps the word vectors fixed while the model trains. The file is
    read when the encoder is fitted; a saved pipeline keeps the trained embedding.
    """

    name = "vocab"
    #: Encoder ``word2vec`` is this encoder with ``vectors`` required.
    needs_vectors: ClassVar[bool] = False

    def __init__(
        self,
        *,
        dim: int | None = None,
        min_freq: int = 1,
        max_size: int | None = None,
        lowercase: bool = False,
        char_dim: int = 0,
        char_filters: int = 50,
        char_width: int = 3,
        max_word_chars: int = 20,
        bigram_dim: int = 0,
        lexicon: str = "",
        lexicon_format: Literal["words", "segmented"] = "words",
        lexicon_dim: int = 0,
        lexicon_word_dim: int = 0,
        lexicon_pooling: Literal["mean", "frequency"] = "mean",
        replace: dict[str, str] | None = None,
        vectors: str = "",
        binary: bool | None = None,
        freeze: bool = False,
        extend_vocab: bool = True,
    ) -> None:
        _check_vectors(self.name, self.needs_vectors, vectors, freeze)
        dim = dim if dim is not None or vectors else DEFAULT_DIM
        _check_sizes(1 if dim is None else dim, min_freq, max_size, char_dim, char_filters, char_width,
                     max_word_chars, bigram_dim)
        check_types(VocabEncoder, {"lexicon_format": lexicon_format, "lexicon_pooling": lexicon_pooling,
                                   "replace": replace},
                    "Encoder 'vocab'")
        _check_lexicon(lexicon, lexicon_dim, lexicon_word_dim, lexicon_pooling)
        self.dim, self.min_freq, self.max_size, self.lowercase = dim, min_freq, max_size, lowercase
        self.char_dim, self.char_filters, self.char_width = char_dim, char_filters, char_width
        self.max_word_chars, self.bigram_dim = max_word_chars, bigram_dim
        self.vocab: Vocab | None = None
        self.chars: Vocab | None = None
        self.bigrams: Vocab | None = None
        self.lexicon, self.lexicon_format, self.lexicon_dim = lexicon, lexicon_format, lexicon_dim
        self.lexicon_word_dim, self.lexicon_pooling = lexicon_word_dim, lexicon_pooling
        self.lexicon_words: Lexicon | None = None
        self.lexicon_vocab: Vocab | None = None
        self._lexicon_counts: list[float] | None = None  # frequency pooling: set by fit(); a loaded model's weights hold them
        self.replace = dict(replace or {})
        self.vectors, self.binary, self.freeze, self.extend_vocab = vectors, binary, freeze, extend_vocab
        self._initial: np.ndarray | None = None  # rows from the vectors file: set by fit()

    def normalise(self, token: str) -> str:
        token = self.replace.get(token, token)
        return token.lower() if self.lowercase else token

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids for one sequence of token texts; with neither ``replace`` nor ``lowercase``
        the tokens are looked up as they are, without a call per token."""
        if self.replace or self.lowercase:
            return super().encode(tokens)
        return self.fitted.encode(tokens)

    def _forms(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with ``replace`` applied (case kept): what every feature looks up."""
        return [self.replace.get(t, t) for t in tokens] if self.replace else list(tokens)

    def fit(self, sequences: Iterable[Sequence[str]]) -> None:
        sequences = [self._forms(seq) for seq in sequences]
        case = str.lower if self.lowercase else str
        self.vocab = Vocab.build(([case(t) for t in seq] for seq in sequences), self.min_freq, self.max_size)
        if self.vectors:
            self._fit_vectors()
        if self.char_dim:
            self.chars = Vocab.build((t[: self.max_word_chars] for seq in sequences for t in seq),
                                     self.min_freq, specials=FEATURE_SPECIALS)
        if self.bigram_dim:
            self.bigrams = Vocab.build((_bigrams(seq) for seq in sequences), self.min_freq, specials=FEATURE_SPECIALS)
        if self.lexicon:
            from nlpkit.config import resolve_corpus_path

            from .lexicon import Lexicon

            self.lexicon_words = Lexicon.read(resolve_corpus_path(self.lexicon, Path.cwd()), self.lexicon_format)
        if self.lexicon_word_dim:
            lexicon = self._fitted(self.lexicon_words, "lexicon")
            counts = Counter(w for seq in sequences for _, _, w in lexicon.spans(seq))
            self.lexicon_vocab = Vocab(sorted(counts), FEATURE_SPECIALS)
            if self.lexicon_pooling == "frequency":
                self._lexicon_counts = [float(counts.get(w, 0)) for w in self.lexicon_vocab.items]
                self._lexicon_counts[self.lexicon_vocab.unk_id] = 1.0  # a word never matched in training

    def _fit_vectors(self) -> None:
        """Read the vectors file: its width is ``dim``, its words may join the vocabulary,
        and its rows start the embedding."""
        from .vectors import extended, initial_rows, read_vectors

        words, vectors = read_vectors(self.vectors, self.binary)
        if self.dim is not None and self.dim != vectors.shape[1]:
            raise OptionError(f"Encoder '{self.name}' has dim = {self.dim}, but {self.vectors} holds "
                              f"{vectors.shape[1]}-wide vectors. Leave dim out (or set dim = {vectors.shape[1]}).")
        self.dim = vectors.shape[1]
        if self.extend_vocab:
            self.vocab = extended(self.fitted, [self.normalise(w) for w in words], self.max_size)
        self._initial = initial_rows(self.fitted, words, vectors, self.normalise)

    @property
    def initialised_share(self) -> float:
        """The share of the vocabulary whose rows come from the vectors file (after fit)."""
        import numpy as np

        return 0.0 if self._initial is None else float(np.mean(~np.isnan(self._initial[:, 0])))

    @property
    def feature_names(self) -> tuple[str, ...]:
        on = {"chars": self.char_dim, "bigrams": self.bigram_dim, "lexicon": self.lexicon_dim,
              "lexicon_words": self.lexicon_word_dim}
        return tuple(name for name, dim in on.items() if dim)

    def features(self, tokens: Sequence[str]) -> dict[str, list[list[int]] | np.ndarray]:
        """``chars``: each token's character ids; ``bigrams``: per token, the ids of
        its left and right bigrams (an array ``[tokens, 2]``); ``lexicon``: per token, its
        lexicon role set and longest word lengths (``[tokens, 3]``, see
        :mod:`nlpkit_vocab.lexicon`)."""
        import numpy as np  # here: listing plugins (nlpkit --help) must not import numpy

        tokens = self._forms(tokens)
        out: dict[str, list[list[int]] | np.ndarray] = {}
        if self.char_dim:
            chars = self._fitted(self.chars, "characters")
            out["chars"] = [chars.encode(t[: self.max_word_chars]) for t in tokens]
        if self.bigram_dim:
            ids = np.array(self._fitted(self.bigrams, "bigrams").encode(_bigrams(tokens)), dtype=np.int64)
            out["bigrams"] = np.stack((ids[:-1], ids[1:]), axis=1)  # shape: [tokens, 2]
        if self.lexicon_dim:
            out["lexicon"] = self._fitted(self.lexicon_words, "lexicon").feature_array(tokens)  # shape: [tokens, 3]
        if self.lexicon_word_dim:
            out["lexicon_words"] = self._lexicon_word_ids(tokens)
        return out

    def features_batch(self, sequences: Sequence[Sequence[str]]) -> list[dict[str, list[list[int]] | np.ndarray]]:
        """:meth:`features` of each sequence, the same arrays; bigrams and lexicon
        features of a batch of single-character tokens (Chinese text through the ``char``
        tokenizer) are looked up for the whole batch at once (:mod:`nlpkit_vocab.codes`)."""
        batched = (self.bigram_dim or self.lexicon_dim) and not (self.char_dim or self.lexicon_word_dim or self.replace)
        text = _single_chars(sequences) if batched else None
        if text is None:
            return super().features_batch(sequences)
        from .codes import code_points

        points, lengths = code_points(text), list(map(len, sequences))
        found: dict[str, list] = {}
        if self.bigram_dim:
            table = self._bigram_codes()
            if table is None:
                return super().features_batch(sequences)
            found["bigrams"] = _batch_bigrams(table, points, lengths)
        if self.lexicon_dim:
            found["lexicon"] = self._fitted(self.lexicon_words, "lexicon").batch_feature_arrays(text, points, lengths)
        return [dict(zip(found, values)) for values in zip(*found.values())]

    def _bigram_codes(self):  # type: ignore[no-untyped-def]
        """The bigram vocabulary's pairs of single characters (and ``<bos>``, ``<eos>``)
        as a code table, built on first use; None without ``<unk>``."""
        bigrams = self._fitted(self.bigrams, "bigrams")
        if getattr(self, "_bigram_table", (None, None))[0] is not bigrams:
            self._bigram_table = (bigrams, _bigram_table(bigrams))
        return self._bigram_table[1]

    def _lexicon_word_ids(self, tokens: Sequence[str]) -> list[list[int]]:
        """Per token, the ids of its four word sets, each padded to the same width."""
        from .lexicon import WORDS_PER_SET

        vocab = self._fitted(self.lexicon_vocab, "lexicon word")
        pad = [0] * WORDS_PER_SET
        return [[i for words in sets for i in (vocab.encode(words) + pad)[:WORDS_PER_SET]]
                for sets in self._fitted(self.lexicon_words, "lexicon").word_sets(tokens)]

    def _fitted(self, vocab, what: str):  # type: ignore[no-untyped-def]
        if vocab is None:
            raise UsageError(f"Encoder '{self.name}' has no {what} vocabulary yet: call fit() or from_disk() first.")
        return vocab

    @property
    def embedding_dim(self) -> int:
        return (self.dim + (self.char_filters if self.char_dim else 0) + 2 * self.bigram_dim + 3 * self.lexicon_dim
                + 4 * self.lexicon_word_dim)

    def embedding(self):  # type: ignore[no-untyped-def]
        from .layers import (
            CharCNN,
            FeatureEmbedding,
            SetEmbedding,
            SlotEmbedding,
            WordEmbedding,
        )
        from .lexicon import NUM_IDS

        words = WordEmbedding(len(self.fitted), self.dim, self.pad_id, self.fitted.unk_id)
        if self.vectors:
            _start_from(words, self._initial, self.freeze)
        if not self.feature_names:
            return words
        chars = bigrams = lexicon = lexicon_words = None
        if self.char_dim:
            chars = CharCNN(len(self._fitted(self.chars, "characters")), self.char_dim, self.char_filters, self.char_width)
        if self.bigram_dim:
            bigrams = SlotEmbedding(len(self._fitted(self.bigrams, "bigrams")), self.bigram_dim, slots=2)
        if self.lexicon_dim:
            lexicon = SlotEmbedding(NUM_IDS, self.lexicon_dim, slots=3)
        if self.lexicon_word_dim:
            size = len(self._fitted(self.lexicon_vocab, "lexicon word"))
            weights = None
            if self.lexicon_pooling == "frequency":  # after from_disk() the saved weights replace the ones
                weights = self._lexicon_counts or [1.0] * size
            lexicon_words = SetEmbedding(size, self.lexicon_word_dim, 4, weights=weights)
        return FeatureEmbedding(words, chars, bigrams, lexicon, lexicon_words)

    def to_disk(self, path: Path) -> None:
        super().to_disk(path)
        for name, vocab in (("chars", self.chars), ("bigrams", self.bigrams)):
            if name in self.feature_names:
                self._fitted(vocab, name).save(path / f"{name}.json")
        if self.lexicon:
            self._fitted(self.lexicon_words, "lexicon").save(path / "lexicon.txt")
        if self.lexicon_word_dim:
            self._fitted(self.lexicon_vocab, "lexicon word").save(path / "lexicon_words.json")

    def from_disk(self, path: Path) -> None:
        super().from_disk(path)
        if self.char_dim:
            self.chars = Vocab.load(path / "chars.json")
        if self.bigram_dim:
            self.bigrams = Vocab.load(path / "bigrams.json")
        if self.lexicon:
            from .lexicon import Lexicon

            self.lexicon_words = Lexicon.read(path / "lexicon.txt")
        if self.lexicon_word_dim:
            self.lexicon_vocab = Vocab.load(path / "lexicon_words.json")


def _start_from(words, initial, freeze: bool) -> None:  # type: ignore[no-untyped-def]
    """Copy the vectors file's rows into the word embedding (the others stay random), and
    keep it fixed with ``freeze``. After from_disk() there are no rows: the weights load."""
    import numpy as np
    import torch

    if initial is not None:
        known = ~np.isnan(initial[:, 0])
        with torch.no_grad():
            words.weight[torch.from_numpy(np.flatnonzero(known))] = torch.from_numpy(initial[known])
    words.weight.requires_grad_(not freeze)


def _check_vectors(name: str, needed: bool, vectors: str, freeze: bool) -> None:
    if needed and not vectors:
        raise OptionError(f"Encoder '{name}' needs vectors = FILE: a word2vec text or binary file "
                          "(nlpkit word2vec train writes one).")
    if freeze and not vectors:
        raise OptionError(f"Encoder '{name}' with freeze = true keeps pretrained vectors fixed: give vectors = FILE, "
                          "or leave freeze out.")


#: The word vectors' width when neither ``dim`` nor a vectors file gives one.
DEFAULT_DIM = 128
#: Feature vocabularies need padding (id 0) and unknown items, nothing else.
FEATURE_SPECIALS = (PAD, UNK)
#: Joins the two tokens of a bigram (tokens never contain it).
BIGRAM_JOINER = "\x1f"


def _bigrams(tokens: Sequence[str]) -> list[str]:
    """The ``len(tokens) + 1`` bigrams of a sequence padded with ``<bos>`` and ``<eos>``:
    token ``i``'s left bigram is number ``i``, its right one ``i + 1`` (the strings joined
    by ``map`` in C: this runs on every text predicted)."""
    return list(map(add, map(add, [BOS, *tokens], repeat(BIGRAM_JOINER)), [*tokens, EOS]))


def _single_chars(sequences: Sequence[Sequence[str]]) -> str | None:
    """All the tokens run together, if every sequence has tokens and all are single code
    points other than the bigram joiner; else None."""
    if not sequences or not all(sequences):
        return None
    text = "".join(map("".join, sequences))
    if len(text) != sum(map(len, sequences)) or any("" in seq for seq in sequences) or BIGRAM_JOINER in text:
        return None
    return text


def _bigram_table(bigrams: Vocab):  # type: ignore[no-untyped-def]
    """A code table of the bigrams of two single characters, or ``<bos>`` / ``<eos>`` and one."""
    import numpy as np

    from .codes import BITS, BOS_CODE, EOS_CODE, CodeTable, code_points

    if bigrams.unk_id is None:
        return None
    items, joiner = bigrams.items, ord(BIGRAM_JOINER)
    codes, ids = [], []
    for lead, trail, size in ((0, 0, 3), (BOS_CODE, 0, len(BOS) + 2), (0, EOS_CODE, len(EOS) + 2)):
        sized = np.array([i for i, n in enumerate(map(len, items)) if n == size], dtype=np.int64)
        points = code_points("".join([items[i] for i in sized])).reshape(-1, size)
        keep = points[:, 1 if not lead else -2] == joiner
        if lead:  # <bos> J character
            keep &= np.array([items[i].startswith(BOS) for i in sized], dtype=bool)
            codes.append(BOS_CODE | points[keep, -1] << BITS)
        elif trail:  # character J <eos>
            keep &= np.array([items[i].endswith(EOS) for i in sized], dtype=bool)
            codes.append(points[keep, 0] | EOS_CODE << BITS)
        else:  # character J character
            codes.append(points[keep, 0] | points[keep, 2] << BITS)
        ids.append(sized[keep])
    return CodeTable(np.concatenate(codes), np.concatenate(ids), bigrams.unk_id)


def _batch_bigrams(table, points, lengths: list[int]) -> list:  # type: ignore[no-untyped-def]
    """Per sequence, its tokens' left and right bigram ids ``[tokens, 2]``."""
    import numpy as np

    from .codes import BITS, BOS_CODE, EOS_CODE

    stops = np.cumsum(lengths)
    firsts = stops - lengths
    following = np.empty_like(points)
    following[:-1] = points[1:]
    following[stops - 1] = EOS_CODE
    ids = np.empty((len(points), 2), dtype=np.int64)  # shape: [tokens, 2]
    ids[:, 1] = table.get(points | following << BITS)
    ids[1:, 0] = ids[:-1, 1]
    ids[firsts, 0] = table.get(BOS_CODE | points[firsts] << BITS)
    return np.split(ids, stops[:-1].tolist())


def _check_sizes(dim, min_freq, max_size, char_dim, char_filters, char_width, max_word_chars, bigram_dim) -> None:  # type: ignore[no-untyped-def]
    if dim < 1 or min_freq < 1 or (max_size is not None and max_size < 1):
        raise OptionError("Encoder 'vocab' needs dim >= 1, min_freq >= 1 and max_size >= 1 (or none).")
    if char_dim < 0 or bigram_dim < 0:
        raise OptionError("Encoder 'vocab' needs char_dim >= 0 and bigram_dim >= 0 (0: no such feature).")
    if char_dim and (char_filters < 1 or char_width < 1 or max_word_chars < 1):
        raise OptionError("Encoder 'vocab' with char_dim > 0 needs char_filters >= 1, char_width >= 1 "
                          "and max_word_chars >= 1.")


def _check_lexicon(lexicon: str, lexicon_dim: int, lexicon_word_dim: int, pooling: str = "mean") -> None:
    if pooling == "frequency" and not lexicon_word_dim:
        raise OptionError("Encoder 'vocab' lexicon_pooling = \"frequency\" weighs the matched words, which "
                          "need lexicon_word_dim > 0 (and lexicon = FILE).")
    if lexicon_dim < 0 or lexicon_word_dim < 0:
        raise OptionError("Encoder 'vocab' needs lexicon_dim >= 0 and lexicon_word_dim >= 0 (0: no such feature).")
    if bool(lexicon) != bool(lexicon_dim or lexicon_word_dim):
        raise OptionError("Encoder 'vocab' lexicon features need both lexicon = FILE (a word list or segmented "
                          "text) and lexicon_dim > 0 or lexicon_word_dim > 0 (the width of their vectors).")


class OneHotEncoder(VocabEncoder):
    """The same vocabulary, fed to the model as one-hot vectors: a fixed identity
    embedding (no trainable weights, nothing saved), computed on the fly from ids."""

    name = "one-hot"

    def __init__(self, *, min_freq: int = 1, max_size: int | None = None, lowercase: bool = False) -> None:
        super().__init__(min_freq=min_freq, max_size=max_size, lowercase=lowercase)

    @property
    def embedding_dim(self) -> int:
        return len(self.fitted)

    def embedding(self):  # type: ignore[no-untyped-def]
        from .layers import OneHot

        return OneHot(len(self.fitted))


class Word2VecEncoder(VocabEncoder):
    """Encoder ``vocab`` with its word embedding started from trained word2vec vectors:
    ``vectors = FILE`` is required, every other option is ``vocab``'s."""

    name = "word2vec"
    needs_vectors = True


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    register(VocabEncoder)
    register(OneHotEncoder, aliases=("onehot",))
    register(Word2VecEncoder)
