"""The :class:`Encoder` base class: token texts to ids, and the model's input layer."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .component import Component
from .errors import UsageError
from .vocab import PAD, Vocab

if TYPE_CHECKING:
    import torch


class Encoder(Component):
    """Learns a vocabulary from training tokens, maps tokens to ids, and builds the
    embedding layer the model starts with (trainable, fixed one-hot, or pretrained).

    Subclasses implement :meth:`fit`, :meth:`embedding` and ``embedding_dim``; the
    vocabulary is saved and loaded by the base class.
    """

    vocab: Vocab | None = None

    @abstractmethod
    def fit(self, sequences: Iterable[Sequence[str]]) -> None:
        """Build the vocabulary from the training corpus's token texts."""

    @abstractmethod
    def embedding(self) -> torch.nn.Module:
        """A fresh input layer mapping ids ``[B, T]`` to vectors ``[B, T, embedding_dim]``."""

    @property
    @abstractmethod
    def embedding_dim(self) -> int:
        """Width of the vectors :meth:`embedding` returns."""

    def normalise(self, token: str) -> str:
        """How a token is looked up (subclasses may lowercase)."""
        return token

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids for one sequence of token texts; unknown tokens map to ``<unk>``."""
        return self.fitted.encode(map(self.normalise, tokens))

    def features(self, tokens: Sequence[str]) -> dict[str, Any]:
        """Per-token inputs beside the word ids, by name: for each token a list of ids
        (0 is padding), e.g. its characters, or, where every token has as many, one
        integer array ``[tokens, L]``. The layer :meth:`embedding` builds is called as
        ``layer(ids, **features)`` with each batched to ``[B, T, L]``. None by default."""
        return {}

    def features_batch(self, sequences: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
        """:meth:`features` of each sequence; an encoder may override it to do a batch's
        look-ups at once."""
        return [self.features(seq) for seq in sequences]

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The names :meth:`features` returns (empty: word ids only)."""
        return ()

    @property
    def fitted(self) -> Vocab:
        if self.vocab is None:
            raise UsageError(f"Encoder '{self.name}' has no vocabulary yet: call fit() or from_disk() first.")
        return self.vocab

    @property
    def pad_id(self) -> int:
        return self.fitted.special_id(PAD)

    def to_disk(self, path: Path) -> None:
        """Write what :meth:`fit` learned (``vocab.json``) into the directory ``path``."""
        self.fitted.save(path / "vocab.json")

    def from_disk(self, path: Path) -> None:
        """Read what :meth:`to_disk` wrote."""
        self.vocab = Vocab.load(path / "vocab.json")
