"""``tag``: one label per token (POS tagging). ``ner`` and ``segment`` build on it.

:class:`TagTask` does the shared work: sentences -> (tokens, tags), encoding, the
evaluation loop and tagging raw text. Subclasses change three things:
:meth:`TagTask.sentences` (where tokens and tags come from), :meth:`TagTask.scores`
(the metrics on decoded tags) and ``predict`` (what a result is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..corpus import Example
from ..count_model import is_count_model
from ..errors import InputError, UsageError
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
    """The tokens of ``text`` with their offsets and predicted tags (``tokens.tags``)."""

    text: str
    tokens: Tokens

    def to_json(self) -> dict:
        return {"text": self.text, "tokens": self.tokens.to_dicts()}


@dataclass(frozen=True)
class Sentence:
    """One example as the tagger sees it: token texts and their gold tags."""

    example: Example
    tokens: list[str]
    tags: list[str]


@dataclass
class Tagged:
    """One predicted text: its tokens (``tokens.tags`` set) and, per token, the
    softmax probability of the emission scores for the tag that was chosen."""

    text: str
    tokens: Tokens
    confidence: list[float]


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

    def predict(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64) -> list[TagResult]:
        return [TagResult(t.text, t.tokens) for t in self.tag(pipeline, texts, batch_size)]

    def tag(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64, confidence: bool = True) -> list[Tagged]:
        """Tokenize ``texts`` and tag their tokens, in input order; without ``confidence``
        the per-token confidences are left empty and not computed."""
        tokenized = [pipeline.tokenizer(t) for t in texts]
        nonempty = [i for i, t in enumerate(tokenized) if len(t)]
        sentences = [tokenized[i].texts for i in nonempty]
        if is_count_model(pipeline.model):
            found = dict(zip(nonempty, _count_tags(pipeline.model, sentences, confidence)))
        else:
            found = dict(zip(nonempty, _run_tagger(pipeline, sentences, batch_size, confidence)))
        results = []
        for i, (text, tokens) in enumerate(zip(texts, tokenized)):
            ids, confidence = found.get(i, ([], []))
            tokens.tags = pipeline.labels.decode(ids)
            results.append(Tagged(text, tokens, confidence))
        return results


def _count_tags(model: CountModel, tokens: list[list[str]], confidence: bool) -> list[tuple[list[int], list[float]]]:
    """A count model's tag ids per sentence, with per-token confidences only when asked
    (decoding alone is cheaper)."""
    if confidence:
        return list(zip(*model.predict(tokens)))
    return [(path, []) for path in model.decode(tokens)]


def _run_tagger(pipeline: Pipeline, tokens: list[list[str]], batch_size: int,
                confidence: bool = True) -> list[tuple[list[int], list[float]]]:
    """Per sentence, the decoded tag ids and each chosen tag's probability (empty without
    ``confidence``), in input order."""
    from ..data import SequenceData

    data = SequenceData.encode(pipeline.encoder, tokens)
    chunks = []
    for indices, _, scores in run(pipeline.model, data, batch_size):
        ids = pipeline.decoder.decode(scores)
        probabilities = chosen_probabilities(scores, ids) if confidence else [[] for _ in ids]
        chunks.append((indices, list(zip(ids, probabilities))))
    return restore_order(chunks, len(tokens))


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
