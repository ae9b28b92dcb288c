"""The ``argmax`` and ``gumbel`` decoders: the most likely label, or a sample.

The decoder classes (:mod:`nlpkit_decoders.decoders`) need no torch to be built or
checked; the sampling maths (:mod:`nlpkit_decoders.sampling`) is imported on the
first draw, so loading plugins (and ``nlpkit --help``) never imports torch.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_decoders(register):  # type: ignore[no-untyped-def]
    from .decoders import ArgmaxDecoder, GumbelDecoder

    register(ArgmaxDecoder, aliases=("greedy",))
    register(GumbelDecoder, aliases=("sample",))
