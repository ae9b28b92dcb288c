#!/usr/bin/env python
"""Training throughput (tokens/s) of the rnn, gru and lstm models, CPU and CUDA.

Batches come from a real corpus (UD English-EWT train sentences, words as tokens)
through the same encoder, bucketing and trainer step as ``nlpkit train``; each model
runs warm-up steps, then timed steps, interleaved round by round. The peer is a
plain PyTorch loop written as in the PyTorch tutorials (embedding, packed bidirectional
RNN, linear layer, masked cross-entropy, Adam, gradient clipping) on the same batches:
the ratio says what nlpkit's trainer step costs over hand-written torch. On CUDA the
AMP path (bf16, or fp16 with a gradient scaler) is timed next to fp32.

    python benchmarks/bench_train_throughput.py --steps 30 --repeat 3
    python benchmarks/bench_train_throughput.py --device cuda --hidden 512
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per round")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--models", default="rnn,gru,lstm")
    args = parser.parse_args()


    from nlpkit.corpus import read_corpus
    from nlpkit.device import describe, resolve_device
    from nlpkit.registry import registry
    from nlpkit.tasks.tag import TagTask

    info = _bench.machine_info(["torch"])
    _bench.print_machine(info)
    device = resolve_device(args.device)
    examples = read_corpus(_bench.corpus_file("ud_english_ewt/en_ewt-ud-train.conllu"), "conllu")
    encoder = registry("encoders").get("vocab")(dim=128)
    data, _, labels = TagTask(field="upos").datasets(examples, None, None, encoder)
    order = data.epoch_order(args.batch_size, 0, 0)
    print(f"data    : {len(examples)} sentences, {sum(map(len, data.ids))} tokens; device {describe(device)}; "
          f"batch {args.batch_size}, hidden {args.hidden}, bidirectional, 1 layer, {args.steps} steps per round")

    precisions = ["fp32"] + (["auto"] if device.type == "cuda" else [])
    contenders, tokens = {}, {}
    for name in args.models.split(","):
        for precision in precisions:
            label = f"{name} {precision}"
            contenders[label], tokens[label] = _contender(name, precision, encoder, labels, data, order, device, args)
        label = f"{name} torch-loop"
        vocab_size = encoder.embedding().num_embeddings
        contenders[label], tokens[label] = _plain_torch(name, vocab_size, len(labels), data, order, device, args)
    results = _bench.interleave(contenders, args.repeat, 1.0, "runs")
    rows = [("model", "run", "best tokens/s", "median tokens/s", "nlpkit / torch-loop (best)")]
    for label, result in results.items():
        n = tokens[label]
        name = label.split(" ")[0]
        peer = results[f"{name} torch-loop"]
        ratio = "" if label.endswith("torch-loop") else f"{peer.best / result.best:.2f}"
        rows.append((*label.split(" "), f"{n / result.best:,.0f}", f"{n / result.median:,.0f}", ratio))
    _bench.print_rows(rows, "training throughput (forward, backward, clipping, optimizer step)")
    _bench.write_json(args.json, {"benchmark": "train_throughput", "machine": info, "args": vars(args),
                                  "results": {k: {"tokens": tokens[k], **r.summary()} for k, r in results.items()}})
    return 0


def _contender(name, precision, encoder, labels, data, order, device, args):  # type: ignore[no-untyped-def]
    """A callable running ``args.steps`` trainer steps, and the tokens those steps see."""
    import torch

    from nlpkit.registry import registry
    from nlpkit.trainer import TrainingJob
    from nlpkit_trainer.loop import _Run

    torch.manual_seed(0)
    model = registry("models").get(name)(encoder.embedding(), "tag", len(labels), hidden_size=args.hidden, bidirectional=True)
    trainer = registry("trainers").get("torch")(batch_size=args.batch_size, precision=precision)
    job = TrainingJob(model, data, lambda m: {}, "accuracy", True, Path(tempfile.mkdtemp()), 0, "bench")
    run = _Run(trainer, job, device, progress=False, callbacks=())
    batches = [order[i % len(order)] for i in range(args.steps)]
    for indices in order[:3]:
        run._step(indices)  # warm-up
    tokens = sum(int(data.batch(b).mask.sum()) for b in batches)

    def go() -> None:
        for indices in batches:
            run._step(indices)
        if device.type == "cuda":
            torch.cuda.synchronize()

    return go, tokens


def _plain_torch(name, vocab_size, n_labels, data, order, device, args):  # type: ignore[no-untyped-def]
    """The peer: the same batches through a hand-written tagger and training step."""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(vocab_size, 128, padding_idx=0)
            rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[name]
            self.rnn = rnn(128, args.hidden, batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * args.hidden, n_labels)

        def forward(self, ids, lengths):  # type: ignore[no-untyped-def]
            packed = pack_padded_sequence(self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
            hidden, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=ids.shape[1])
            return self.out(hidden)

    torch.manual_seed(0)
    model = Tagger().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [order[i % len(order)] for i in range(args.steps)]

    def step(indices: list[int]) -> None:
        batch = data.batch(indices).to(device)  # collated per step, as nlpkit's trainer does
        logits = model(batch.ids, batch.lengths)
        loss = nn.functional.cross_entropy(logits[batch.mask], batch.labels[batch.mask])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()

    for indices in order[:3]:
        step(indices)  # warm-up

    def go() -> None:
        for indices in batches:
            step(indices)
        if device.type == "cuda":
            torch.cuda.synchronize()

    return go, sum(int(data.batch(b).mask.sum()) for b in batches)


if __name__ == "__main__":
    sys.exit(main())
