"""Tokens from spaCy's tokenizer, read as arrays rather than one ``Token`` object at a time.

On short texts, reading each token through spaCy's Python API (``t.idx``, ``len(t)``,
``t.is_space``) costs about as much as tokenizing, and one ``Doc.to_array`` per short Doc
saves little. So short texts are tokenized in small groups: joined by a separator into
one string, tokenized once, read with one ``to_array``, and cut back into per-text
:class:`~nlpkit.Tokens` by offset. Groups stay small so that their lists are freed before
Python's garbage collector runs (held a batch of 1,000 texts at a time, they set it off
some 200 times per 40,000 short lines, at two thirds of spaCy's own tokenizing time).

Why the tokens are exactly those of each text alone: spaCy's ``Tokenizer`` splits the
string at whitespace and tokenizes every non-whitespace chunk on its own (affix rules,
``token_match``, ``url_match``, special cases and its cache all see the chunk only). The
one step that looks across chunks is the matcher for special cases, which matches
sequences of token texts; the separator, ``\\x1e`` (which ``str.isspace`` counts as
whitespace), always leaves a whitespace token between two texts, so a rule could match
across texts only if its own tokens include a whitespace token, and then it only changes
the texts' non-space tokens if it is more than whitespace (spaCy's own whitespace rules,
such as ``"\\n"``, only touch whitespace tokens, which are dropped). A tokenizer with a
rule that mixes words and whitespace other than single spaces after words (Malay's
``"M\\n"``) is not grouped, nor is any other tokenizer class (the Chinese,
Japanese... segmenters look at the whole text). Whitespace tokens at the edges do change,
so with ``keep_whitespace`` each text is tokenized alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate, compress, islice
from operator import add
from typing import Any

import numpy as np
from spacy.attrs import IDX, IS_SPACE, LENGTH, ORTH, intify_attrs
from spacy.tokenizer import Tokenizer as RuleTokenizer

from nlpkit import Tokens

SEPARATOR = "\x1e"
#: A group ends at about this many characters, or this many texts; longer texts go alone.
GROUP_CHARS = 8_000
GROUP_TEXTS = 64
_ATTRS = [IDX, LENGTH, IS_SPACE]
#: Special-case rules whose tokens never include a whitespace token (spaCy keeps a single
#: space after a word as that word's trailing space, not as a token).
_WORDS = re.compile(r"\S+(?: \S+)* ?")


def groupable(tokenizer: Callable[[str], Any]) -> bool:
    """Whether texts may be joined for ``tokenizer`` without changing their non-space tokens."""
    return type(tokenizer) is RuleTokenizer and all(
        _WORDS.fullmatch(rule) or _only_whitespace(pieces) for rule, pieces in tokenizer.rules.items()
    )


def _only_whitespace(pieces: list[dict]) -> bool:
    """Whether a rule makes nothing but whitespace tokens (no empty ones, which are not space)."""
    return all(intify_attrs(dict(piece))[ORTH].isspace() for piece in pieces)


def tokenize_one(tokenizer: Callable[[str], Any], text: str, keep_whitespace: bool) -> Tokens:
    """The Tokens of one text (for a single Doc, plain lists beat numpy's per-call cost)."""
    starts, lengths, spaces = tokenizer(text).to_array(_ATTRS).T.tolist()
    if not keep_whitespace and any(spaces):
        kept = [not space for space in spaces]
        starts, lengths = list(compress(starts, kept)), list(compress(lengths, kept))
    ends = list(map(add, starts, lengths))
    return Tokens(text, [text[s:e] for s, e in zip(starts, ends)], starts, ends)


def tokenize_stream(
    tokenizer: Callable[[str], Any], texts: Iterable[str], grouped: bool, keep_whitespace: bool
) -> Iterator[Tokens]:
    """The Tokens of each text, in order, a group at a time when ``grouped``."""
    if not grouped or keep_whitespace:
        for text in texts:
            yield tokenize_one(tokenizer, text, keep_whitespace)
        return
    for group in _groups(texts):
        if len(group) == 1:
            yield tokenize_one(tokenizer, group[0], keep_whitespace)
        else:
            joined = SEPARATOR.join(group)
            yield from _read_group(tokenizer(joined), joined, group)


def _groups(texts: Iterable[str]) -> Iterator[list[str]]:
    """Runs of ``GROUP_TEXTS`` texts, split further where they hold over ``GROUP_CHARS``."""
    it = iter(texts)
    while run := list(islice(it, GROUP_TEXTS)):
        if sum(map(len, run)) + len(run) <= GROUP_CHARS:
            yield run
            continue
        group: list[str] = []
        size = 0
        for text in run:
            if group and size + len(text) > GROUP_CHARS:
                yield group
                group, size = [], 0
            group.append(text)
            size += len(text) + 1
        yield group


def _read_group(doc: Any, joined: str, texts: list[str]) -> list[Tokens]:
    """The non-space tokens of ``doc``, made from ``texts`` joined by ``SEPARATOR``, cut per text."""
    cols = doc.to_array(_ATTRS)
    cols = cols[cols[:, 2] == 0]
    starts, lengths = cols[:, 0], cols[:, 1]
    abs_starts, abs_ends = starts.tolist(), (starts + lengths).tolist()
    words = [joined[s:e] for s, e in zip(abs_starts, abs_ends)]
    offsets = np.fromiter(accumulate((len(t) + 1 for t in texts[:-1]), initial=0), np.uint64, len(texts))
    cuts = np.searchsorted(starts, offsets).tolist()
    cuts.append(len(words))
    rel_starts = starts - np.repeat(offsets, np.diff(cuts))
    starts_list, ends_list = rel_starts.tolist(), (rel_starts + lengths).tolist()
    return [
        Tokens(text, words[a:b], starts_list[a:b], ends_list[a:b])
        for text, a, b in zip(texts, cuts, cuts[1:])
    ]
