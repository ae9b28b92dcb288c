"""Corpora the project knows: the manifest of public data sets, and small samples.

``manifest.toml`` lists known public corpora (source URL, sha256, format,
licence) for ``nlpkit corpus``; the corpora themselves live outside the
repository (see :func:`search_roots`). ``samples/`` holds short texts written by
the nlpkit authors for demos and fast tests; they are not copies of any corpus.

The package is also nlpkit's ``corpora`` plugin (:mod:`nlpkit_corpora.plugin`): it
answers the ``corpus:`` and ``sample:`` data references and adds ``nlpkit corpus``
(:mod:`nlpkit_corpora.cli`). It sits above the core, like any plugin: it imports
``nlpkit``, never the reverse. Its names load on first use, so loading the plugin
costs ``nlpkit --help`` nothing.

Typical use::

    from nlpkit_corpora import corpus_path
    path = corpus_path("conll2003", "train")   # size and sha256 checked against the manifest
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fetch import Fetched, download
    from .locate import (
        CORPORA_ENV,
        FileCheck,
        check_corpus,
        check_file,
        corpus_dir,
        corpus_path,
        download_root,
        search_roots,
    )
    from .manifest import Corpus, CorpusFile, HeldOut, Manifest, default_manifest_path, load_manifest
    from .references import portable_name, sample_path, samples

#: public name -> the module defining it, imported on first use (the manifest parser,
#: hashlib, and for ``download`` urllib and ssl, cost tens of milliseconds).
_LAZY = {
    **dict.fromkeys(("CORPORA_ENV", "FileCheck", "check_corpus", "check_file", "corpus_dir", "corpus_path",
                     "download_root", "search_roots"), "locate"),
    **dict.fromkeys(("Corpus", "CorpusFile", "HeldOut", "Manifest", "default_manifest_path", "load_manifest"), "manifest"),
    **dict.fromkeys(("Fetched", "download"), "fetch"),
    **dict.fromkeys(("portable_name", "sample_path", "samples"), "references"),
}

__all__ = [
    "CORPORA_ENV", "Corpus", "CorpusFile", "Fetched", "FileCheck", "HeldOut", "Manifest",
    "check_corpus", "check_file", "corpus_dir", "corpus_path", "default_manifest_path", "download", "download_root",
    "load_manifest", "portable_name", "sample_path", "samples", "search_roots",
]


def __getattr__(name: str) -> object:
    """Import the module defining ``name`` when it is first asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The lazy names too, for ``dir()`` and completion."""
    return sorted({*globals(), *_LAZY})
