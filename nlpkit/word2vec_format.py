"""The word2vec C file formats that gensim, fastText and the original tool read and write:
pretrained word vectors, as the ``vocab`` encoder reads them and ``nlpkit word2vec`` writes them.

A ``"<words> <dimensions>"`` header line, then one row per word, either text (``word v1
... vD``) or binary (``word``, a space, D little-endian float32 and a line break). Writes
are atomic; reading checks every row and names the line (text) or the word number
(binary) of the first problem. numpy only.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np

from .errors import InputError, UsageError
from .io import atomic_path, read_lines

_CHUNK_BYTES = 1 << 20  # binary files are read in pieces of this size
_TEXT_BLOCK_ROWS = 4096  # rows formatted at once when writing text
_SEPARATORS = frozenset(" \t\n\r")  # characters a word in a word2vec file cannot hold


def save_word2vec(path: str | Path, words: list[str], vectors: np.ndarray, binary: bool = False) -> None:
    """Write ``words`` and their ``vectors`` in the text (or binary) format, atomically.

    Words must be non-empty and hold no whitespace: the format separates fields by
    spaces and rows by line breaks.
    """
    _check_writable(words)
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        stream.write(f"{len(words)} {vectors.shape[1]}\n".encode())
        if binary:
            _write_binary_rows(stream, words, vectors)
        else:
            _write_text_rows(stream, words, vectors)


def load_word2vec(path: str | Path, binary: bool = False,
                  errors: Literal["strict", "replace"] = "strict") -> tuple[list[str], np.ndarray]:
    """The words and float32 matrix of a text (or binary) file, every row checked.

    A problem raises :class:`InputError` naming the file, the line (text) or word number
    (binary) and what is wrong; ``errors="replace"`` reads invalid UTF-8 in words as U+FFFD.
    """
    return (_load_binary if binary else _load_text)(str(path), errors)


def _check_writable(words: list[str]) -> None:
    for i, word in enumerate(words):
        if not word or not _SEPARATORS.isdisjoint(word):
            raise UsageError(f"Word {i} ({word!r}) is empty or holds a space, tab or line break, which the "
                             "word2vec file formats cannot store (they separate fields and rows).")


def _write_text_rows(stream: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    # numpy's float32 -> str gives the shortest text that reads back to the same float32
    # (what gensim writes), so a text round trip is exact.
    for start in range(0, len(words), _TEXT_BLOCK_ROWS):
        block = vectors[start:start + _TEXT_BLOCK_ROWS].astype(str).tolist()
        lines = (f"{word} {' '.join(row)}\n" for word, row in zip(words[start:], block))
        stream.write("".join(lines).encode())


def _write_binary_rows(stream: BinaryIO, words: list[str], vectors: np.ndarray) -> None:
    little = vectors.astype("<f4", copy=False)
    stream.writelines(word.encode() + b" " + row.tobytes() + b"\n" for word, row in zip(words, little))


def _header(text: str, path: str) -> tuple[int, int]:
    fields = text.split()
    if len(fields) == 2 and all(f.isascii() and f.isdigit() and int(f) > 0 for f in fields):
        return int(fields[0]), int(fields[1])
    raise InputError(f"the header {text[:60]!r} is not '<number of words> <dimensions>' (two positive "
                     "integers); a word2vec file without a header (GloVe) needs one added", path, 1)


def _load_text(path: str, errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray]:
    lines = enumerate(read_lines(path, errors), 1)
    first = next(lines, None)
    if first is None:
        raise InputError("the file is empty; a word2vec file starts with a '<words> <dimensions>' line", path)
    count, dim = _header(first[1][0], path)
    words: list[str] = []
    matrix = np.empty((count, dim), dtype=np.float32)
    seen: dict[str, int] = {}
    number = 1
    try:
        for number, (line, _) in lines:
            if len(words) == count:
                if line.strip():
                    raise InputError(f"the header says {count} words, but another row follows them; fix the "
                                     "header or remove the extra rows", path, number)
                continue
            word, row = _text_row(line, dim, path, number)
            if seen.setdefault(word, number) != number:
                raise InputError(f"the word '{word}' appears again (first on line {seen[word]})", path, number)
            matrix[len(words)] = row
            words.append(word)
    except InputError as exc:
        if "invalid UTF-8" in exc.problem and (exc.line or 0) > 1:
            raise InputError(f"{exc.problem} If this is a binary word2vec file, load it with binary=True.",
                             path, exc.line) from None
        raise
    if len(words) < count:
        raise InputError(f"the file ends after {len(words)} of the {count} words the header announces "
                         "(truncated, or the header is wrong)", path, number + 1)
    return words, matrix


def _text_row(line: str, dim: int, path: str, number: int) -> tuple[str, np.ndarray]:
    fields = line.rstrip(" \t\r").split(" ")
    word, values = fields[0], fields[1:]
    if not word:
        raise InputError("the row does not start with a word (an empty line, or a leading space)", path, number)
    if len(values) != dim:
        raise InputError(f"the word '{word[:40]}' has {len(values)} values, the header says {dim}", path, number)
    try:
        row = np.array(values, dtype=np.float32)
    except ValueError:
        bad = next(i for i, v in enumerate(values) if not _is_number(v))
        raise InputError(f"value {bad + 1} of the word '{word[:40]}' ({values[bad][:20]!r}) is not a number",
                         path, number) from None
    if not np.isfinite(row).all():
        raise InputError(f"the word '{word[:40]}' has a value that is not a finite number", path, number)
    return word, row


def _is_number(text: str) -> bool:
    try:
        np.float32(text)
    except ValueError:
        return False
    return True


def _load_binary(path: str, errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray]:
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", path) from None
    with stream:
        header = stream.readline(200)
        try:
            count, dim = _header(header.decode("utf-8"), path)
        except UnicodeDecodeError:
            raise InputError("the header is not text; a word2vec file starts with a '<words> <dimensions>' line",
                             path, 1) from None
        words, matrix, rest = _binary_rows(stream, count, dim, path, errors)
        if (rest + stream.read(_CHUNK_BYTES)).strip():
            raise InputError(f"the header says {count} words, but more data follows them; fix the header or "
                             "remove the extra data", path)
    return words, matrix


def _binary_rows(stream: BinaryIO, count: int, dim: int, path: str,
                 errors: Literal["strict", "replace"]) -> tuple[list[str], np.ndarray, bytes]:
    """Rows of ``word<space><dim float32>`` with an optional line break between them,
    and the bytes read beyond the last row."""
    size = 4 * dim
    matrix = np.empty((count, dim), dtype=np.float32)
    words: list[str] = []
    seen: set[str] = set()
    buffer, start = b"", 0
    for i in range(count):
        space = buffer.find(b" ", start)
        while space < 0 or len(buffer) - space - 1 < size:
            more = stream.read(_CHUNK_BYTES)
            if not more:
                raise InputError(f"the file ends inside word {i + 1} of the {count} the header announces "
                                 "(truncated, or the header is wrong)", path)
            buffer, start = buffer[start:] + more, 0
            space = buffer.find(b" ")
        word = _binary_word(buffer[start:space], i, path, errors)
        if word in seen:
            raise InputError(f"word {i + 1} ('{word[:40]}') appears twice", path)
        seen.add(word)
        words.append(word)
        matrix[i] = np.frombuffer(buffer, dtype="<f4", count=dim, offset=space + 1)
        start = space + 1 + size
    if not np.isfinite(matrix).all():
        bad = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise InputError(f"word {bad + 1} ('{words[bad][:40]}') has a value that is not a finite number "
                         "(a damaged file, or a text file: load it with binary=False)", path)
    return words, matrix, buffer[start:]


def _binary_word(raw: bytes, i: int, path: str, errors: Literal["strict", "replace"]) -> str:
    raw = raw.lstrip(b"\n")  # word2vec.c ends each row with a line break; gensim does not
    if not raw or b"\n" in raw:
        raise InputError(f"word {i + 1} is {'empty' if not raw else 'broken by a line break'}: a damaged file, "
                         "or a text file (load it with binary=False)", path)
    try:
        return raw.decode("utf-8", errors)
    except UnicodeDecodeError as exc:
        raise InputError(f"word {i + 1} is not valid UTF-8 at byte {exc.start + 1} ({raw[:40]!r}); pass "
                         "errors='replace' to read it with U+FFFD", path) from None
