"""``segment``: Chinese word segmentation as BMES character tagging, scored on words
the way the SIGHAN bakeoff scorer scores them, predicted as words with offsets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..corpus import Example
from ..errors import InputError, UsageError
from ..formats import format_tokens
from ..metrics import accuracy, segmentation_scores
from ..spans import (
    bmes_to_words,
    words_to_bmes,
)
from ..tokens import Tokens
from ..vocab import Vocab
from .tag import Sentence, Tagged, TagTask

if TYPE_CHECKING:
    from ..encoder import Encoder
    from ..tokenizer import Tokenizer

#: The file of a saved pipeline's ``task/`` folder that holds the training words.
WORDS_FILE = "words.txt"


@dataclass
class SegmentResult:
    """The words of ``text`` (``text[w.start:w.end] == w.text``), and its characters
    with their predicted ``B``/``M``/``E``/``S`` tags."""

    text: str
    words: Tokens
    tokens: Tokens

    def to_json(self) -> dict:
        return {"text": self.text, "words": self.words.to_dicts(), "tokens": self.tokens.to_dicts()}

    def format(self, fmt: str) -> str:
        """``text``: the words separated by spaces; ``json``: :meth:`to_json`;
        ``conll``: one character and its tag per line."""
        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False) + "\n"
        return format_tokens(self.tokens if fmt == "conll" else self.words, fmt)


class SegmentTask(TagTask):
    """Word segmentation: each character is tagged ``B`` (begins a word), ``M``
    (inside), ``E`` (ends) or ``S`` (a one-character word).

    Trains on word-segmented text (format ``segmented``: words separated by spaces,
    one sentence per line) with a character tokenizer (``char``, ``graphemes = false``).
    Without a dev file, a seeded ``dev_fraction`` of the training sentences is held out
    (``dev_seed``). The dev metric is word F1 as the SIGHAN scorer counts it, with
    precision, recall, OOV rate and recall (against the training words, kept in the
    saved pipeline), in-vocabulary recall, character accuracy and loss. A recall over no
    words (no OOV gold word, or no IV one) is ``None``: ``null`` in ``meta.json``.
    """

    name = "segment"
    metric = "f1"
    scheme = "BMES"

    def __init__(self, *, dev_fraction: float = 0.1, dev_seed: int = 42) -> None:
        if not 0 <= dev_fraction < 1:
            raise UsageError(f"[task] segment needs 0 <= dev_fraction < 1; got {dev_fraction!r}.")
        self.field = None
        self.dev_fraction, self.dev_seed = dev_fraction, dev_seed
        self.words: set[str] = set()

    def datasets(self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder):
        if dev is None:
            train, dev = self._hold_out(train)
        result = super().datasets(train, dev, tokenizer, encoder)
        self.words = {w for e in train for w in (e.tokens or ())}
        return result

    def _hold_out(self, train: list[Example]) -> tuple[list[Example], list[Example]]:
        from ..splits import split_examples

        if not self.dev_fraction or len(train) < 2:
            raise UsageError("The segment task needs dev data: give [corpus] dev = FILE, or keep [task] "
                             "dev_fraction > 0 (and at least two training sentences) to hold some out.")
        kept, held_out = split_examples(train, (1 - self.dev_fraction, self.dev_fraction), self.dev_seed)
        return kept, held_out

    def sentences(self, examples: list[Example], tokenizer: Tokenizer, training: bool = False) -> list[Sentence]:
        """Each sentence's characters and their BMES tags; the tokenizer must split
        the text into exactly those characters, as it will at prediction time."""
        sentences = []
        for example in examples:
            words = _gold_words(example)
            if not words:
                continue
            chars = [c for word in words for c in word]
            _check_tokenizer(tokenizer, "".join(words), chars, example)
            sentences.append(Sentence(example, chars, words_to_bmes(words)))
        return sentences

    def scores(self, data, predicted: list[list[int]], labels: Vocab) -> dict:  # type: ignore[no-untyped-def]
        gold = [bmes_to_words(chars, labels.decode(ids)) for chars, ids in zip(data.tokens, data.targets)]
        found = [bmes_to_words(chars, labels.decode(ids)) for chars, ids in zip(data.tokens, predicted)]
        flat_gold = [t for seq in data.targets for t in seq]
        return {
            **segmentation_scores(gold, found, self.words or None),
            "accuracy": accuracy(flat_gold, [t for seq in predicted for t in seq]),
        }

    def predict(self, pipeline, texts: list[str], batch_size: int = 64) -> list[SegmentResult]:  # type: ignore[no-untyped-def]
        tagged = self.tag(pipeline, texts, batch_size, confidence=False)  # words carry no scores
        return [SegmentResult(t.text, word_tokens(t), t.tokens) for t in tagged]

    def to_disk(self, path: Path) -> None:
        if self.words:
            path.mkdir()
            (path / WORDS_FILE).write_text("".join(f"{w}\n" for w in sorted(self.words)), encoding="utf-8")

    def from_disk(self, path: Path) -> None:
        file = path / WORDS_FILE
        if file.is_file():
            self.words = set(file.read_text(encoding="utf-8").split("\n")) - {""}


def word_tokens(tagged: Tagged) -> Tokens:
    """The words of a tagged text: runs of characters read from the BMES tags as
    :func:`nlpkit.spans.bmes_to_words` (and conlleval) read them, a word beginning at
    every ``B`` or ``S`` and after every ``E`` or ``S``, also cut wherever the input had
    whitespace (a word never spans a space), with exact character offsets."""
    tokens, text = tagged.tokens, tagged.text
    tags, starts, ends = tokens.tags or [], tokens.starts, tokens.ends
    if not tags:
        return Tokens(text, [], [], [])
    cuts = [i for i in range(1, len(tags))
            if tags[i] in _OPENS or tags[i - 1] in _CLOSES or ends[i - 1] != starts[i]]
    firsts, lasts = [0, *cuts], [c - 1 for c in cuts] + [len(tags) - 1]
    word_starts, word_ends = [starts[i] for i in firsts], [ends[i] for i in lasts]
    return Tokens(text, [text[a:b] for a, b in zip(word_starts, word_ends)], word_starts, word_ends)


#: BMES tags that open a word, and those after which the next character opens one.
_OPENS, _CLOSES = frozenset(("B", "S")), frozenset(("E", "S"))


def _gold_words(example: Example) -> list[str]:
    if example.tags or example.tokens is None:
        raise InputError("the segment task learns from word-segmented text: read the corpus with format "
                         "'segmented' (words separated by spaces, one sentence per line)", example.source)
    return list(example.tokens)


def _check_tokenizer(tokenizer: Tokenizer, text: str, chars: list[str], example: Example) -> None:
    found = tokenizer(text).texts
    if found != chars:
        at = next((i for i, (a, b) in enumerate(zip(found, chars)) if a != b), min(len(found), len(chars)))
        raise UsageError(
            f"{example.source}: the segment task tags single characters, but tokenizer '{tokenizer.name}' "
            f"splits this sentence differently from token {at} on ({found[at:at + 3]} instead of "
            f"{chars[at:at + 3]}). Use [tokenizer] name = \"char\" with graphemes = false."
        )
