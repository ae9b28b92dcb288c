"""What every registered component shares: a registry name and options that rebuild it.

A component's options are its ``__init__`` keyword arguments, kept as attributes of
the same names, so ``config()`` can rebuild it: in a worker process, in a saved
pipeline, or from ``--option key=value`` on the command line. Arguments that the
data decides (sizes, vocabularies) are positional-only and are not options.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .options import option_types


class Component:
    """Base of tokenizers, encoders, models, decoders and trainers."""

    name: ClassVar[str]

    def config(self) -> dict[str, Any]:
        """The options that rebuild this component."""
        return {name: getattr(self, name) for name in option_types(type(self))}
