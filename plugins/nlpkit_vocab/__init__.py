"""The ``vocab`` and ``one-hot`` encoders: a vocabulary built from the training tokens,
with a trainable embedding or a fixed one-hot input."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nlpkit import hookimpl
from nlpkit.encoder import Encoder
from nlpkit.errors import OptionError
from nlpkit.vocab import Vocab


class VocabEncoder(Encoder):
    """A vocabulary of the training tokens seen at least ``min_freq`` times (at most
    ``max_size``, most frequent first) and a trainable ``dim``-wide embedding in
    which unknown words read as zeros (what word dropout teaches a model)."""

    name = "vocab"

    def __init__(self, *, dim: int = 128, min_freq: int = 1, max_size: int | None = None, lowercase: bool = False) -> None:
        if dim < 1 or min_freq < 1 or (max_size is not None and max_size < 1):
            raise OptionError("Encoder 'vocab' needs dim >= 1, min_freq >= 1 and max_size >= 1 (or none).")
        self.dim, self.min_freq, self.max_size, self.lowercase = dim, min_freq, max_size, lowercase
        self.vocab: Vocab | None = None

    def normalise(self, token: str) -> str:
        return token.lower() if self.lowercase else token

    def fit(self, sequences: Iterable[Sequence[str]]) -> None:
        normalised = ([self.normalise(t) for t in seq] for seq in sequences)
        self.vocab = Vocab.build(normalised, self.min_freq, self.max_size)

    @property
    def embedding_dim(self) -> int:
        return self.dim

    def embedding(self):  # type: ignore[no-untyped-def]
        from .layers import WordEmbedding

        return WordEmbedding(len(self.fitted), self.dim, self.pad_id, self.fitted.unk_id)


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


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    register(VocabEncoder)
    register(OneHotEncoder, aliases=("onehot",))
