"""Finding corpus files on disk and proving they are the files the manifest describes.

Corpora live outside the repository, in a root folder holding one folder per
corpus (``ROOT/conll2003/train.txt``). The roots searched, in order:

1. ``$NLPKIT_CORPORA`` when set, and then nothing else, so a user or test can
   pin the data to one place;
2. otherwise ``../shared/corpora`` from the current directory, the same beside
   the repository checkout, and the user cache folder that ``nlpkit corpus
   download`` fills (``nlpkit.paths.cache_dir("corpora")``).

A file counts as found only when its size and sha256 match the manifest, so a
truncated download or an edited file is caught before it skews an experiment.
Held-out files (test splits kept out of the shared development corpora) are
checked the same way when present; when absent they are "not downloaded", which
is no failure of the corpus (see :attr:`FileCheck.not_downloaded`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlpkit.errors import InputError
from nlpkit.paths import cache_dir

from .manifest import Corpus, CorpusFile, Manifest, load_manifest

CORPORA_ENV = "NLPKIT_CORPORA"
_REPO = Path(__file__).resolve().parent.parent.parent
_CHUNK = 1 << 20

OK, MISSING, WRONG_SIZE, WRONG_SHA256 = "ok", "missing", "wrong-size", "wrong-sha256"


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one corpus file: ``status`` is ``ok``, ``missing``, ``wrong-size`` or ``wrong-sha256``."""

    corpus: str
    file: CorpusFile
    path: Path
    status: str
    size: int | None = None
    sha256: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def not_downloaded(self) -> bool:
        """A held-out file that is simply absent: expected in the shared development copy, so no failure."""
        return self.status == MISSING and self.file.held_out

    def describe(self) -> str:
        """A one-line, human explanation of a failed check (empty when it passed)."""
        if self.not_downloaded:
            return f"not downloaded (held out; 'nlpkit corpus download {self.corpus}' fetches it)"
        if self.status == MISSING:
            return f"{self.path} does not exist"
        if self.status == WRONG_SIZE:
            return f"{self.path} has {self.size:,} bytes, expected {self.file.size:,}"
        if self.status == WRONG_SHA256:
            return f"{self.path} has sha256 {self.sha256}, expected {self.file.sha256}"
        return ""


def search_roots() -> list[Path]:
    """The folders searched for corpora, in order (they need not exist)."""
    env = os.environ.get(CORPORA_ENV)
    if env:
        return [Path(env).expanduser()]
    roots = [Path.cwd().parent / "shared" / "corpora", _REPO.parent / "shared" / "corpora", download_root()]
    return _unique(roots)


def download_root() -> Path:
    """Where ``nlpkit corpus download`` writes by default: ``$NLPKIT_CORPORA``, else the user cache."""
    env = os.environ.get(CORPORA_ENV)
    return Path(env).expanduser() if env else cache_dir("corpora")


def corpus_dir(name: str | None = None, manifest: Manifest | None = None) -> Path:
    """The root holding corpus ``name`` (the first root with a ``name`` folder), or without
    a name the first existing root. Raises :class:`InputError` saying where it looked."""
    roots = search_roots()
    if name is not None:
        (manifest or load_manifest()).get(name)  # unknown names fail with a did-you-mean
        for root in roots:
            if (root / name).is_dir():
                return root
        raise InputError(f"Corpus '{name}' not found; looked in {_listing(roots)}. {_fix(name)}")
    for root in roots:
        if root.is_dir():
            return root
    raise InputError(f"No corpora folder found; looked in {_listing(roots)}. {_fix(None)}")


def corpus_path(name: str, file: str, *, verify: bool = True, manifest: Manifest | None = None) -> Path:
    """The path of ``file`` (a path such as ``train.txt`` or a split such as ``dev``) of corpus ``name``.

    The first root holding the file wins; with ``verify`` its size and sha256
    must match the manifest, or :class:`InputError` explains what is wrong and
    how to fetch a good copy.
    """
    corpus = (manifest or load_manifest()).get(name)
    entry = corpus.file(file)
    roots = search_roots()
    check = _first_found(corpus, entry, roots, verify)
    if check.status == MISSING:
        raise InputError(f"Corpus file {name}/{entry.path} not found; looked in {_listing(roots)}. {_fix(name)}")
    if not check.ok:
        raise InputError(f"Corpus file {name}/{entry.path} is damaged: {check.describe()}. {_fix(name)}")
    return check.path


def check_corpus(corpus: Corpus, roots: list[Path] | None = None, *, hash_files: bool = True) -> list[FileCheck]:
    """Check every file of ``corpus``, held-out ones included, where it is first found among ``roots``
    (default: :func:`search_roots`).

    A file found nowhere is reported ``missing`` at its place under the first root
    (for a held-out file, :attr:`FileCheck.not_downloaded` then tells it apart).
    ``hash_files=False`` compares sizes only, for a quick "is it there" answer.
    """
    roots = roots if roots is not None else search_roots()
    return [_first_found(corpus, entry, roots, hash_files) for entry in corpus.files]


def _first_found(corpus: Corpus, entry: CorpusFile, roots: list[Path], hash_files: bool) -> FileCheck:
    for root in roots:
        check = check_file(corpus, entry, root, hash_file=hash_files)
        if check.status != MISSING:
            return check
    return FileCheck(corpus.name, entry, roots[0] / corpus.name / entry.path, MISSING)


def check_file(corpus: Corpus, entry: CorpusFile, root: Path, *, hash_file: bool = True) -> FileCheck:
    """Check ``ROOT/CORPUS/PATH`` against the manifest: exists, then size, then (optionally) sha256."""
    path = root / corpus.name / entry.path
    try:
        size = path.stat().st_size
    except OSError:
        return FileCheck(corpus.name, entry, path, MISSING)
    if not path.is_file():
        return FileCheck(corpus.name, entry, path, MISSING)
    if size != entry.size:
        return FileCheck(corpus.name, entry, path, WRONG_SIZE, size)
    if not hash_file:
        return FileCheck(corpus.name, entry, path, OK, size)
    digest = sha256_of(path)
    return FileCheck(corpus.name, entry, path, OK if digest == entry.sha256 else WRONG_SHA256, size, digest)


_hash_cache: dict[tuple[str, int, int, int, int], str] = {}
_hash_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file, remembered while its path, inode, size and times stay the same."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    with _hash_lock:
        if key in _hash_cache:
            return _hash_cache[key]
    digest = hash_file(path, hashlib.sha256())
    with _hash_lock:
        _hash_cache[key] = digest
    return digest


def hash_file(path: Path, digest: Any) -> str:
    """Feed a file to a ``hashlib`` object in 1 MiB chunks and return its hex digest."""
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _unique(paths: list[Path]) -> list[Path]:
    seen: dict[Path, Path] = {}
    for p in paths:
        seen.setdefault(p.resolve(), p.resolve())
    return list(seen.values())


def _listing(roots: list[Path]) -> str:
    return ", ".join(str(r) for r in roots)


def _fix(name: str | None) -> str:
    """How to get a good copy: download it, or point NLPKIT_CORPORA at a folder that has it."""
    target = name or "NAME"
    return (
        f"Run 'nlpkit corpus download {target}', or set {CORPORA_ENV} to a folder that holds "
        f"{target}/ (then 'nlpkit corpus verify {target}' checks it)."
    )
