"""The corpus manifest: what each known public corpus is and how to check its files.

``manifest.toml`` holds metadata only (source URL, size, sha256, format, licence);
the corpora themselves never enter the repository. Parsing checks every entry up
front, so a typo in the manifest fails with the corpus and key named instead of
surfacing later as a confusing download or checksum error.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from nlpkit.corpus import corpus_formats
from nlpkit.errors import InputError, UsageError, did_you_mean

from .transforms import TRANSFORMS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MANIFEST_VERSION = 1
SPLITS = ("train", "dev", "test", "all")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GIT_BLOB = re.compile(r"^[0-9a-f]{40}$")
_URL = re.compile(r"^(https?|file)://\S+$")
_CORPUS_KEYS = ("description", "task", "language", "format", "licence", "citation", "homepage", "source")


@dataclass(frozen=True)
class CorpusFile:
    """One file of a corpus: where it lives below the corpus folder and how to fetch and check it.

    ``transform`` (``{"kind": ..., ...}``) says how the downloaded source becomes
    this file; ``source_size`` and ``source_git_blob`` then check the download
    itself, and ``size``/``sha256`` the transformed result. ``held_out`` marks a
    file (a test split) kept back from the shared development corpora so that
    tuning never sees it; ``nlpkit corpus download`` still fetches it for users,
    and a copy without it still counts as present.
    """

    path: str
    split: str
    url: str
    size: int
    sha256: str
    description: str = ""
    format: str | None = None
    transform: dict[str, Any] | None = None
    source_size: int | None = None
    source_git_blob: str | None = None
    held_out: bool = False


@dataclass(frozen=True)
class HeldOut:
    """A split that exists upstream but has no URL in the manifest (the optional corpus-level
    ``held_out = [...]`` list), so asking for it explains why nlpkit cannot fetch it.

    Held-out files that nlpkit can download are ordinary ``files`` with ``held_out = true``.
    """

    path: str
    split: str
    note: str = ""


@dataclass(frozen=True)
class Corpus:
    """A known public corpus: descriptive metadata plus its files (held-out test files included)."""

    name: str
    description: str
    task: str
    language: str
    format: str
    licence: str
    citation: str
    homepage: str
    source: str
    files: tuple[CorpusFile, ...]
    held_out: tuple[HeldOut, ...] = ()
    notes: str = ""
    tag_scheme: str | None = None
    columns: tuple[str, ...] = field(default=())
    separator: str | None = None

    @property
    def size(self) -> int:
        """Total bytes of all files, held-out ones included: what ``nlpkit corpus download`` fetches."""
        return sum(f.size for f in self.files)

    @property
    def held_out_files(self) -> tuple[CorpusFile, ...]:
        """The files kept back from the shared development corpora (downloadable all the same)."""
        return tuple(f for f in self.files if f.held_out)

    @property
    def splits(self) -> list[str]:
        """The distinct splits of the files, in manifest order."""
        return list(dict.fromkeys(f.split for f in self.files))

    def file(self, key: str) -> CorpusFile:
        """The file whose path is ``key``, or the only file of split ``key``.

        Held-out files resolve like any other. Raises :class:`UsageError` for
        splits without a URL (``HeldOut``), ambiguous splits and unknown names,
        listing what the corpus does have.
        """
        for f in self.files:
            if f.path == key:
                return f
        in_split = [f for f in self.files if f.split == key]
        if len(in_split) == 1:
            return in_split[0]
        paths = [f.path for f in self.files]
        if in_split:
            raise UsageError(
                f"Corpus '{self.name}' has {len(in_split)} files in split '{key}'; name one: {', '.join(paths)}."
            )
        for h in self.held_out:
            if key in (h.path, h.split):
                raise UsageError(
                    f"'{self.name}/{h.path}' ({h.split}) is held out and the manifest has no URL for it, so nlpkit "
                    f"cannot download it. Use one of: {', '.join(paths)}."
                )
        hint = did_you_mean(key, [*paths, *self.splits])
        raise UsageError(f"Corpus '{self.name}' has no file or split '{key}'.{hint} Files: {', '.join(paths)}.")

    def file_format(self, f: CorpusFile) -> str:
        """The format id of one file: its own, or the corpus default."""
        return f.format or self.format

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, as printed by ``nlpkit corpus list --json``."""
        data = asdict(self)
        data["size"] = self.size
        return data


@dataclass(frozen=True)
class Manifest:
    """All corpora of one manifest file, by name."""

    path: Path
    corpora: dict[str, Corpus]

    def names(self) -> list[str]:
        """Corpus names in manifest order."""
        return list(self.corpora)

    def get(self, name: str) -> Corpus:
        """The corpus called ``name``; unknown names get a did-you-mean :class:`UsageError`."""
        try:
            return self.corpora[name]
        except KeyError:
            hint = did_you_mean(name, self.corpora)
            raise UsageError(
                f"Unknown corpus '{name}'.{hint} Known corpora: {', '.join(self.corpora)}. "
                "Run 'nlpkit corpus list' for details."
            ) from None


def default_manifest_path() -> Path:
    """The ``manifest.toml`` shipped inside the ``nlpkit_corpora`` package."""
    return Path(str(resources.files(__package__ or "nlpkit_corpora") / "manifest.toml"))


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read and check a manifest; the default is the bundled one (parsed once per process)."""
    if path is None:
        return _load_default()
    return parse_manifest(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> Manifest:
    return parse_manifest(default_manifest_path())


def parse_manifest(path: Path) -> Manifest:
    """Parse ``path`` into a :class:`Manifest`, raising :class:`InputError` naming the problem."""
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise InputError(f"cannot read the corpus manifest: {exc.strerror or exc}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"the corpus manifest is not valid TOML: {exc}", str(path)) from None
    version = data.get("manifest_version")
    if version != MANIFEST_VERSION:
        raise InputError(
            f"manifest_version is {version!r}, this nlpkit reads version {MANIFEST_VERSION}. "
            "Upgrade nlpkit, or fix the manifest_version line.",
            str(path),
        )
    tables = data.get("corpora")
    if not isinstance(tables, dict) or not tables:
        raise InputError("no [corpora.NAME] tables found. See corpora/README.md for the format.", str(path))
    return Manifest(path, {name: _corpus(path, name, table) for name, table in tables.items()})


class _Checker:
    """Typed access to one manifest table that reports bad values with their location."""

    def __init__(self, path: Path, where: str, table: Any) -> None:
        self.path, self.where, self.table = path, where, table
        if not isinstance(table, dict):
            self.fail(f"must be a table, not {type(table).__name__}")

    def fail(self, problem: str) -> None:
        raise InputError(f"{self.where}: {problem}. See corpora/README.md for the manifest format.", str(self.path))

    def get(self, key: str, kind: type | tuple[type, ...], required: bool = True, pattern: re.Pattern | None = None) -> Any:
        """The value of ``key``, checked against ``kind`` (and ``pattern`` for strings)."""
        if key not in self.table:
            if required:
                self.fail(f"missing required key '{key}'")
            return None
        value = self.table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            self.fail(f"'{key}' has the wrong type ({type(value).__name__})")
        if isinstance(value, str) and not value.strip() and required:
            self.fail(f"'{key}' is empty")
        if pattern is not None and not pattern.match(value):
            self.fail(f"'{key}' = {value!r} is not valid")
        return value


def _corpus(path: Path, name: str, table: Any) -> Corpus:
    check = _Checker(path, f"corpora.{name}", table)
    if not _NAME.match(name):
        check.fail("corpus names use lower-case letters, digits and '_' (the folder name)")
    values = {key: check.get(key, str) for key in _CORPUS_KEYS}
    if values["format"] not in corpus_formats():
        check.fail(f"format '{values['format']}' is not one of {', '.join(sorted(corpus_formats()))}")
    files = check.get("files", list)
    if not files:
        check.fail("'files' lists no files")
    entries = tuple(_file(path, f"corpora.{name}.files[{i}]", t) for i, t in enumerate(files))
    if len({f.path for f in entries}) != len(entries):
        check.fail("two files have the same path")
    held = tuple(
        _held_out(path, f"corpora.{name}.held_out[{i}]", t, entries)
        for i, t in enumerate(check.get("held_out", list, required=False) or ())
    )
    return Corpus(
        name=name, files=entries, held_out=held, notes=check.get("notes", str, required=False) or "",
        tag_scheme=check.get("tag_scheme", str, required=False),
        columns=tuple(check.get("columns", list, required=False) or ()),
        separator=check.get("separator", str, required=False), **values,
    )


def _file(path: Path, where: str, table: Any) -> CorpusFile:
    check = _Checker(path, where, table)
    rel = check.get("path", str)
    if PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts or "\\" in rel:
        check.fail(f"path '{rel}' must be relative to the corpus folder, with '/' separators and no '..'")
    split = check.get("split", str)
    if split not in SPLITS:
        check.fail(f"split '{split}' is not one of {', '.join(SPLITS)}")
    fmt = check.get("format", str, required=False)
    if fmt is not None and fmt not in corpus_formats():
        check.fail(f"format '{fmt}' is not one of {', '.join(sorted(corpus_formats()))}")
    transform = check.get("transform", dict, required=False)
    if transform is not None and transform.get("kind") not in TRANSFORMS:
        check.fail(f"transform kind {transform.get('kind')!r} is not one of {', '.join(TRANSFORMS)}")
    return CorpusFile(
        path=rel, split=split, format=fmt, transform=transform,
        url=check.get("url", str, pattern=_URL),
        size=check.get("size", int),
        sha256=check.get("sha256", str, pattern=_SHA256),
        description=check.get("description", str, required=False) or "",
        source_size=check.get("source_size", int, required=False),
        source_git_blob=check.get("source_git_blob", str, required=False, pattern=_GIT_BLOB),
        held_out=check.get("held_out", bool, required=False) or False,
    )


def _held_out(path: Path, where: str, table: Any, files: tuple[CorpusFile, ...]) -> HeldOut:
    """One entry of the optional ``held_out = [...]`` list: a split nlpkit has no URL for."""
    check = _Checker(path, where, table)
    split = check.get("split", str)
    if split not in SPLITS:
        check.fail(f"split '{split}' is not one of {', '.join(SPLITS)}")
    rel = check.get("path", str)
    if rel in {f.path for f in files}:
        check.fail(f"'{rel}' is also in 'files': mark that file 'held_out = true' and drop this entry")
    return HeldOut(rel, split, check.get("note", str, required=False) or "")
