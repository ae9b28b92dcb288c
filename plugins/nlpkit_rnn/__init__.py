"""The ``rnn``, ``gru`` and ``lstm`` models: recurrent encoders with tagging (N->N),
classification (N->1) and language-modelling heads.

The torch layers live in :mod:`nlpkit_rnn.models`, imported only when the model
registry is built, so loading plugins (and ``nlpkit --help``) never imports torch.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    from .models import GRUModel, LSTMModel, RNNModel

    register(RNNModel)
    register(GRUModel)
    register(LSTMModel)
