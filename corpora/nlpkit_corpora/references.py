"""The data references this package answers, and the samples bundled with nlpkit.

``sample:NAME`` names a file in ``samples/`` (short texts written by the nlpkit
authors for demos and fast tests, not copies of any corpus); ``corpus:NAME/FILE``
a file of a corpus in the manifest, found and verified by :mod:`nlpkit_corpora.locate`;
``corpus:NAME`` that corpus's folder. The core asks for them only through the
``resolve_data_path`` and ``portable_data_name`` hooks (:mod:`nlpkit_corpora.plugin`),
so it never depends on this package.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from nlpkit.errors import UsageError, did_you_mean


def samples() -> list[str]:
    """Names of the bundled samples (``zh``, ``en``, ``names``...), without extension."""
    return sorted(_sample_files())


def sample_path(name: str) -> Path:
    """The path of a bundled sample (``zh.txt`` texts, ``names.tsv`` labelled names...)."""
    files = _sample_files()
    if name not in files:
        raise UsageError(f"No sample named '{name}'.{did_you_mean(name, files)} Samples: {', '.join(sorted(files))}.")
    return files[name]


def resolve(reference: str) -> Path | None:
    """The path of ``sample:NAME``, ``corpus:NAME/FILE`` (size and sha256 checked against the
    manifest) or ``corpus:NAME`` (the corpus folder); None for any other scheme. A wrong name
    or a missing or damaged file raises the error :mod:`nlpkit_corpora.locate` gives."""
    scheme, _, rest = reference.partition(":")
    if scheme == "sample":
        return sample_path(rest)
    if scheme == "corpus":
        from .locate import corpus_dir, corpus_path

        name, _, file = rest.partition("/")
        return corpus_path(name, file) if file else corpus_dir(name) / name
    return None


def reference_of(path: str | os.PathLike[str]) -> str | None:
    """``sample:NAME`` for a bundled sample, ``corpus:NAME/FILE`` for a file in a corpora
    folder (:func:`~nlpkit_corpora.locate.search_roots`), else None."""
    from .locate import search_roots

    path = Path(path).resolve()
    for name, sample in _sample_files().items():
        if sample.resolve() == path:
            return f"sample:{name}"
    for root in search_roots():
        if path.is_relative_to(root.resolve()):
            return "corpus:" + path.relative_to(root.resolve()).as_posix()
    return None


def portable_name(path: str | os.PathLike[str]) -> str:
    """How a corpus file is named where its machine's folders mean nothing (a shipped
    pipeline's meta.json): its reference (:func:`reference_of`), else the file's name alone."""
    return reference_of(path) or Path(path).resolve().name


def _sample_files() -> dict[str, Path]:
    folder = resources.files(__package__) / "samples"
    return {p.name.rsplit(".", 1)[0]: Path(str(p)) for p in folder.iterdir() if p.name.endswith((".txt", ".tsv"))}
