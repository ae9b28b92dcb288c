"""Smaller pipelines: a vocab encoder's rarely seen character bigrams dropped from its
bigram vocabulary and from the model's bigram embedding together, so that they read as
``<unk>`` from then on.

Bigrams are most of a Chinese character tagger's weights (95,000 rows of CTB6 bigrams
seen twice or more, against 4,600 characters), and most of them are rare. Keeping those
seen ``min_count`` times in the training text shrinks the pipeline; whether the model
notices is for the caller to measure on dev (benchmarks/build_pretrained.py keeps a
pruned pipeline only where the dev score moves by less than 0.001).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from nlpkit.errors import UsageError
from nlpkit.vocab import Vocab

from . import VocabEncoder, _bigrams


def prune_bigrams(pipeline: Any, sequences: Iterable[Sequence[str]], min_count: int) -> tuple[int, int]:
    """Keep the bigrams of ``pipeline``'s vocab encoder seen at least ``min_count`` times in
    ``sequences`` (the training tokens), in vocabulary and embedding alike, the specials
    first as before; ``(rows before, rows after)``. Save the pipeline to keep the result."""
    encoder = pipeline.encoder
    if not isinstance(encoder, VocabEncoder) or not encoder.bigram_dim:
        raise UsageError(f"Encoder '{encoder.name}' has no bigram feature (bigram_dim = 0): nothing to prune.")
    vocab = encoder.bigrams
    counts = Counter(bigram for seq in sequences for bigram in _bigrams(list(seq)))
    kept = Vocab([item for item in vocab.items[len(vocab.specials):] if counts[item] >= min_count], vocab.specials)
    _keep_rows(pipeline.model.embedding.bigrams, [vocab.index[item] for item in kept.items])
    encoder.bigrams = kept
    return len(vocab), len(kept)


def _keep_rows(layer: Any, rows: list[int]) -> None:
    """Keep only ``rows`` of an embedding layer's weight, in that order (in place)."""
    import torch

    with torch.no_grad():
        layer.weight = torch.nn.Parameter(layer.weight[torch.tensor(rows)].clone())
    layer.num_embeddings = len(rows)
