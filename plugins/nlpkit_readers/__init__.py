"""Built-in corpus readers: the ``read_corpus`` hook for nlpkit's seven corpus formats.

- ``label-tab-text``: ``label<TAB>text`` per line (ChnSentiCorp, SST-2); :mod:`.lines`
- ``folder-per-class``: a folder of ``LABEL.txt`` files, one text per line (names); :mod:`.lines`
- ``segmented``: space-separated words, a sentence per line (SIGHAN, SXU); :mod:`.lines`
- ``plain-text``: one example per line, empty lines kept (Tiny Shakespeare); :mod:`.lines`
- ``conll``: token and tag columns, blank line between sentences (CoNLL-2003, WNUT-17); :mod:`.columns`
- ``bmes``: ``char tag`` per line, blank line between sentences (Resume NER); :mod:`.columns`
- ``conllu``: CoNLL-U, Universal Dependencies (UD English EWT); :mod:`.conllu`

Every reader streams the file through :func:`nlpkit.io.read_lines` (BOM and CRLF
removed, invalid UTF-8 reported by file, line and byte) and raises
:class:`nlpkit.errors.InputError` naming ``file:line`` and what was expected.
Each :class:`~nlpkit.corpus.Example` records its ``source`` as ``file:line``.

This module stays light: a reader module is imported only when its format is read.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from nlpkit import hookimpl
from nlpkit.errors import InputError

#: format id -> what it is, for ``nlpkit plugins`` and error messages.
DESCRIPTIONS = {
    "label-tab-text": "label<TAB>text per line",
    "folder-per-class": "a folder of LABEL.txt files, one text per line",
    "segmented": "space-separated words, a sentence per line",
    "plain-text": "one example per line",
    "conll": "token and tag columns, a blank line between sentences",
    "bmes": "char tag per line, a blank line between sentences",
    "conllu": "CoNLL-U (Universal Dependencies)",
}
#: format id -> "module:function" of a generator of examples taking a Path.
READERS = {
    "label-tab-text": "lines:read_label_tab_text",
    "folder-per-class": "lines:read_folder_per_class",
    "segmented": "lines:read_segmented",
    "plain-text": "lines:read_plain_text",
    "conll": "columns:read_conll",
    "bmes": "columns:read_bmes",
    "conllu": "conllu:read_conllu",
}


@hookimpl
def register_corpus_formats(register):  # type: ignore[no-untyped-def]
    for name in READERS:
        register(name, DESCRIPTIONS[name])


@hookimpl
def read_corpus(path, format):  # type: ignore[no-untyped-def]
    """Read ``path`` as ``format`` into a list of examples; None for formats read elsewhere."""
    target = READERS.get(format)
    if target is None:
        return None
    path = Path(path)
    if format != "folder-per-class" and path.is_dir():
        raise InputError(
            f"this is a folder, but format '{format}' reads one file. Name a file inside it, "
            "or use format 'folder-per-class' for a folder of LABEL.txt files.",
            str(path),
        )
    module, function = target.split(":")
    reader = getattr(importlib.import_module(f"{__name__}.{module}"), function)
    return list(reader(path))
