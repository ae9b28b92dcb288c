"""``generate``: language modelling on a token stream, and sampling text from it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..corpus import Example
from ..errors import UsageError
from ..metrics import lm_metrics
from .base import Task, run, token_texts

if TYPE_CHECKING:
    import torch

    from ..data import StreamData
    from ..decoder import Decoder
    from ..encoder import Encoder
    from ..model import Model
    from ..pipeline import Pipeline
    from ..tokenizer import Tokenizer
    from ..vocab import Vocab

LINE_BREAK = "\n"


class GenerateTask(Task):
    """Next-token prediction over the corpus as one stream (lines joined by a line-break
    token). Without a dev file, the last ``dev_fraction`` of the stream is the dev set.
    Generated tokens are joined with ``joiner`` ("" for characters, " " for words)."""

    name = "generate"
    head = "lm"
    metric = "loss"
    higher_is_better = False

    def __init__(self, *, block_size: int = 128, dev_fraction: float = 0.1, joiner: str = "") -> None:
        if block_size < 1 or not 0 <= dev_fraction < 1:
            raise UsageError("[task] generate needs block_size >= 1 and 0 <= dev_fraction < 1.")
        self.block_size, self.dev_fraction, self.joiner = block_size, dev_fraction, joiner

    def datasets(self, train: list[Example], dev: list[Example] | None, tokenizer: Tokenizer, encoder: Encoder):
        from ..data import StreamData

        if encoder.feature_names:
            raise UsageError(
                f"[task] generate reads word ids only, but [encoder] '{encoder.name}' adds "
                f"{', '.join(encoder.feature_names)} features, which a language model cannot read back "
                "while generating. Leave char_dim and bigram_dim out of [encoder] (or set them to 0)."
            )
        tokens = _stream(train, tokenizer)
        if dev is None:
            cut = int(len(tokens) * (1 - self.dev_fraction))
            tokens, dev_tokens = tokens[:cut], tokens[cut:]
        else:
            dev_tokens = _stream(dev, tokenizer)
        encoder.fit([tokens])
        train_data = StreamData(np.asarray(encoder.encode(tokens), dtype=np.int64), self.block_size)
        dev_data = StreamData(np.asarray(encoder.encode(dev_tokens), dtype=np.int64), self.block_size)
        for name, data in (("training", train_data), ("dev", dev_data)):
            if len(data) == 0:
                raise UsageError(f"The {name} text has fewer than block_size + 1 = {self.block_size + 1} tokens.")
        return train_data, dev_data, None

    def dataset(self, examples: list[Example], tokenizer: Tokenizer, encoder: Encoder, labels: Vocab | None) -> StreamData:
        from ..data import StreamData

        data = StreamData(np.asarray(encoder.encode(_stream(examples, tokenizer)), dtype=np.int64), self.block_size)
        if len(data) == 0:
            raise UsageError(f"The text has fewer than block_size + 1 = {self.block_size + 1} tokens.")
        return data

    def num_outputs(self, encoder: Encoder, labels: Vocab | None) -> int:
        return len(encoder.fitted)

    def evaluate(self, model: Model, decoder: Decoder, data: StreamData, labels: Vocab | None, batch_size: int = 64) -> dict:
        total, count = 0.0, 0
        for _, batch, scores in run(model, data, batch_size):
            n = batch.labels.numel()
            total += float(model.loss(scores, batch)) * n
            count += n
        return lm_metrics(total, count)

    def generate(
        self, pipeline: Pipeline, prefix: str = "", max_length: int = 200, generator: torch.Generator | None = None
    ) -> str:
        """Continue ``prefix`` by ``max_length`` tokens, carrying the model state forward
        one token at a time rather than re-reading the text. Specials (``<pad>``,
        ``<unk>``, ``<bos>``, ``<eos>``) are never generated."""
        import torch

        from .base import model_device

        encoder, model = pipeline.encoder, pipeline.model
        tokens = pipeline.tokenizer(prefix).texts if prefix else [LINE_BREAK]
        device = model_device(model)
        ids = torch.tensor([encoder.encode(tokens)], device=device)  # shape: [1, T]
        never = torch.tensor([encoder.fitted.index[s] for s in encoder.fitted.specials], device=device)
        out: list[int] = []
        was_training = model.training
        model.eval()
        with torch.inference_mode():
            try:
                logits, state = model.step(ids)  # shape: [1, T, V]
                for _ in range(max_length):
                    last = logits[:, -1].float().index_fill(-1, never, float("-inf"))  # shape: [1, V]
                    next_id = pipeline.decoder.choose(last, generator)  # shape: [1]
                    out.append(int(next_id))
                    logits, state = model.step(next_id[:, None], state)  # shape: [1, 1, V]
            finally:
                model.train(was_training)
        return prefix + self.joiner.join(encoder.fitted.decode(out))


def _stream(examples: list[Example], tokenizer: Tokenizer) -> list[str]:
    tokens: list[str] = []
    for example in examples:
        tokens.extend(token_texts(example, tokenizer))
        tokens.append(LINE_BREAK)
    return tokens
