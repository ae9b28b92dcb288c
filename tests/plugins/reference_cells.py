"""Textbook recurrent cells in numpy (float64), to check torch's layers and the
nlpkit_rnn models against the equations rather than against themselves.

Weights use torch's layout, so they can be copied from ``nn.RNN``/``nn.GRU``/``nn.LSTM``:
``w_ih [G*H, I]``, ``w_hh [G*H, H]``, ``b_ih [G*H]``, ``b_hh [G*H]``, the gates stacked
in torch's order: GRU ``(r, z, n)``, LSTM ``(i, f, g, o)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

Params = Mapping[str, np.ndarray]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def rnn_cell(x: np.ndarray, h: np.ndarray, w: Params) -> np.ndarray:
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""
    return np.tanh(w["w_ih"] @ x + w["b_ih"] + w["w_hh"] @ h + w["b_hh"])


def gru_cell(x: np.ndarray, h: np.ndarray, w: Params) -> np.ndarray:
    """GRU (Cho et al. 2014) as torch computes it::

        r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        reset (relevance) gate
        z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)        update gate
        n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))     candidate state
        h' = (1 - z) * n + z * h

    torch applies ``r`` after the recurrent product and its bias, ``r * (W_hn h + b_hn)``,
    not to ``h`` before it (``W_hn (r * h)``, the paper's form); the two differ.
    """
    xi = np.split(w["w_ih"] @ x + w["b_ih"], 3)  # r, z, n parts of the input term
    hh = np.split(w["w_hh"] @ h + w["b_hh"], 3)  # r, z, n parts of the recurrent term
    r = sigmoid(xi[0] + hh[0])
    z = sigmoid(xi[1] + hh[1])
    n = np.tanh(xi[2] + r * hh[2])
    return (1.0 - z) * n + z * h


def lstm_cell(x: np.ndarray, state: tuple[np.ndarray, np.ndarray], w: Params) -> tuple[np.ndarray, np.ndarray]:
    """LSTM (Hochreiter & Schmidhuber 1997, with a forget gate)::

        i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)        input gate
        f  = sigmoid(W_if x + b_if + W_hf h + b_hf)        forget gate
        g  = tanh(W_ig x + b_ig + W_hg h + b_hg)           candidate cell
        o  = sigmoid(W_io x + b_io + W_ho h + b_ho)        output gate
        c' = f * c + i * g
        h' = o * tanh(c')
    """
    h, c = state
    i, f, g, o = np.split(w["w_ih"] @ x + w["b_ih"] + w["w_hh"] @ h + w["b_hh"], 4)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


CELLS: dict[str, Callable] = {"rnn": rnn_cell, "gru": gru_cell, "lstm": lstm_cell}


def run_cell(kind: str, xs: np.ndarray, w: Params, reverse: bool = False) -> np.ndarray:
    """Hidden states ``[T, H]`` of cell ``kind`` over inputs ``xs [T, I]`` from a zero
    state; ``reverse`` reads right to left (states still returned in input order)."""
    hidden = w["w_hh"].shape[1]
    h = np.zeros(hidden)
    state = (h, np.zeros(hidden)) if kind == "lstm" else h
    out = np.zeros((len(xs), hidden))
    for t in (reversed(range(len(xs))) if reverse else range(len(xs))):
        state = CELLS[kind](xs[t], state, w)
        out[t] = state[0] if kind == "lstm" else state
    return out


def run_stack(kind: str, xs: np.ndarray, layers: list[list[Params]]) -> np.ndarray:
    """The top-layer states ``[T, D*H]`` of a stacked (and, with two parameter sets per
    layer, bidirectional) recurrent network, as torch's ``nn.RNN``/``GRU``/``LSTM``
    compute it without dropout."""
    for directions in layers:
        xs = np.concatenate([run_cell(kind, xs, w, reverse=d == 1) for d, w in enumerate(directions)], axis=1)
    return xs
