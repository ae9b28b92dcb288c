"""The ``bilstm-crf`` model (and its softmax baseline ``bilstm``) and the ``viterbi`` decoder.

The torch layers live in :mod:`nlpkit_crf.model` and the decoder in
:mod:`nlpkit_crf.decoder`, imported only when a registry is built, so loading plugins
(and ``nlpkit --help``) never imports torch. The CRF maths is the core's
(:mod:`nlpkit.ops`), shared with any other structured model.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    from .model import BiLSTM, BiLSTMCRF

    register(BiLSTMCRF)
    register(BiLSTM)


@hookimpl
def register_decoders(register):  # type: ignore[no-untyped-def]
    from .decoder import ViterbiDecoder

    register(ViterbiDecoder)
