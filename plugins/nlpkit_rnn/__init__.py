"""The ``rnn``, ``gru`` and ``lstm`` models: recurrent encoders with tagging (N->N),
classification (N->1) and language-modelling heads.

The torch layers live in :mod:`nlpkit_rnn.models`, registered by import path: it is
imported only when one of these models is looked up, so loading plugins, ``nlpkit
--help`` and HMM pipelines never import torch.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    register(f"{__name__}.models:RNNModel", name="rnn")
    register(f"{__name__}.models:GRUModel", name="gru")
    register(f"{__name__}.models:LSTMModel", name="lstm")
