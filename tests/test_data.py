"""nlpkit.data: SequenceData and StreamData batches and orders."""

from __future__ import annotations

import numpy as np
import torch

from nlpkit.data import SequenceData, StreamData


def test_sequence_data_batches_with_sequence_labels() -> None:
    data = SequenceData([[4, 5, 6], [7], [8, 9]], [1, 0, 2], pad_id=0)
    assert len(data) == 3
    batch = data.batch([2, 0])
    assert batch.ids.tolist() == [[8, 9, 0], [4, 5, 6]]
    assert batch.mask.tolist() == [[True, True, False], [True, True, True]]
    assert batch.labels.tolist() == [2, 1]


def test_sequence_data_batches_with_token_labels() -> None:
    data = SequenceData([[4, 5, 6], [7]], [[1, 2, 3], [4]], pad_id=0)
    batch = data.batch([0, 1])
    assert batch.ids.shape == batch.labels.shape == (2, 3)
    assert batch.labels.tolist() == [[1, 2, 3], [4, 0, 0]]


def test_sequence_data_without_targets() -> None:
    batch = SequenceData([[4], [5, 6]], None, pad_id=1).batch([0, 1])
    assert batch.labels is None
    assert batch.ids.tolist() == [[4, 1], [5, 6]]


def test_sequence_data_orders() -> None:
    ids = [[1] * n for n in (5, 1, 3, 2, 4, 1, 6)]
    data = SequenceData(ids, None, pad_id=0)
    assert data.eval_order(3) == [[6, 0, 4], [2, 3, 1], [5]]
    order = data.epoch_order(2, seed=0, epoch=1)
    assert sorted(i for b in order for i in b) == list(range(7))
    assert data.epoch_order(2, seed=0, epoch=1) == order


STREAM = np.arange(100, 137, dtype=np.int64)  # 37 tokens, each id tells its position


def test_stream_data_windows_and_shifted_targets() -> None:
    data = StreamData(STREAM, block_size=8)
    assert len(data) == (37 - 1) // 8 == 4
    batch = data.batch([0, 5, 28])
    assert batch.ids.shape == batch.labels.shape == batch.mask.shape == (3, 8)
    assert batch.ids.dtype == batch.labels.dtype == torch.long
    assert batch.mask.dtype == torch.bool and bool(batch.mask.all())
    assert batch.ids[1].tolist() == list(range(105, 113))
    assert torch.equal(batch.labels[:, :-1], batch.ids[:, 1:])
    assert torch.equal(batch.labels, batch.ids + 1)
    assert batch.labels[2, -1].item() == 136  # the last window reaches the stream's end


def test_stream_eval_order_covers_the_stream_once() -> None:
    data = StreamData(STREAM, block_size=8)
    order = data.eval_order(batch_size=3)
    assert [len(b) for b in order] == [3, 1]
    inputs = torch.cat([data.batch(b).ids.reshape(-1) for b in order]).tolist()
    targets = torch.cat([data.batch(b).labels.reshape(-1) for b in order]).tolist()
    assert inputs == STREAM[: 4 * 8].tolist()  # consecutive, no overlap, nothing twice
    assert targets == STREAM[1: 4 * 8 + 1].tolist()


def test_stream_epoch_order_is_deterministic_and_in_range() -> None:
    data = StreamData(STREAM, block_size=8)
    order = data.epoch_order(batch_size=3, seed=4, epoch=0)
    assert [len(b) for b in order] == [3, 1]
    assert data.epoch_order(3, seed=4, epoch=0) == order
    assert [data.epoch_order(3, seed=4, epoch=e) for e in range(1, 6)] != [order] * 5
    for epoch in range(20):
        for starts in data.epoch_order(3, seed=4, epoch=epoch):
            batch = data.batch(starts)  # every start leaves room for block_size + 1 tokens
            assert batch.labels.shape == (len(starts), 8)


def test_stream_of_exactly_one_window_can_be_trained_on() -> None:
    data = StreamData(np.arange(9, dtype=np.int64), block_size=8)
    assert len(data) == 1
    assert data.epoch_order(4, seed=0, epoch=0) == [[0]]


def test_stream_epoch_order_can_draw_the_last_window() -> None:
    data = StreamData(np.arange(10, dtype=np.int64), block_size=8)  # valid starts: 0 and 1
    starts = {s for epoch in range(40) for b in data.epoch_order(1, seed=0, epoch=epoch) for s in b}
    assert starts == {0, 1}
