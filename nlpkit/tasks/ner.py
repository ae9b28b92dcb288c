"""``ner``: named entities as token tags in a scheme (IOB2, BIOES, BMES, IOB1), scored
on entities the way conlleval scores them, predicted as labelled character spans."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass

from ..corpus import Example
from ..errors import InputError, UsageError
from ..formats import format_tokens
from ..metrics import accuracy, entity_scores
from ..spans import (
    check_scheme,
    normalize_scheme,
    repair_tags,
    tags_to_spans,
    token_spans_to_char_spans,
)
from ..tokens import Tokens
from ..vocab import Vocab
from .tag import Sentence, Tagged, TagTask

#: How many ill-formed sentences an error or warning names.
SHOWN = 3
_ESCAPES = str.maketrans({"\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class Entity:
    """A predicted entity: ``text == source[start:end]`` (character offsets), its type,
    tokens ``[token_start, token_end)``, and ``score``: the mean over its tokens of the
    confidence in the predicted tag (for neural taggers the softmax probability of the
    emission scores, CRF transitions left out; a confidence in ``[0, 1]``, not a
    calibrated probability of the span), or ``None`` when scores were not asked for
    (``pipe(texts, scores=True)``, ``nlpkit predict --scores``)."""

    text: str
    label: str
    start: int
    end: int
    score: float | None
    token_start: int
    token_end: int


@dataclass
class NerResult:
    """The entities found in ``text``, and its tokens with their predicted tags."""

    text: str
    entities: list[Entity]
    tokens: Tokens

    def to_json(self) -> dict:
        return {"text": self.text, "entities": [asdict(e) for e in self.entities], "tokens": self.tokens.to_dicts()}

    def format(self, fmt: str) -> str:
        """``text``: the input with each entity marked in place, ``Obama[PER:0-5] visited
        Paris[LOC:14-19]`` (tabs and line breaks escaped); ``json``: :meth:`to_json`;
        ``conll``: the tokens and their tags (see :func:`nlpkit.formats.format_tokens`)."""
        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False) + "\n"
        if fmt == "conll":
            return format_tokens(self.tokens, "conll")
        pieces, pos = [], 0
        for e in self.entities:
            pieces += [self.text[pos:e.end], f"[{e.label}:{e.start}-{e.end}]"]
            pos = e.end
        return ("".join(pieces) + self.text[pos:]).translate(_ESCAPES) + "\n"


class NerTask(TagTask):
    """Named-entity recognition as tagging.

    Options:

    - ``scheme``: how the corpus's tags mark entities: ``IOB2`` (= ``BIO``), ``BIOES``,
      ``BMES`` (BIOES with ``M`` for inside: Chinese corpora) or ``IOB1``;
    - ``field``: the tag column (default: ``ner``, else ``tag``, else the only column);
    - ``repair``: training sentences whose tags break the scheme (``I-PER`` after ``O``
      in IOB2) are an error naming ``file:line``; with ``repair = true`` they are
      rewritten into the valid tags conlleval reads them as, with a warning.

    The dev metric is entity-level micro F1 (conlleval / seqeval); precision, recall,
    per-type scores, token accuracy and loss come with it.
    """

    name = "ner"
    metric = "f1"

    def __init__(self, *, scheme: str = "IOB2", field: str | None = None, repair: bool = False) -> None:
        super().__init__(field=field)
        self.scheme = normalize_scheme(scheme)
        self.repair = repair

    def datasets(self, train, dev, tokenizer, encoder):  # type: ignore[no-untyped-def]
        if dev is None:
            raise UsageError("The ner task needs dev data to pick the best model by entity F1: give [corpus] "
                             "dev = FILE, or split = [0.9, 0.1] to hold out a seeded tenth of the training file.")
        return super().datasets(train, dev, tokenizer, encoder)

    def default_field(self, example: Example) -> str:
        for name in ("ner", "tag"):
            if name in example.tags:
                return name
        if len(example.tags) == 1:
            return next(iter(example.tags))
        raise InputError(f"which tag column holds the entities? Set [task] field to one of: "
                         f"{', '.join(example.tags)}", example.source)

    def sentences(self, examples: list[Example], tokenizer, training: bool = False) -> list[Sentence]:  # type: ignore[no-untyped-def]
        """As the tag task's, with every tag checked against the scheme; training
        sentences that break it are refused or, with ``repair``, repaired."""
        sentences = super().sentences(examples, tokenizer, training)
        for s in sentences:
            tags_to_spans(s.tags, self.scheme, source=s.example.source)  # a tag outside the scheme raises
        if not training:  # held-out tags are read leniently, as conlleval reads them
            return sentences
        broken = [(i, problems) for i, s in enumerate(sentences)
                  if (problems := check_scheme(s.tags, self.scheme, s.example.source))]
        if broken and not self.repair:
            raise InputError(self._broken_message(broken))
        if broken:
            where = _first([sentences[i].example.source for i, _ in broken])
            warnings.warn(f"repaired the tags of {len(broken)} training sentence(s) that break scheme "
                          f"{self.scheme}, as conlleval reads them: {where}", stacklevel=2)
            for i, _ in broken:
                s = sentences[i]
                sentences[i] = Sentence(s.example, s.tokens, repair_tags(s.tags, self.scheme))
        return sentences

    def _broken_message(self, broken: list[tuple[int, list[str]]]) -> str:
        shown = "; ".join(problems[0] for _, problems in broken[:SHOWN])
        extra = len(broken) - SHOWN
        more = f" (and {extra} more sentence{'s' * (extra > 1)})" if extra > 0 else ""
        return (
            f"{len(broken)} training sentence(s) have tags that break scheme {self.scheme}: {shown}{more}. "
            f"Fix the corpus, set [task] scheme to the one it uses, or set [task] repair = true to "
            "rewrite them into the valid tags conlleval reads them as."
        )

    def scores(self, data, predicted: list[list[int]], labels: Vocab) -> dict:  # type: ignore[no-untyped-def]
        gold = [labels.decode(seq) for seq in data.targets]
        tags = [labels.decode(seq) for seq in predicted]
        flat_gold = [t for seq in data.targets for t in seq]
        return {
            **entity_scores(gold, tags, self.scheme),
            "accuracy": accuracy(flat_gold, [t for seq in predicted for t in seq]),
        }

    def predict(self, pipeline, texts: list[str], batch_size: int = 64,  # type: ignore[no-untyped-def]
                scores: bool = False) -> list[NerResult]:
        return [self._result(t) for t in self.tag(pipeline, texts, batch_size, scores)]

    def _result(self, tagged: Tagged) -> NerResult:
        tokens, text, confidence = tagged.tokens, tagged.text, tagged.confidence
        spans = tags_to_spans(tokens.tags or [], self.scheme)
        offsets = token_spans_to_char_spans(spans, list(zip(tokens.starts, tokens.ends)))
        entities = []
        for span, (start, end) in zip(spans, offsets):
            score = None if confidence is None else sum(confidence[span.start:span.end]) / (span.end - span.start)
            entities.append(Entity(text[start:end], span.label, start, end, score, span.start, span.end))
        return NerResult(text, entities, tokens)


def _first(sources: list[str]) -> str:
    more = f" and {len(sources) - SHOWN} more" if len(sources) > SHOWN else ""
    return ", ".join(sources[:SHOWN]) + more
