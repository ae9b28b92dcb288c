"""Tag schemes and spans for sequence labelling: NER and word segmentation.

A :class:`Span` is a labelled run of tokens ``[start, end)``. Tag sequences in the
schemes of :data:`SCHEMES` turn into spans the way ``conlleval`` reads them (and
seqeval's default mode, which emulates it), so scores computed on spans are the
scores everyone reports:

- an ``I-X`` after ``O``, at the start, or after another type starts a chunk;
- ``B`` and ``S`` start a chunk, ``E`` and ``S`` end one, a type change ends one;
- ``BMES`` is ``BIOES`` with ``M`` for inside.

Reading is lenient, as conlleval is: an ill-formed sequence (``O I-PER``) is read,
never refused. :func:`check_scheme` lists what is ill-formed, :func:`repair_tags`
rewrites a sequence into the valid one conlleval reads it as. Only a tag that does
not belong to the scheme at all (``E-PER`` in IOB2, ``PER``) raises.

Tags are ``O`` or a prefix, ``-`` and a type (``B-PER``; the type may itself hold
``-``: ``B-creative-work``), or a bare prefix (``B``, ``M``, ``E``, ``S``) for word
segmentation, whose spans have the empty label ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from .errors import InputError, UsageError
from .schemes import PREFIXES as _PREFIXES
from .schemes import SCHEMES as SCHEMES  # re-exported: spans speak of schemes
from .schemes import normalize_scheme

_INSIDE = {"IOB2": "I", "IOB1": "I", "BIOES": "I", "BMES": "M"}


@dataclass(frozen=True)
class Span:
    """Tokens ``[start, end)`` labelled ``label`` (``""`` for a word); ``score`` is an
    optional confidence that takes no part in equality or hashing."""

    label: str
    start: int
    end: int
    score: float | None = field(default=None, compare=False)


# ---------------------------------------------------------------- parsing tags


@lru_cache(maxsize=4096)
def _parse(tag: str, scheme: str) -> tuple[str, str | None] | None:
    """``(conlleval letter, type)`` of a tag, ``M`` read as ``I``; ``None`` if it does not fit."""
    if not isinstance(tag, str) or not tag or tag[0] not in _PREFIXES[scheme]:
        return None
    if tag == "O":
        return "O", None
    if tag[0] == "O" or (len(tag) > 1 and tag[1] != "-"):
        return None
    return ("I" if tag[0] == "M" else tag[0]), tag[2:]


def parse_tag(tag: str, scheme: str = "IOB2") -> tuple[str, str | None]:
    """``("B", "PER")`` for ``B-PER``, ``("O", None)`` for ``O``, ``("M", "")`` for ``M``.
    Splits on the first ``-``; raises :class:`InputError` for a tag the scheme lacks."""
    scheme = normalize_scheme(scheme)
    parsed = _parse(tag, scheme)
    if parsed is None:
        raise InputError(_bad_tag(tag, None, scheme))
    return tag[0], parsed[1]


def _bad_tag(tag: object, position: int | None, scheme: str) -> str:
    where = "" if position is None else f" at token {position}"
    prefixes = ", ".join(f"{p}-" for p in _PREFIXES[scheme] if p != "O")
    fits = [s for s in ("IOB2", "BIOES", "BMES") if isinstance(tag, str) and _parse(tag, s)]
    hint = f" It fits scheme {fits[0]}: pass scheme='{fits[0]}'." if fits else ""
    return (
        f"tag {tag!r}{where} does not fit tag scheme {scheme}: a tag is O, or one of the prefixes "
        f"{prefixes} followed by an entity type (B-PER), or a bare prefix for word segmentation (B).{hint}"
    )


def _parse_all(tags: Sequence[str], scheme: str, source: str) -> list[tuple[str, str | None]]:
    parsed = []
    for i, tag in enumerate(tags):
        letter_type = _parse(tag, scheme)
        if letter_type is None:
            raise InputError(_bad_tag(tag, i, scheme), source or None)
        parsed.append(letter_type)
    return parsed


def _tag(prefix: str, label: str) -> str:
    return f"{prefix}-{label}" if label else prefix


# ---------------------------------------------------------------- tags <-> spans


def _chunk_ends(prev: str, prev_type: str | None, tag: str, type_: str | None) -> bool:
    """conlleval's endOfChunk: did a chunk end just before this tag?"""
    return prev in "ES" or (prev in "BI" and tag in "BSO") or (prev != "O" and prev_type != type_)


def _chunk_starts(prev: str, prev_type: str | None, tag: str, type_: str | None) -> bool:
    """conlleval's startOfChunk: does a chunk start at this tag?"""
    return tag in "BS" or (prev in "ESO" and tag in "IE") or (tag != "O" and prev_type != type_)


def tags_to_spans(tags: Sequence[str], scheme: str = "IOB2", *, source: str = "") -> list[Span]:
    """The chunks conlleval reads in ``tags``, in order. Ill-formed sequences are read
    leniently; a tag outside the scheme raises :class:`InputError` naming ``source``."""
    parsed = _parse_all(tags, normalize_scheme(scheme), source)
    spans: list[Span] = []
    prev, prev_type, start = "O", None, 0
    for i, (tag, type_) in enumerate([*parsed, ("O", None)]):
        if _chunk_ends(prev, prev_type, tag, type_):
            spans.append(Span(prev_type or "", start, i))
        if _chunk_starts(prev, prev_type, tag, type_):
            start = i
        prev, prev_type = tag, type_
    return spans


def spans_to_tags(spans: Iterable[Span], length: int, scheme: str = "IOB2") -> list[str]:
    """Tags for ``length`` tokens holding ``spans`` (non-overlapping); the inverse of
    :func:`tags_to_spans` for IOB2, IOB1, BIOES and BMES. Raises :class:`UsageError`
    for overlapping spans or spans outside ``[0, length)``."""
    scheme = normalize_scheme(scheme)
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    _check_spans(ordered, length)
    tags = ["O"] * length
    previous: Span | None = None
    for span in ordered:
        follows_same = previous is not None and previous.end == span.start and previous.label == span.label
        tags[span.start : span.end] = _span_tags(span.label, span.end - span.start, scheme, follows_same)
        previous = span
    return tags


def _span_tags(label: str, n: int, scheme: str, follows_same: bool) -> list[str]:
    inside = _INSIDE[scheme]
    if scheme == "IOB1":
        return [_tag("B" if follows_same else "I", label)] + [_tag("I", label)] * (n - 1)
    if scheme == "IOB2":
        return [_tag("B", label)] + [_tag("I", label)] * (n - 1)
    if n == 1:
        return [_tag("S", label)]
    return [_tag("B", label)] + [_tag(inside, label)] * (n - 2) + [_tag("E", label)]


def _check_spans(ordered: list[Span], length: int) -> None:
    for span in ordered:
        if not 0 <= span.start < span.end <= length:
            raise UsageError(f"{span} does not fit {length} tokens: a span needs 0 <= start < end <= {length}.")
    for a, b in pairwise(ordered):
        if b.start < a.end:
            raise UsageError(
                f"Spans overlap: {a} and {b} share token {b.start}. Tags give each token one label, so they "
                "can only hold non-overlapping spans; keep one span of each overlapping group (nested "
                "entities need a span-based representation, not tags)."
            )


# ---------------------------------------------------------------- validity, repair, conversion


def check_scheme(tags: Sequence[str], scheme: str = "IOB2", source: str = "") -> list[str]:
    """Human descriptions of what makes ``tags`` invalid in ``scheme`` (empty when valid),
    each naming the token: ``"I-PER after O at token 3 (...)"``, prefixed by ``source``."""
    scheme = normalize_scheme(scheme)
    prefix = f"{source}: " if source else ""
    parsed = [_parse(tag, scheme) for tag in tags]
    problems = [prefix + _bad_tag(tag, i, scheme) for i, (tag, p) in enumerate(zip(tags, parsed)) if p is None]
    safe = [p or ("O", None) for p in parsed]
    for i in range(len(tags)):
        problems.extend(prefix + problem for problem in _problems_at(tags, safe, i, scheme))
    return problems


def _problems_at(tags: Sequence[str], parsed: list, i: int, scheme: str) -> list[str]:
    letter, type_ = parsed[i]
    prev = parsed[i - 1] if i > 0 else ("O", None)
    after = f"after {tags[i - 1]} at token {i}" if i > 0 else f"at the start of the sentence (token {i})"
    label = type_ or ""
    if scheme == "IOB2" and letter == "I" and prev not in (("B", type_), ("I", type_)):
        return [f"{tags[i]} {after} (IOB2 entities start with {_tag('B', label)})"]
    if scheme == "IOB1" and letter == "B" and prev not in (("B", type_), ("I", type_)):
        return [f"{tags[i]} {after} (IOB1 uses B- only right after an entity of the same type; use {_tag('I', label)})"]
    if scheme not in ("BIOES", "BMES"):
        return []
    problems = []
    if letter in "IE" and prev not in (("B", type_), ("I", type_)):
        problems.append(
            f"{tags[i]} {after} ({scheme} entities start with {_tag('B', label)} or are {_tag('S', label)})"
        )
    following = parsed[i + 1] if i + 1 < len(parsed) else ("O", None)
    if letter in "BI" and following not in (("I", type_), ("E", type_)):
        then = (
            f"followed by {tags[i + 1]} at token {i}"
            if i + 1 < len(tags)
            else f"at the end of the sentence (token {i})"
        )
        inside = _tag(_INSIDE[scheme], label)
        problems.append(f"{tags[i]} {then} (a {scheme} entity goes on with {inside} and ends with {_tag('E', label)})")
    return problems


def repair_tags(tags: Sequence[str], scheme: str = "IOB2") -> list[str]:
    """The valid sequence in ``scheme`` with the chunks conlleval reads in ``tags``
    (``O I-PER`` -> ``O B-PER`` in IOB2; ``B-PER O`` -> ``S-PER O`` in BIOES)."""
    return convert(tags, scheme, scheme)


def convert(tags: Sequence[str], from_scheme: str, to_scheme: str) -> list[str]:
    """Rewrite ``tags`` from one scheme into another through their spans (IOB1 -> IOB2, IOB2 <-> BIOES...)."""
    return spans_to_tags(tags_to_spans(tags, from_scheme), len(tags), to_scheme)


# ---------------------------------------------------------------- words and characters


def words_to_bmes(words: Iterable[str]) -> list[str]:
    """One tag per character: ``S`` for a one-character word, ``B M* E`` for longer ones."""
    tags: list[str] = []
    for k, word in enumerate(words):
        if not word:
            raise UsageError(f"Word {k} is empty; every word needs at least one character.")
        tags.extend(["S"] if len(word) == 1 else ["B"] + ["M"] * (len(word) - 2) + ["E"])
    return tags


def bmes_to_words(chars_or_text: str | Sequence[str], tags: Sequence[str]) -> list[str]:
    """Words from per-character BMES tags, leniently: ``B`` and ``S`` start a word, ``E``
    and ``S`` end one, and an ``M`` or ``E`` after an ended word starts a new one."""
    if len(chars_or_text) != len(tags):
        raise InputError(f"{len(chars_or_text)} characters but {len(tags)} tags; give one tag per character.")
    words: list[str] = []
    open_word = False
    for i, (char, tag) in enumerate(zip(chars_or_text, tags)):
        parsed = _parse(tag, "BMES")
        if parsed is None or parsed[0] == "O":
            raise InputError(f"tag {tag!r} at character {i} is not a word-segmentation tag: use B, M, E or S.")
        if tag[0] in "BS" or not open_word:
            words.append("")
        words[-1] += char
        open_word = tag[0] in "BM"
    return words


def word_offsets(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of consecutive ``words`` in ``text``, skipping
    whitespace between them. Raises :class:`InputError` if the words do not spell the text."""
    offsets, pos = [], 0
    for k, word in enumerate(words):
        if not word:
            raise InputError(f"word {k} is empty; every word needs at least one character.")
        if not text.startswith(word, pos):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if not text.startswith(word, pos):
                raise InputError(
                    f"word {k} {word!r} does not match the text at character {pos}: {text[pos : pos + 30]!r}."
                )
        offsets.append((pos, pos + len(word)))
        pos += len(word)
    if text[pos:].strip():
        raise InputError(f"the words end at character {pos} but the text goes on: {text[pos : pos + 30]!r}.")
    return offsets


def token_spans_to_char_spans(spans: Iterable[Span], token_offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start_char, end_char)`` of each token span, given each token's character offsets."""
    result = []
    for span in spans:
        if not 0 <= span.start < span.end <= len(token_offsets):
            raise UsageError(
                f"{span} does not fit {len(token_offsets)} tokens: need 0 <= start < end <= {len(token_offsets)}."
            )
        result.append((token_offsets[span.start][0], token_offsets[span.end - 1][1]))
    return result
