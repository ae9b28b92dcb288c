"""The ``jieba`` tokenizer: Chinese word segmentation with exact offsets.

Each instance owns its own ``jieba.Tokenizer``, so user dictionaries and added
words never leak between instances; jieba's prefix-dictionary cache lives in
nlpkit's user cache directory, not in /tmp.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Literal

from nlpkit import Tokenizer, Tokens, hookimpl
from nlpkit.errors import InputError, OptionError
from nlpkit.io import read_lines
from nlpkit.paths import cache_dir

Mode = Literal["accurate", "full", "search"]


class JiebaTokenizer(Tokenizer):
    """jieba segmentation.

    ``mode``: ``accurate`` (one segmentation), ``full`` (every dictionary word,
    overlapping) or ``search`` (accurate words plus their dictionary sub-words,
    overlapping, for search indexing). ``hmm`` finds unknown words with jieba's
    HMM. ``user_dicts`` are jieba user-dictionary files (``word [freq] [tag]``
    per line); ``words`` are extra words. ``pos`` tags each token with
    jieba.posseg (accurate mode only). ``dictionary`` replaces the main
    dictionary (e.g. jieba's dict.txt.big).
    """

    name = "jieba"

    file_options = ("user_dicts", "dictionary")

    def __init__(
        self,
        *,
        mode: Mode = "accurate",
        hmm: bool = True,
        user_dicts: tuple[str, ...] = (),
        words: tuple[str, ...] = (),
        pos: bool = False,
        dictionary: str | None = None,
        keep_whitespace: bool = False,
    ) -> None:
        if mode not in ("accurate", "full", "search"):
            raise OptionError(f"Tokenizer 'jieba' option 'mode' must be accurate, full or search, not '{mode}'.")
        if pos and mode != "accurate":
            raise OptionError("Tokenizer 'jieba' gives POS tags (pos=true) only in mode=accurate.")
        for path in (*user_dicts, *([dictionary] if dictionary else [])):
            if not Path(path).is_file():
                raise InputError("jieba dictionary file not found", str(path))
        self.mode, self.hmm, self.pos = mode, hmm, pos
        self.user_dicts, self.words = tuple(user_dicts), tuple(words)
        self.dictionary, self.keep_whitespace = dictionary, keep_whitespace
        self._lock = threading.Lock()
        self._backend: Any = None
        self._posseg: Any = None

    @property
    def overlapping(self) -> bool:  # type: ignore[override]
        return self.mode != "accurate"

    def tokenize(self, text: str) -> Tokens:
        backend = self._backend or self._load()
        if self.mode == "accurate" and not self.pos:
            return Tokens.from_words(text, backend.lcut(text, HMM=self.hmm), keep_whitespace=self.keep_whitespace)
        if self.pos:
            pairs = self._posseg.lcut(text, HMM=self.hmm)
            return Tokens.from_words(
                text, [p.word for p in pairs], [p.flag for p in pairs], keep_whitespace=self.keep_whitespace
            )
        spans = backend.tokenize(text, "search", self.hmm) if self.mode == "search" else _full(backend, text)
        return self._tokens(text, spans)

    def _tokens(self, text: str, spans) -> Tokens:  # type: ignore[no-untyped-def]
        spans = [s for s in spans if s[2] > s[1] and (self.keep_whitespace or not s[0].isspace())]
        return Tokens(text, [s[0] for s in spans], [s[1] for s in spans], [s[2] for s in spans])

    def _load(self) -> Any:
        with self._lock:
            if self._backend is None:
                backend = _new_backend(self.dictionary)
                for path in self.user_dicts:
                    _load_userdict(backend, path)
                for word in self.words:
                    backend.add_word(word)
                if self.pos:
                    import jieba.posseg

                    self._posseg = jieba.posseg.POSTokenizer(backend)
                self._backend = backend
        return self._backend


def _new_backend(dictionary: str | None) -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba logs every dictionary load at DEBUG
    backend = jieba.Tokenizer(dictionary or jieba.DEFAULT_DICT)
    backend.tmp_dir = str(cache_dir("jieba"))
    backend.initialize()
    return backend


def _load_userdict(backend: Any, path: str) -> None:
    """Load a jieba user dictionary (``word [freq] [tag]`` per line) as jieba reads it (a
    byte-order mark stripped from any line; a word may hold a space when a frequency follows,
    ``Edu Trust认证 2000``), a little stricter: invalid UTF-8, and a word with spaces but no
    frequency (a mistyped one, ``词 1O nz``), name the file and line."""
    import jieba

    for number, (raw, _) in enumerate(read_lines(path), 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        word, freq, tag = jieba.re_userdict.match(line).groups()
        if not freq and any(c.isspace() for c in word):
            raise InputError(
                f"expected 'word [frequency] [tag]' (frequency a whole number, tag in a-z), got {line!r}",
                path,
                number,
            )
        backend.add_word(word, freq and int(freq), tag and tag.strip())


def _full(backend: Any, text: str) -> list[tuple[str, int, int]]:
    """jieba's full mode (``cut(cut_all=True)``) with the offset of every word."""
    import jieba

    spans: list[tuple[str, int, int]] = []
    pos = 0
    for block in jieba.re_han_default.split(text):
        if jieba.re_han_default.match(block):
            spans.extend((w, pos + s, pos + e) for w, s, e in _cut_all_block(backend, block))
            pos += len(block)
            continue
        for part in jieba.re_skip_default.split(block):
            spans.append((part, pos, pos + len(part)))
            pos += len(part)
    return spans


def _cut_all_block(backend: Any, block: str) -> list[tuple[str, int, int]]:
    """jieba's ``Tokenizer.__cut_all`` on one block, step for step, keeping offsets."""
    import jieba

    is_eng = jieba.re_eng.match
    out: list[tuple[str, int, int]] = []
    old_j, eng_start, eng_end = -1, -1, -1
    for k, ends in backend.get_DAG(block).items():
        if eng_start >= 0 and not is_eng(block[k]):
            out.append((block[eng_start:eng_end], eng_start, eng_end))
            eng_start = -1
        if len(ends) == 1 and k > old_j:
            end = ends[0] + 1
            if is_eng(block[k:end]):
                if eng_start < 0:
                    eng_start = k
                eng_end = end
            else:  # jieba is not scanning English here: block[k] is not English
                out.append((block[k:end], k, end))
            old_j = ends[0]
        else:
            for j in ends:
                if j > k:
                    out.append((block[k:j + 1], k, j + 1))
                    old_j = j
    if eng_start >= 0:
        out.append((block[eng_start:eng_end], eng_start, eng_end))
    return out


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(JiebaTokenizer, aliases=("zh",))
