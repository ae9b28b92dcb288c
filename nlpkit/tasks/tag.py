"""``tag``: one label per token (POS tagging; NER and word segmentation build on it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..corpus import Example
from ..errors import InputError
from ..metrics import accuracy
from ..tokens import Tokens
from ..vocab import Vocab
from .base import Task, label_id, restore_order, run

if TYPE_CHECKING:
    from ..data import SequenceData
    from ..decoder import Decoder
    from ..encoder import Encoder
    from ..model import Model
    from ..pipeline import Pipeline
    from ..tokenizer import Tokenizer


@dataclass
class TagResult:
    """The tokens of ``text`` with their offsets and predicted tags (``tokens.tags``)."""

    text: str
    tokens: Tokens

    def to_json(self) -> dict:
        return {"text": self.text, "tokens": self.tokens.to_dicts()}


class TagTask(Task):
    """Sequence labelling from pre-tokenised corpora; ``field`` names the tag column
    to learn (``upos``, ``xpos``, ``ner``...; by default the corpus's only one)."""

    name = "tag"
    head = "tag"
    metric = "accuracy"

    def __init__(self, *, field: str | None = None) -> None:
        self.field = field

    def datasets(self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder):
        encoder.fit([_tokens(e) for e in train])
        labels = Vocab.build([self._tags(e) for e in train], specials=())
        return self._encode(train, encoder, labels), None if dev is None else self._encode(dev, encoder, labels), labels

    def dataset(self, examples: list[Example], tokenizer: Tokenizer, encoder: Encoder, labels: Vocab | None) -> SequenceData:
        assert labels is not None
        return self._encode(examples, encoder, labels)

    def evaluate(self, model: Model, decoder: Decoder, data: SequenceData, labels: Vocab | None, batch_size: int = 64) -> dict:
        assert data.targets is not None
        total_loss, tokens, chunks = 0.0, 0, []
        for indices, batch, scores in run(model, data, batch_size):
            n = int(batch.mask.sum())
            total_loss += float(model.loss(scores, batch)) * n
            tokens += n
            chunks.append((indices, decoder.decode(scores)))
        predicted = restore_order(chunks, len(data))
        gold = [t for seq in data.targets for t in seq]  # type: ignore[union-attr]
        return {"loss": total_loss / tokens, "accuracy": accuracy(gold, [t for seq in predicted for t in seq])}

    def predict(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64) -> list[TagResult]:
        from ..data import SequenceData

        tokenized = [pipeline.tokenizer(t) for t in texts]
        nonempty = [i for i, t in enumerate(tokenized) if len(t)]
        data = SequenceData([pipeline.encoder.encode(tokenized[i].texts) for i in nonempty], None, pipeline.encoder.pad_id)
        chunks = [(idx, pipeline.decoder.decode(scores)) for idx, _, scores in run(pipeline.model, data, batch_size)]
        tags = dict(zip(nonempty, restore_order(chunks, len(nonempty))))
        results = []
        for i, (text, toks) in enumerate(zip(texts, tokenized)):
            toks.tags = pipeline.labels.decode(tags.get(i, []))
            results.append(TagResult(text, toks))
        return results

    def _tags(self, example: Example) -> list[str]:
        if not example.tags:
            raise InputError("this example has no tag column; tagging needs one label per token", example.source)
        field = self.field or next(iter(example.tags))
        if field not in example.tags:
            raise InputError(f"no tag column '{field}' (columns: {', '.join(example.tags)})", example.source)
        return list(example.tags[field])

    def _encode(self, examples: list[Example], encoder: Encoder, labels: Vocab) -> SequenceData:
        from ..data import SequenceData

        kept = [e for e in examples if e.tokens]
        ids = [encoder.encode(_tokens(e)) for e in kept]
        targets = [[label_id(labels, t, e) for t in self._tags(e)] for e in kept]
        return SequenceData(ids, targets, encoder.pad_id)


def _tokens(example: Example) -> list[str]:
    if example.tokens is None:
        raise InputError("tagging needs pre-tokenised examples (CoNLL-style columns)", example.source)
    return list(example.tokens)
