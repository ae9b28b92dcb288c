"""``classify``: one label per text (names by language, sentiment)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..corpus import Example
from ..errors import InputError
from ..metrics import classification_report
from ..vocab import Vocab
from .base import Task, label_id, restore_order, run, token_texts

if TYPE_CHECKING:
    from ..data import SequenceData
    from ..decoder import Decoder
    from ..encoder import Encoder
    from ..model import Model
    from ..pipeline import Pipeline
    from ..tokenizer import Tokenizer


@dataclass
class ClassifyResult:
    """The predicted ``label`` of ``text``, its probability, and every label's probability;
    a text with no tokens (empty, or only spaces) has no label: ``None``, ``None``, ``{}``."""

    text: str
    label: str | None
    score: float | None
    probabilities: dict[str, float]

    def to_json(self) -> dict:
        return {"text": self.text, "label": self.label, "score": self.score, "probabilities": self.probabilities}


class ClassifyTask(Task):
    """Text classification: the model reads the tokens and predicts one label."""

    name = "classify"
    head = "classify"
    metric = "accuracy"

    def datasets(self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder):
        train_tokens = [token_texts(e, tokenizer) for e in train]
        encoder.fit(train_tokens)
        labels = Vocab.build([[_label(e)] for e, tokens in zip(train, train_tokens) if tokens], specials=())
        train_data = _encode(train, train_tokens, encoder, labels)
        return train_data, None if dev is None else self.dataset(dev, tokenizer, encoder, labels), labels

    def dataset(self, examples: list[Example], tokenizer: Tokenizer, encoder: Encoder, labels: Vocab | None) -> SequenceData:
        assert labels is not None
        return _encode(examples, [token_texts(e, tokenizer) for e in examples], encoder, labels)

    def evaluate(self, model: Model, decoder: Decoder, data: SequenceData, labels: Vocab | None, batch_size: int = 64) -> dict:
        assert labels is not None and data.targets is not None
        total_loss, chunks = 0.0, []
        for indices, batch, scores in run(model, data, batch_size):
            total_loss += float(model.loss(scores, batch)) * len(indices)
            chunks.append((indices, decoder.decode(scores)))
        predicted = restore_order(chunks, len(data))
        report = classification_report(data.targets, predicted, labels.items)  # type: ignore[arg-type]
        return {"loss": total_loss / len(data), **report}

    def predict(self, pipeline: Pipeline, texts: list[str], batch_size: int = 64,
                scores: bool = False) -> list[ClassifyResult]:
        """Each text's label and probabilities (always computed: they are the result, so
        ``scores`` changes nothing)."""
        import torch

        from ..data import SequenceData

        tokens = [pipeline.tokenizer(t).texts for t in texts]
        data = SequenceData.encode(pipeline.encoder, tokens)
        data.ids = [ids or [data.pad_id] for ids in data.ids]  # an empty text reads one pad token
        chunks = []
        for indices, _, scores in run(pipeline.model, data, batch_size):
            chunks.append((indices, torch.softmax(scores.logits.float(), dim=-1).cpu().tolist()))
        labels = pipeline.labels.items
        results = []
        for text, words, probs in zip(texts, tokens, restore_order(chunks, len(texts))):
            if not words:  # nothing to read: no label, rather than the model's guess about padding
                results.append(ClassifyResult(text, None, None, {}))
                continue
            best = max(range(len(probs)), key=probs.__getitem__)
            results.append(ClassifyResult(text, labels[best], probs[best], dict(zip(labels, probs))))
        return results


def _label(example: Example) -> str:
    if example.label is None:
        raise InputError("this example has no label; classification needs one per text", example.source)
    return example.label


def _encode(examples: list[Example], tokens: list[list[str]], encoder: Encoder, labels: Vocab) -> SequenceData:
    from ..data import SequenceData

    kept = [(e, t) for e, t in zip(examples, tokens) if t]
    if len(kept) < len(examples):
        empty = [e.source for e, t in zip(examples, tokens) if not t]
        where = ", ".join(empty[:3]) + (f" and {len(empty) - 3} more" if len(empty) > 3 else "")
        warnings.warn(f"skipped {len(empty)} example(s) with no tokens: {where}", stacklevel=3)
    if not kept:
        raise InputError("no example has any tokens", examples[0].source if examples else None)
    targets = [label_id(labels, _label(e), e) for e, _ in kept]
    return SequenceData.encode(encoder, [t for _, t in kept], targets)
