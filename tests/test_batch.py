"""nlpkit.batch: padding, masks, labels, and batch orders."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nlpkit.batch import Batch, bucketed_order, collate, sorted_order


def test_collate_pads_right_with_the_pad_id_and_masks_real_tokens() -> None:
    batch = collate([[5, 6, 7], [8], [9, 10]], pad_id=0)
    assert batch.ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert batch.mask.tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    assert batch.ids.dtype == torch.long
    assert batch.mask.dtype == torch.bool
    assert batch.lengths.tolist() == [3, 1, 2]
    assert batch.labels is None
    assert len(batch) == 3


def test_collate_uses_the_given_pad_id() -> None:
    batch = collate([[1], [2, 3]], pad_id=42)
    assert batch.ids.tolist() == [[1, 42], [2, 3]]
    assert batch.mask.tolist() == [[True, False], [True, True]]


def test_per_token_labels_are_padded_under_a_false_mask() -> None:
    batch = collate([[5, 6, 7], [8]], pad_id=1, labels=[[2, 3, 4], [5]])
    assert batch.labels is not None
    assert batch.labels.dtype == torch.long
    assert batch.labels.shape == batch.ids.shape
    assert batch.labels.tolist() == [[2, 3, 4], [5, 0, 0]]
    assert not batch.mask[1, 1:].any()


def test_sequence_labels_are_one_per_row() -> None:
    batch = collate([[5, 6], [7]], pad_id=0, labels=[3, 1])
    assert batch.labels is not None
    assert batch.labels.shape == (2,)
    assert batch.labels.dtype == torch.long
    assert batch.labels.tolist() == [3, 1]


def test_empty_sequences_get_one_masked_column() -> None:
    batch = collate([[], []], pad_id=0)
    assert batch.ids.shape == (2, 1)
    assert not batch.mask.any()


def test_batch_to_moves_every_tensor_and_keeps_none() -> None:
    batch = collate([[1, 2], [3]], pad_id=0, labels=[0, 1])
    moved = batch.to("meta")
    assert isinstance(moved, Batch)
    assert {moved.ids.device.type, moved.mask.device.type, moved.labels.device.type} == {"meta"}
    assert moved.mask.dtype == torch.bool
    assert batch.ids.device.type == "cpu"  # the original is untouched
    assert collate([[1]], pad_id=0).to("cpu").labels is None


LENGTHS = [int(n) for n in np.random.default_rng(0).integers(1, 60, size=203)]


def test_bucketed_order_is_a_permutation_of_all_indices() -> None:
    batches = bucketed_order(LENGTHS, batch_size=8, seed=1, epoch=0, bucket=5)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(LENGTHS)))
    assert all(1 <= len(b) <= 8 for b in batches)
    assert all(isinstance(i, int) for i in flat)


def test_bucketed_order_depends_only_on_seed_and_epoch() -> None:
    first = bucketed_order(LENGTHS, 8, seed=1, epoch=3)
    assert bucketed_order(list(LENGTHS), 8, seed=1, epoch=3) == first
    assert bucketed_order(LENGTHS, 8, seed=1, epoch=4) != first
    assert bucketed_order(LENGTHS, 8, seed=2, epoch=3) != first


def _padding(batches: list[list[int]]) -> int:
    """Padded positions the batches compute."""
    return sum(len(b) * max(LENGTHS[i] for i in b) - sum(LENGTHS[i] for i in b) for b in batches)


def test_bucketed_batches_hold_close_lengths() -> None:
    bucketed = bucketed_order(LENGTHS, 8, seed=1, epoch=0, bucket=50)
    rng = np.random.default_rng(5)
    random_order = rng.permutation(len(LENGTHS)).tolist()
    shuffled = [random_order[i:i + 8] for i in range(0, len(random_order), 8)]
    assert _padding(bucketed) * 5 < _padding(shuffled)
    # within one pool everything is sorted, so each batch spans only a few lengths
    spans = [max(LENGTHS[i] for i in b) - min(LENGTHS[i] for i in b) for b in bucketed]
    assert max(spans) <= 10


def test_bucketed_order_shuffles_the_batches() -> None:
    batches = bucketed_order(LENGTHS, 8, seed=1, epoch=0)
    maxima = [max(LENGTHS[i] for i in b) for b in batches]
    assert maxima != sorted(maxima)


def test_sorted_order_batches_by_length_longest_first_stably() -> None:
    lengths = [3, 1, 2, 1, 3]
    assert sorted_order(lengths, 2) == [[0, 4], [2, 1], [3]]
    assert sorted_order([], 4) == []


@pytest.mark.parametrize("batch_size", [1, 3, 500])
def test_sorted_order_covers_every_index_once(batch_size: int) -> None:
    batches = sorted_order(LENGTHS, batch_size)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(LENGTHS)))
    assert [LENGTHS[i] for i in flat] == sorted(LENGTHS, reverse=True)


def test_features_are_padded_to_the_longest_list_with_zeros() -> None:
    chars = [[[3, 4, 5], [6]], [[7, 8]]]  # per sequence, per token: character ids
    batch = collate([[1, 2], [3]], pad_id=0, features={"chars": chars})
    assert batch.features["chars"].tolist() == [[[3, 4, 5], [6, 0, 0]], [[7, 8, 0], [0, 0, 0]]]
    assert batch.features["chars"].dtype == torch.long
    moved = batch.to("cpu")
    assert torch.equal(moved.features["chars"], batch.features["chars"])
