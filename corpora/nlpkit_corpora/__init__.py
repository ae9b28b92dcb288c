"""Corpora the project knows: the manifest of public data sets, and small samples.

``manifest.toml`` lists known public corpora (source URL, sha256, format,
licence) for ``nlpkit corpus``; the corpora themselves live outside the
repository (see :func:`search_roots`). ``samples/`` holds short texts written by
the nlpkit authors for demos and fast tests; they are not copies of any corpus.

Typical use::

    from nlpkit_corpora import corpus_path
    path = corpus_path("conll2003", "train")   # size and sha256 checked against the manifest
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from nlpkit.errors import UsageError, did_you_mean

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
from .manifest import (
    Corpus,
    CorpusFile,
    HeldOut,
    Manifest,
    default_manifest_path,
    load_manifest,
)

__all__ = [
    "CORPORA_ENV", "Corpus", "CorpusFile", "Fetched", "FileCheck", "HeldOut", "Manifest",
    "check_corpus", "check_file", "corpus_dir", "corpus_path", "default_manifest_path", "download", "download_root",
    "load_manifest", "sample_path", "samples", "search_roots",
]


def __getattr__(name: str) -> object:
    """``download`` and ``Fetched`` load on first use: urllib and ssl cost ~50 ms to import."""
    if name in ("download", "Fetched"):
        from . import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def samples() -> list[str]:
    """Names of the bundled samples (``zh``, ``en``, ``names``...), without extension."""
    return sorted(_sample_files())


def sample_path(name: str) -> Path:
    """The path of a bundled sample (``zh.txt`` texts, ``names.tsv`` labelled names...)."""
    files = _sample_files()
    if name not in files:
        raise UsageError(f"No sample named '{name}'.{did_you_mean(name, files)} Samples: {', '.join(sorted(files))}.")
    return files[name]


def portable_name(path: str | Path) -> str:
    """How a corpus file is named where its machine's folders mean nothing (a shipped
    pipeline's meta.json): ``corpus:NAME/FILE`` for a file of a known corpus folder,
    ``sample:NAME`` for a bundled sample, else the file's name alone."""
    from .locate import search_roots

    path = Path(path).resolve()
    for name, sample in _sample_files().items():
        if sample.resolve() == path:
            return f"sample:{name}"
    for root in search_roots():
        if path.is_relative_to(root.resolve()):
            return "corpus:" + path.relative_to(root.resolve()).as_posix()
    return path.name


def _sample_files() -> dict[str, Path]:
    folder = resources.files(__name__) / "samples"
    return {p.name.rsplit(".", 1)[0]: Path(str(p)) for p in folder.iterdir() if p.name.endswith((".txt", ".tsv"))}
