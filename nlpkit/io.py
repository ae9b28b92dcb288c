"""Reading text line by line with exact error locations, and writing files atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Literal

from .errors import InputError

Errors = Literal["strict", "replace"]
STDIN = "-"


def read_lines(path: str | Path, errors: Errors = "strict") -> Iterator[tuple[str, int]]:
    """Yield ``(line, nbytes)`` for each line of a UTF-8 file (``-`` is stdin), streaming.

    Line ends (``\\n``, ``\\r\\n``) and a leading BOM are removed. Invalid UTF-8
    raises :class:`InputError` naming the file, line and byte, unless
    ``errors="replace"`` substitutes U+FFFD.
    """
    name = "<stdin>" if str(path) == STDIN else str(path)
    with _open_binary(path) as stream:
        for number, raw in enumerate(stream, 1):
            line = raw.rstrip(b"\n").rstrip(b"\r")
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            yield _decode(line, errors, name, number), len(raw)


def _decode(line: bytes, errors: Errors, name: str, number: int) -> str:
    try:
        return line.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        bad = line[exc.start:exc.start + 4]
        raise InputError(
            f"invalid UTF-8 at byte {exc.start + 1} of the line ({bad!r}). "
            "Convert the file to UTF-8, or pass --errors replace to substitute U+FFFD.",
            name,
            number,
        ) from None


@contextlib.contextmanager
def _open_binary(path: str | Path) -> Iterator[IO[bytes]]:
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    with stream:
        yield stream


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces ``path`` only if the block succeeds.

    An error or Ctrl-C in the block removes it, so a half-written or unchecked
    file never takes the place of a good one.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", str(path)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | Path, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Write a text file through :func:`atomic_path`: all of it, or nothing."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as stream:
        yield stream


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A temporary directory beside ``path`` that replaces ``path`` (a directory) only
    if the block succeeds; an old ``path`` is moved aside first, then deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        yield tmp
        usual_permissions(tmp)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        tmp = None
        shutil.rmtree(old, ignore_errors=True)
    finally:
        # Whatever was interrupted, leave one complete ``path`` and no leftovers.
        if old.exists():
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(old, path)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets 0o666 minus the umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def usual_permissions(root: Path) -> None:
    """Give ``root`` and everything under it the permissions a new file or folder gets
    (0o666 / 0o777 minus the umask): temporary folders, and libraries such as safetensors,
    create private ones, which a saved pipeline must not keep."""
    umask = _umask()
    for path in [root, *root.rglob("*")]:
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)
