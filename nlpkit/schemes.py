"""Tagging schemes: the one table of their names and aliases.

Spans (:mod:`nlpkit.spans`), the CRF's transition constraints (:mod:`nlpkit.crf`) and the
tasks all read scheme names through :func:`normalize_scheme`, so a name one of them
accepts, every other accepts too.
"""

from __future__ import annotations

from .errors import UsageError, did_you_mean

#: The canonical schemes, each with the prefixes its tags use (``O`` is outside).
PREFIXES = {"IOB2": "BIO", "IOB1": "BIO", "BIOES": "BIESO", "BMES": "BMESO"}
#: Other names for a canonical scheme.
ALIASES = {"BIO": "IOB2", "IOBES": "BIOES"}
#: Every accepted name, canonical first.
SCHEMES: tuple[str, ...] = (*PREFIXES, *ALIASES)


def normalize_scheme(scheme: str) -> str:
    """The canonical name of ``scheme`` (case-insensitive; ``BIO`` -> ``IOB2``, ``IOBES`` ->
    ``BIOES``); a :class:`~nlpkit.errors.UsageError` listing the schemes for any other."""
    name = scheme.upper() if isinstance(scheme, str) else str(scheme)
    name = ALIASES.get(name, name)
    if name not in PREFIXES:
        raise UsageError(f"Unknown tag scheme {scheme!r}.{did_you_mean(name, SCHEMES)} "
                         f"Schemes: {', '.join(SCHEMES)}.")
    return name


def same_scheme(a: str, b: str) -> bool:
    """Do two scheme names mean the same scheme (``BIO`` = ``IOB2``, ``IOBES`` = ``BIOES``)?"""
    return normalize_scheme(a) == normalize_scheme(b)
