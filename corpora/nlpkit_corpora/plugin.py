"""The ``corpora`` plugin: corpus and sample references, and the ``nlpkit corpus`` command.

Registered under the ``nlpkit`` entry-point group like any third-party plugin, so
the core never imports this package: it asks the ``resolve_data_path`` and
``portable_data_name`` hooks, and whoever answers, answers. This module imports
nothing but the hook marker; the work is in :mod:`nlpkit_corpora.references` and
:mod:`nlpkit_corpora.cli`, imported when a hook first runs, so loading every
plugin for ``nlpkit --help`` stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from nlpkit import hookimpl


@hookimpl
def resolve_data_path(reference: str) -> Path | None:
    """``sample:NAME``, ``corpus:NAME/FILE`` and ``corpus:NAME``; None for other schemes."""
    if not reference.startswith(("sample:", "corpus:")):
        return None
    from .references import resolve

    return resolve(reference)


@hookimpl
def portable_data_name(path: Path) -> str | None:
    """``sample:NAME`` or ``corpus:NAME/FILE`` for a bundled sample or a file in a corpora folder."""
    from .references import reference_of

    return reference_of(path)


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    """``nlpkit corpus``: list, info, verify and download (:mod:`nlpkit_corpora.cli`)."""
    from .cli import corpus

    cli.add_command(corpus)
