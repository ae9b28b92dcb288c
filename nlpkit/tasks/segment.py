"""``segment``: Chinese word segmentation as BMES character tagging, scored on words
the way the SIGHAN bakeoff scorer scores them, predicted as words with offsets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .tag import Sentence, Tagged, TagRun, TagTask

if TYPE_CHECKING:
    from ..encoder import Encoder
    from ..tokenizer import Tokenizer

#: The file of a saved pipeline's ``task/`` folder that holds the training words.
WORDS_FILE = "words.txt"


@dataclass
class SegmentResult:
    """The words of ``text`` (``text[w.start:w.end] == w.text``), and its characters
    with their predicted ``B``/``M``/``E``/``S`` tags; ``scores``: per word, the mean
    confidence in its characters' tags, or ``None`` when scores were not asked for."""

    text: str
    words: Tokens
    tokens: Tokens
    scores: list[float] | None = None

    def to_json(self) -> dict:
        return {"text": self.text, "words": self.words.to_dicts(), "tokens": self.tokens.to_dicts(),
                "scores": self.scores}

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

    def predict(self, pipeline, texts: list[str], batch_size: int = 64,  # type: ignore[no-untyped-def]
                scores: bool = False) -> list[SegmentResult]:
        done = self.tag_ids(pipeline, texts, batch_size, scores)
        words, word_scores = batch_words(texts, done, pipeline.labels.items)
        return [SegmentResult(text, w, tokens, None if word_scores is None else word_scores[i])
                for i, (text, w, tokens) in enumerate(zip(texts, words, done.tokens))]

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
    tokens = tagged.tokens
    tags = tokens.tags or []
    labels = sorted(set(tags))
    index = {tag: i for i, tag in enumerate(labels)}
    done = TagRun([tokens], [0] if tags else [], [[index[t] for t in tags]] if tags else [], None)
    return batch_words([tagged.text], done, labels)[0][0]


def batch_words(texts: list[str], done: TagRun, labels: list[str]) -> tuple[list[Tokens], list[list[float]] | None]:
    """The words of each tagged text (see :func:`word_tokens`) and, with confidences, each
    word's mean confidence; computed for the whole batch at once with numpy rather than
    by a Python test per character."""
    import numpy as np

    words: list[Tokens] = [_NO_WORDS] * len(texts)  # replaced below, or by empty Tokens of their text
    scores: list[list[float]] | None = None if done.confidence is None else [[] for _ in texts]
    if len(done.nonempty) < len(texts):
        empty = set(range(len(texts))).difference(done.nonempty)
        for i in empty:
            words[i] = Tokens(texts[i], [], [], [])
    if not done.nonempty:
        return words, scores
    tokens = [done.tokens[i] for i in done.nonempty]
    lengths = np.fromiter(map(len, done.ids), np.intp, count=len(done.ids))
    offsets = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    starts, ends = _flat_offsets(tokens, lengths, offsets, total)
    opens, closes = _opens_and_closes(tokens, done.ids, labels, total)
    cut = opens
    cut[1:] |= closes[:-1] | (starts[1:] != ends[:-1])
    cut[offsets] = True  # each sentence opens a word
    firsts = np.flatnonzero(cut)
    lasts = np.append(firsts[1:], total) - 1
    word_starts, word_ends = starts[firsts].tolist(), ends[lasts].tolist()
    bounds = np.searchsorted(firsts, np.append(offsets, total)).tolist()
    for k, (i, t) in enumerate(zip(done.nonempty, tokens)):
        a, b = bounds[k], bounds[k + 1]
        ws, we = word_starts[a:b], word_ends[a:b]
        text = t.text
        words[i] = Tokens(text, [text[s:e] for s, e in zip(ws, we)], ws, we)
    if scores is not None:
        confidence = np.fromiter(chain.from_iterable(done.confidence), np.float64, count=total)
        means = (np.add.reduceat(confidence, firsts) / (lasts + 1 - firsts)).tolist()
        for k, i in enumerate(done.nonempty):
            scores[i] = means[bounds[k]:bounds[k + 1]]
    return words, scores


def _flat_offsets(tokens: list[Tokens], lengths: Any, offsets: Any, total: int) -> tuple[Any, Any]:
    """The character offsets of every token of the batch, as two flat arrays. Where each
    text's tokens are its characters one after another (the ``char`` tokenizer's, with no
    whitespace) they are counted rather than copied token by token."""
    import numpy as np

    if all(t.ends[-1] - t.starts[0] == len(t.texts) and "" not in t.texts for t in tokens):
        first = np.fromiter((t.starts[0] for t in tokens), np.intp, count=len(tokens))
        starts = np.arange(total) + np.repeat(first - offsets, lengths)
        return starts, starts + 1
    starts = np.fromiter(chain.from_iterable(t.starts for t in tokens), np.intp, count=total)
    ends = np.fromiter(chain.from_iterable(t.ends for t in tokens), np.intp, count=total)
    return starts, ends


def _opens_and_closes(tokens: list[Tokens], ids: list[list[int]], labels: list[str], total: int) -> tuple[Any, Any]:
    """Per token of the batch, whether its tag opens a word (B, S) and whether it closes
    one (E, S). One-character labels are read from the joined tags as code points, which is
    cheaper than gathering the tag ids one by one."""
    import numpy as np

    if all(len(label) == 1 for label in labels):
        joined = "".join(chain.from_iterable(t.tags or () for t in tokens))
        codes = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
        return np.isin(codes, _CODES["opens"]), np.isin(codes, _CODES["closes"])
    flat = np.fromiter(chain.from_iterable(ids), np.intp, count=total)
    opens = np.array([label in _OPENS for label in labels])
    closes = np.array([label in _CLOSES for label in labels])
    return opens[flat], closes[flat]


_NO_WORDS = Tokens("", [], [], [])
#: BMES tags that open a word, and those after which the next character opens one.
_OPENS, _CLOSES = frozenset(("B", "S")), frozenset(("E", "S"))
_CODES = {"opens": list(map(ord, _OPENS)), "closes": list(map(ord, _CLOSES))}


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
