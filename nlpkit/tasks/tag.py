"""``tag``: one label per token (POS tagging). ``ner`` and ``segment`` build on it.

:class:`TagTask` does the shared work: sentences -> (tokens, tags), encoding, the
evaluation loop and tagging raw text. Subclasses change three things:
:meth:`TagTask.sentences` (where tokens and tags come from), :meth:`TagTask.scores`
(the metrics on decoded tags) and ``predict`` (what a result is).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..corpus import Example
from ..count_model import is_count_model
from ..errors import InputError, UsageError
from ..formats import format_tokens
from ..metrics import accuracy
from ..tokens import Tokens
from ..vocab import Vocab
from .base import Task, label_id, restore_order, run

if TYPE_CHECKING:
    from ..count_model import CountModel
    from ..decoder import Decoder
    from ..encoder import Encoder
    from ..model import Model
    from ..pipeline import Pipeline
    from ..scores import Scores
    from ..tokenizer import Tokenizer
    from .tagdata import TagData


@dataclass
class TagResult:
    """The tokens of ``text`` with their offsets and predicted tags (``tokens.tags``);
    ``scores``: per token, the confidence in its tag (see :class:`Tagged`), or ``None``
    when scores were not asked for (``pipe(texts, scores=True)``, ``nlpkit predict --scores``)."""

    text: str
    tokens: Tokens
    scores: list[float] | None = None

    def to_json(self) -> dict:
        return {"text": self.text, "tokens": self.tokens.to_dicts(), "scores": self.scores}

    def format(self, fmt: str) -> str:
        """``json``: :meth:`to_json`; ``text`` and ``conll``: the tagged tokens, as
        :func:`nlpkit.formats.format_tokens` writes them."""
        if fmt == "json":
            return json.dumps(self.to_json(), ensure_ascii=False) + "\n"
        return format_tokens(self.tokens, fmt)


@dataclass(frozen=True)
class Sentence:
    """One example as the tagger sees it: token texts and their gold tags."""

    example: Example
    tokens: list[str]
    tags: list[str]


@dataclass
class Tagged:
    """One predicted text: its tokens (``tokens.tags`` set) and, when asked for, per token
    the confidence in the chosen tag (``None`` otherwise): for neural taggers the softmax
    probability of the emission scores at that tag, for count models its posterior."""

    text: str
    tokens: Tokens
    confidence: list[float] | None = None


class TagTask(Task):
    """Sequence labelling from pre-tokenised corpora; ``field`` names the tag column
    to learn (``upos``, ``xpos``, ``ner``...; by default the corpus's first one)."""

    name = "tag"
    head = "tag"
    metric = "accuracy"
    #: The tag scheme the labels follow (``ner``, ``segment``); None: any labels.
    scheme: str | None = None

    def __init__(self, *, field: str | None = None) -> None:
        self.field = field

    # -- data ---------------------------------------------------------------------------

    def datasets(self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder):
        sentences = self.sentences(train, tokenizer, training=True)
        encoder.fit([s.tokens for s in sentences])
        labels = Vocab.build([s.tags for s in sentences], specials=())
        dev_data = None if dev is None else self._encode(self.sentences(dev, tokenizer), encoder, labels)
        return self._encode(sentences, encoder, labels), dev_data, labels

    def dataset(self, examples: list[Example], tokenizer: Tokenizer, encoder: Encoder, labels: Vocab | None) -> TagData:
        assert labels is not None
        return self._encode(self.sentences(examples, tokenizer), encoder, labels)

    def sentences(self, examples: list[Example], tokenizer: Tokenizer, training: bool = False) -> list[Sentence]:
        """The examples with tokens, as (tokens, gold tags). Training examples without
        tokens are an error; held-out ones are skipped."""
        kept = [e for e in examples if training or e.tokens]
        return [Sentence(e, _tokens(e), self._tags(e)) for e in kept]

    def _tags(self, example: Example) -> list[str]:
        if not example.tags:
            raise InputError("this example has no tag column; tagging needs one label per token", example.source)
        field = self.field or self.default_field(example)
        if field not in example.tags:
            raise InputError(f"no tag column '{field}' (columns: {', '.join(example.tags)})", example.source)
        return list(example.tags[field])

    def default_field(self, example: Example) -> str:
        """The tag column used when ``field`` is not set: the first one."""
        return next(iter(example.tags))

    def _encode(self, sentences: list[Sentence], encoder: Encoder, labels: Vocab) -> TagData:
        from .tagdata import TagData

        kept = [s for s in sentences if s.tokens]
        targets = [[label_id(labels, t, s.example) for t in s.tags] for s in kept]
        tokens = [s.tokens for s in kept]
        return TagData.encode(encoder, tokens, targets, tokens=tokens)

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self, model: Model, decoder: Decoder, data: TagData, labels: Vocab | None, batch_size: int = 64) -> dict:
        if data is None:
            raise UsageError(f"The '{self.name}' task has no dev data to evaluate on: give [corpus] dev = FILE, "
                             "or split = [0.9, 0.1] to hold out a seeded tenth of the training file.")
        assert data.targets is not None and labels is not None
        if is_count_model(model):
            predicted, _ = model.predict(data.tokens)
            return self.scores(data, predicted, labels)  # no loss: nothing was minimised
        total_loss, tokens, chunks = 0.0, 0, []
        for indices, batch, scores in run(model, data, batch_size):
            n = int(batch.mask.sum())
            total_loss += float(model.loss(scores, batch)) * n
            tokens += n
            chunks.append((indices, decoder.decode(scores)))
        predicted = restore_order(chunks, len(data))
        return {"loss": total_loss / tokens, **self.scores(data, predicted, labels)}

    def scores(self, data: TagData, predicted: list[list[int]], labels: Vocab) -> dict:
        """Metrics of the predicted tag ids against ``data``'s gold ones."""
        gold = [t for seq in data.targets for t in seq]  # type: ignore[union-attr]
        return {"accuracy": accuracy(gold, [t for seq in predicted for t in seq])}

    # -- prediction ---------------------------------------------------------------------

    def predict(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64,
                scores: bool = False) -> list[TagResult]:
        return [TagResult(t.text, t.tokens, t.confidence) for t in self.tag(pipeline, texts, batch_size, scores)]

    def tag(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64, confidence: bool = False) -> list[Tagged]:
        """Tokenize ``texts`` and tag their tokens, in input order; per-token confidences
        are computed only with ``confidence`` (else ``Tagged.confidence`` is ``None``)."""
        done = self.tag_ids(pipeline, texts, batch_size, confidence)
        found: list[list[float] | None] = [None] * len(texts)
        if confidence:
            found = [[] for _ in texts]
            for i, values in zip(done.nonempty, done.confidence or []):
                found[i] = values
        return [Tagged(text, tokens, values) for text, tokens, values in zip(texts, done.tokens, found)]

    def tag_ids(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64, confidence: bool = False) -> TagRun:
        """Tokenize ``texts`` and tag them: :class:`TagRun` (``tokens.tags`` set on each)."""
        tokenized = pipeline.tokenizer.tokenize_batch(texts)
        nonempty = [i for i, t in enumerate(tokenized) if t.texts]
        sentences = [tokenized[i].texts for i in nonempty]
        if is_count_model(pipeline.model):
            ids, probabilities = _count_tags(pipeline.model, sentences, confidence)
        else:
            ids, probabilities = _run_tagger(pipeline, sentences, batch_size, confidence)
        label = pipeline.labels.items.__getitem__
        for tokens in tokenized:
            tokens.tags = []
        for i, path in zip(nonempty, ids):
            tokenized[i].tags = list(map(label, path))
        return TagRun(tokenized, nonempty, ids, probabilities if confidence else None)


@dataclass
class TagRun:
    """Texts tagged in one call: each text's tokens (tags set), the indices of the texts
    with tokens, their tag ids and, when asked for, their per-token confidences."""

    tokens: list[Tokens]
    nonempty: list[int]
    ids: list[list[int]]
    confidence: list[list[float]] | None


def _count_tags(model: CountModel, tokens: list[list[str]], confidence: bool) -> tuple[list[list[int]], list[list[float]]]:
    """A count model's tag ids per sentence and, only when asked, per-token confidences
    (decoding alone is cheaper: no forward-backward)."""
    if confidence:
        return model.predict(tokens)
    return model.decode(tokens), []


def _run_tagger(pipeline: Pipeline, tokens: list[list[str]], batch_size: int,
                confidence: bool = False) -> tuple[list[list[int]], list[list[float]]]:
    """Per sentence, in input order, the decoded tag ids and, only with ``confidence``,
    each chosen tag's probability."""
    from ..data import SequenceData

    data = SequenceData.encode(pipeline.encoder, tokens)
    chunks, probabilities = [], []
    for indices, _, scores in run(pipeline.model, data, batch_size):
        ids = pipeline.decoder.decode(scores)
        chunks.append((indices, ids))
        if confidence:
            probabilities.append((indices, chosen_probabilities(scores, ids)))
    paths = restore_order(chunks, len(tokens))
    return paths, restore_order(probabilities, len(tokens)) if confidence else []


def chosen_probabilities(scores: Scores, ids: list[list[int]]) -> list[list[float]]:
    """Per real token, the softmax over its emission scores taken at the chosen tag
    (CRF transitions left out: a per-token confidence, not a path probability)."""
    import torch

    probs = torch.softmax(scores.emissions.float(), dim=-1)  # type: ignore[union-attr]  # shape: [B, T, C]
    chosen = torch.zeros(probs.shape[:2], dtype=torch.long)  # shape: [B, T]
    for row, tags in enumerate(ids):
        chosen[row, : len(tags)] = torch.tensor(tags, dtype=torch.long)
    picked = probs.gather(-1, chosen.to(probs.device).unsqueeze(-1)).squeeze(-1)  # shape: [B, T]
    return [values[: len(tags)] for values, tags in zip(picked.cpu().tolist(), ids)]



def _tokens(example: Example) -> list[str]:
    if example.tokens is None:
        raise InputError("tagging needs pre-tokenised examples (CoNLL-style columns)", example.source)
    return list(example.tokens)
