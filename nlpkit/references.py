"""Data references: ``SCHEME:REST`` strings that name data files the same way on every machine.

``package:PACKAGE/FILE`` (a data file inside an installed Python package) is resolved
here. Every other scheme is answered by whichever plugin knows it, through the
``resolve_data_path`` and ``portable_data_name`` hooks: nlpkit's own ``corpora``
plugin answers ``corpus:NAME/FILE``, ``corpus:NAME`` and ``sample:NAME``. The core
so never depends on where corpora live or how they are checked, and a third-party
plugin can add a scheme of its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import UsageError

#: ``scheme:`` at the start of a value; two letters at least, so ``C:\\data`` stays a Windows path.
_SCHEME = re.compile(r"([a-z][a-z0-9_-]+):")
#: Schemes nlpkit documents; left unanswered, they are an error rather than a file name with a colon.
PLUGIN_SCHEMES = {"corpus": "corpora", "sample": "corpora"}


def resolve_reference(value: str) -> Path | None:
    """The path that ``value`` names when it is a data reference (``sample:zh``,
    ``corpus:conll2003/train.txt``, ``package:jieba/dict.txt``), or None when it is a plain path.

    A ``corpus:`` or ``sample:`` reference that no plugin answers raises :class:`UsageError`
    saying which plugin to enable; an unanswered unknown scheme is taken for a file name.
    """
    match = _SCHEME.match(value)
    if match is None:
        return None
    scheme = match.group(1)
    if scheme == "package":
        from .paths import package_file

        return package_file(value[match.end():])
    from .plugins import plugin_manager

    found = plugin_manager().hook.resolve_data_path(reference=value)
    if found is not None:
        return Path(found)
    if scheme in PLUGIN_SCHEMES:
        raise UsageError(
            f"No plugin resolves '{value}': '{scheme}:' references need nlpkit's '{PLUGIN_SCHEMES[scheme]}' plugin. "
            "Enable it (check NLPKIT_LOAD_PLUGINS and NLPKIT_DISABLE_PLUGINS; 'nlpkit plugins' lists what is loaded) "
            "or reinstall nlpkit."
        )
    return None


def portable_name(path: str | os.PathLike[str]) -> str:
    """How ``path`` is named where its machine's folders mean nothing (a shipped pipeline's
    meta.json): the reference a plugin gives it (``corpus:NAME/FILE``, ``sample:NAME``),
    else the file's name alone."""
    from .plugins import plugin_manager

    path = Path(path)
    return plugin_manager().hook.portable_data_name(path=path) or path.name
