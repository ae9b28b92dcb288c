"""Contract tests for plugins, for third-party authors and the built-ins alike.

Subclass a contract in a pytest module and name your component::

    from nlpkit.testing import ModelContract, TokenizerContract

    class TestMyTokenizer(TokenizerContract):
        name = "my-tokenizer"
        options = {"lowercase": True}
        examples = {"Hello world": ["hello", "world"]}

    class TestMyTagger(ModelContract):
        name = "my-tagger"
        options = {"hidden_size": 16}

:class:`TokenizerContract`, :class:`EncoderContract`, :class:`ModelContract` and
:class:`DecoderContract` hold what every component of their kind must do; the helpers
of :mod:`nlpkit.testing.cli` check what users see on the command line.
Needs the test extras: ``pip install "nlpkit[test]"`` (pytest and hypothesis).
"""

from __future__ import annotations

from .cli import assert_cli_error, invoke, train_config
from .component_contracts import DecoderContract, EncoderContract, ModelContract
from .tokenizer_contract import SAMPLES, TokenizerContract, check_offsets, unicode_texts

__all__ = [
    "SAMPLES",
    "DecoderContract",
    "EncoderContract",
    "ModelContract",
    "TokenizerContract",
    "assert_cli_error",
    "check_offsets",
    "invoke",
    "train_config",
    "unicode_texts",
]
