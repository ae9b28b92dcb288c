"""The ``bilstm-crf`` model (and its softmax baseline ``bilstm``) and the ``viterbi`` decoder.

The torch layers live in :mod:`nlpkit_crf.model`, registered by import path: it is
imported only when one of these models is looked up, so loading plugins, ``nlpkit
--help`` and HMM pipelines never import torch. The decoder (:mod:`nlpkit_crf.decoder`)
imports torch only when it decodes. The CRF layer and its maths are the core's
(:mod:`nlpkit.crf`), for any other structured model to compose.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    register(f"{__name__}.model:BiLSTMCRF", name="bilstm-crf")
    register(f"{__name__}.model:BiLSTM", name="bilstm")


@hookimpl
def register_decoders(register):  # type: ignore[no-untyped-def]
    from .decoder import ViterbiDecoder

    register(ViterbiDecoder)
