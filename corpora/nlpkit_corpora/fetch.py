"""Downloading corpus files from the URLs in the manifest, safely.

Each file streams into a temporary file beside its destination, its size and
sha256 are checked, and only then is it renamed into place, so an interrupted
or corrupted transfer never leaves a file that looks valid. Files whose
manifest entry has a ``transform`` are rebuilt from the downloaded source by
:mod:`nlpkit_corpora.transforms` and checked the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nlpkit.about import __version__
from nlpkit.errors import InputError
from nlpkit.io import atomic_path

from .locate import check_file, download_root, hash_file
from .manifest import Corpus, CorpusFile, Manifest, load_manifest
from .transforms import apply_transform

_CHUNK = 1 << 16
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Fetched:
    """One file of a :func:`download`: where it is, and whether it was ``downloaded`` or already ``present``."""

    file: CorpusFile
    path: Path
    action: str


def download(
    name: str, dest: str | Path | None = None, *, manifest: Manifest | None = None,
    force: bool = False, progress: bool = False, timeout: float = TIMEOUT_S,
) -> list[Fetched]:
    """Download every file of corpus ``name``, held-out test files included, into ``DEST/NAME/``
    (default: :func:`download_root`).

    Files already there with the right sha256 are kept unless ``force``. Raises
    :class:`InputError` when a URL cannot be fetched or a checksum differs; the
    files finished before the error stay, nothing half-written does.
    """
    corpus = (manifest or load_manifest()).get(name)
    root = Path(dest).expanduser() if dest is not None else download_root()
    with _folder(root / corpus.name), _Session(corpus, root / corpus.name, progress, timeout) as sources:
        return [_fetch_or_keep(corpus, entry, root, sources, force) for entry in corpus.files]


def _fetch_or_keep(corpus: Corpus, entry: CorpusFile, root: Path, sources: _Session, force: bool) -> Fetched:
    """Keep a valid file already in place (unless ``force``), else fetch it."""
    if not force and check_file(corpus, entry, root).ok:
        return Fetched(entry, root / corpus.name / entry.path, "present")
    return Fetched(entry, _fetch_file(corpus, entry, root, sources), "downloaded")


@contextlib.contextmanager
def _folder(folder: Path) -> Iterator[None]:
    """Create ``folder`` (and parents) for the download; remove it again if it is new and stays empty."""
    existed = folder.is_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the download folder: {exc.strerror or exc}", str(folder)) from None
    try:
        yield
    finally:
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def _fetch_file(corpus: Corpus, entry: CorpusFile, root: Path, sources: _Session) -> Path:
    """Fetch (and transform) one file, check it, and rename it into place."""
    target = root / corpus.name / entry.path
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        if entry.transform is None:
            sources.stream(entry.url, tmp, f"{corpus.name}/{entry.path}", entry.size)
        else:
            apply_transform(entry.transform, sources.get(entry), tmp)
        _check(tmp, entry, f"{corpus.name}/{entry.path}")
    return target


class _Session:
    """One :func:`download` call: its settings, and the transform sources fetched so far (each URL once, removed at the end)."""

    def __init__(self, corpus: Corpus, folder: Path, progress: bool, timeout: float) -> None:
        self.corpus, self.folder, self.progress, self.timeout = corpus, folder, progress, timeout
        self._files: dict[str, Path] = {}
        self._tmpdir: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()

    def get(self, entry: CorpusFile) -> Path:
        """The downloaded, checked source of a transformed file."""
        if entry.url not in self._files:
            name = entry.url.rsplit("/", 1)[-1] or "source"
            if self._tmpdir is None:
                self._tmpdir = tempfile.TemporaryDirectory(prefix=".sources.", dir=self.folder)
            tmp = Path(self._tmpdir.name) / name
            self.stream(entry.url, tmp, f"{self.corpus.name}/{name}", entry.source_size)
            _check_source(tmp, entry, self.corpus.name)
            self._files[entry.url] = tmp
        return self._files[entry.url]

    def stream(self, url: str, target: Path, label: str, size: int | None) -> None:
        """Copy ``url`` to ``target`` in chunks, with a progress bar; stop early past ``size`` bytes."""
        from tqdm import tqdm

        with _open_url(url, label, self.timeout) as response, open(target, "wb") as out, tqdm(
            total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr, disable=not self.progress, leave=False,
        ) as bar:
            written = 0
            while chunk := _read(response, url, label):
                written += len(chunk)
                if size is not None and written > size:
                    raise InputError(
                        f"Downloading {label} from {url} gave more than the expected {size:,} bytes; nothing was "
                        "saved. The file at the URL has changed: check the manifest entry or report it."
                    )
                out.write(chunk)
                bar.update(len(chunk))


@contextlib.contextmanager
def _open_url(url: str, label: str, timeout: float) -> Iterator:
    """Open ``url`` for reading; network failures become one clear :class:`InputError`."""
    request = urllib.request.Request(url, headers={"User-Agent": f"nlpkit/{__version__} (corpus download)"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise InputError(
            f"Could not download {label} from {url}: HTTP {exc.code} {exc.reason}. The file may have moved: "
            "check the manifest entry, or copy the corpus by hand and set NLPKIT_CORPORA."
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InputError(f"Could not download {label} from {url}: {_reason(exc)}. {_OFFLINE_FIX}") from None
    with response:
        yield response


def _read(response, url: str, label: str) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return response.read(_CHUNK)
    except (OSError, http.client.HTTPException) as exc:  # reset, timeout or short read mid-transfer
        raise InputError(f"Download of {label} from {url} broke off: {_reason(exc)}. Run the command again.") from None


_OFFLINE_FIX = (
    "Are you offline? Check the internet connection and proxy settings (HTTPS_PROXY), or copy the corpus "
    "folder from a machine that has it and set NLPKIT_CORPORA to the folder that holds it."
)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
    return str(reason)


def _check(path: Path, entry: CorpusFile, label: str) -> None:
    """Size and sha256 of a finished file against the manifest; on mismatch nothing is kept."""
    size, digest = path.stat().st_size, _sha256(path)
    if size != entry.size or digest != entry.sha256:
        raise InputError(
            f"Downloaded {label} does not match the manifest: {size:,} bytes with sha256 {digest}, expected "
            f"{entry.size:,} bytes with sha256 {entry.sha256}; nothing was saved. The source at {entry.url} has "
            "changed or the transfer was corrupted: run the command again, and report the manifest entry if it persists."
        )


def _check_source(path: Path, entry: CorpusFile, corpus: str) -> None:
    """Size and git blob hash of a transform's downloaded source, when the manifest gives them."""
    data_size = path.stat().st_size
    if entry.source_size is not None and data_size != entry.source_size:
        raise InputError(
            f"The source of {corpus}/{entry.path} at {entry.url} has {data_size:,} bytes, expected "
            f"{entry.source_size:,}; nothing was saved. The file at the URL has changed: report the manifest entry."
        )
    if entry.source_git_blob is not None and (blob := git_blob_sha1(path)) != entry.source_git_blob:
        raise InputError(
            f"The source of {corpus}/{entry.path} at {entry.url} has git blob {blob}, expected "
            f"{entry.source_git_blob}; nothing was saved. The file at the URL has changed: report the manifest entry."
        )


def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file (``git hash-object``): SHA-1 of ``blob <size>\\0`` + content."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    return hash_file(path, digest)


def _sha256(path: Path) -> str:
    return hash_file(path, hashlib.sha256())
