"""nlpkit.recurrent: packing that never reads a pad, and the shared recurrent encoder."""

from __future__ import annotations

import pytest
import torch

from nlpkit.recurrent import RecurrentEncoder, run_packed

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [1, 5, 3, 2], [4, 4, 4, 4]])
def test_run_packed_reads_each_row_as_if_alone(lengths: list[int]) -> None:
    """Longest-first batches (as evaluation builds them) skip packing's reordering; any
    order gives each row the states it gets alone, and zeros past its length."""
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    vectors = torch.randn(len(lengths), max(lengths), 3)  # shape: [B, T, E]
    states = run_packed(rnn, vectors, torch.tensor(lengths))  # shape: [B, T, 8]
    for row, n in enumerate(lengths):
        alone = rnn(vectors[row : row + 1, :n])[0][0]  # shape: [n, 8]
        torch.testing.assert_close(states[row, :n], alone)
        assert not states[row, n:].any()


def test_the_encoder_packs_like_run_packed_and_steps_like_one_pass() -> None:
    """Evaluation: the encoder is its cell read over each row's real tokens; a text fed in
    pieces through :meth:`RecurrentEncoder.step` gives the states of one pass over it."""
    torch.manual_seed(0)
    encoder = RecurrentEncoder("gru", 3, 4, num_layers=2, dropout=0.3).eval()
    assert encoder.output_size == 4 and isinstance(encoder.rnn, torch.nn.GRU)
    vectors, lengths = torch.randn(3, 6, 3), torch.tensor([6, 4, 1])
    torch.testing.assert_close(encoder(vectors, lengths), run_packed(encoder.rnn, vectors, lengths))
    whole, _ = encoder.step(vectors)
    first, state = encoder.step(vectors[:, :2])
    rest, _ = encoder.step(vectors[:, 2:], state)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), whole)
    assert RecurrentEncoder("lstm", 3, 4, bidirectional=True).output_size == 8


def test_word_dropout_zeroes_whole_token_vectors_in_training_only() -> None:
    encoder = RecurrentEncoder("rnn", 5, 2, word_dropout=0.5)
    vectors = torch.ones(4, 50, 5)
    dropped = encoder.train().prepare(vectors)
    per_token = dropped.eq(0).all(dim=-1) | dropped.eq(2).all(dim=-1)  # zeroed, or kept and scaled by 2
    assert bool(per_token.all()) and 0.3 < float(dropped[..., 0].eq(0).float().mean()) < 0.7
    assert torch.equal(encoder.eval().prepare(vectors), vectors)
