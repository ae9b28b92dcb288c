"""The ``hmm`` model: :class:`~nlpkit_hmm.hmm.HMM` as a pipeline stage."""

from __future__ import annotations

from pathlib import Path

from nlpkit.count_model import CountModel
from nlpkit.errors import InputError, UsageError

from .hmm import HMM

#: The file of a pipeline's ``model/`` folder that holds the HMM's arrays.
WEIGHTS = "hmm.safetensors"


class HMMTagger(CountModel):
    """A supervised HMM tagger (TnT, Brants 2000): first- or second-order transitions,
    smoothed, with an emission model for unseen words, decoded by Viterbi over the
    whole batch with numpy. Reads token texts; never imports torch.

    Options:

    - ``order``: 1 (tag bigrams) or 2 (tag trigrams, as TnT);
    - ``smoothing``: ``tnt`` (deleted interpolation of uni-, bi- and trigram
      estimates) or ``add-k`` (with ``k``);
    - ``unknown``: how an unseen token is scored: ``suffix`` (TnT's suffix tries, for
      English), ``chars`` (character classes: digit, Latin letter, CJK ideograph,
      punctuation; for Chinese characters) or ``none`` (uniform);
    - ``max_suffix``, ``rare_threshold``: the suffix model reads up to ``max_suffix``
      final letters of words seen at most ``rare_threshold`` times;
    - ``lexical``: words seen at least this often condition the tag after them as well
      (lexicalised transitions, Lee et al. 2000; needs ``order = 2``; 0: off), their
      counts smoothed towards the tag bigrams with weight ``lexical_prior``.
    """

    name = "hmm"
    heads = ("tag",)

    def __init__(
        self,
        head: str,
        num_outputs: int,
        /,
        *,
        order: int = 2,
        smoothing: str = "tnt",
        k: float = 1.0,
        unknown: str = "suffix",
        max_suffix: int = 10,
        rare_threshold: int = 10,
        lexical: int = 0,
        lexical_prior: float = 10.0,
    ) -> None:
        super().__init__(head, num_outputs)
        self.order, self.smoothing, self.k, self.unknown = order, smoothing, k, unknown
        self.max_suffix, self.rare_threshold = max_suffix, rare_threshold
        self.lexical, self.lexical_prior = lexical, lexical_prior
        self.hmm = HMM(**self.config())  # checks the options now, before any data is read
        self.fitted = False

    def fit(self, tokens: list[list[str]], tags: list[list[int]]) -> None:
        self.hmm.fit(tokens, tags, self.num_outputs)
        self.fitted = True

    def predict(self, tokens: list[list[str]]) -> tuple[list[list[int]], list[list[float]]]:
        if not self.fitted:
            raise UsageError("Model 'hmm' has not been fitted: train it (nlpkit train) or load a saved pipeline.")
        return self.hmm.decode_with_confidence(tokens)

    def decode(self, tokens: list[list[str]]) -> list[list[int]]:
        """The Viterbi paths alone: no forward-backward for confidences."""
        if not self.fitted:
            raise UsageError("Model 'hmm' has not been fitted: train it (nlpkit train) or load a saved pipeline.")
        return self.hmm.decode(tokens)

    def to_disk(self, path: Path) -> None:
        from safetensors.numpy import save_file

        from nlpkit.io import atomic_path

        with atomic_path(path / WEIGHTS) as tmp:
            save_file(self.hmm.arrays(), str(tmp))

    def from_disk(self, path: Path) -> None:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        weights = path / WEIGHTS
        try:
            arrays = load_file(str(weights))
        except (OSError, ValueError, SafetensorError) as exc:
            raise InputError(f"cannot read the HMM's arrays: {exc}", str(weights)) from None
        self.hmm = HMM.from_arrays(arrays, **self.config())
        self.fitted = True
