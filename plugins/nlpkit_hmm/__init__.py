"""The ``hmm`` model: a hidden Markov model tagger fitted from counts, decoded with numpy.

For word segmentation (BMES over characters) and POS tagging. It registers under
``register_models`` like the neural models, but never imports torch: the model is
:class:`nlpkit_hmm.hmm.HMM` (its module names the modules that hold each part of the maths),
the pipeline adapter is in :mod:`nlpkit_hmm.model`, Baum-Welch re-estimation on raw text in
:mod:`nlpkit_hmm.baum_welch` (``nlpkit hmm reestimate``, :mod:`nlpkit_hmm.cli`).
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_models(register):  # type: ignore[no-untyped-def]
    from .model import HMMTagger

    register(HMMTagger)


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import hmm

    cli.add_command(hmm)
