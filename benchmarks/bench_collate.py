#!/usr/bin/env python
"""What batching costs in a training step: ``collate`` (padding the word ids and the
per-token feature tensors, a Python loop over tokens) against the whole trainer step.

CoNLL-2003 train sentences through the ``vocab`` encoder with a char-CNN (sizes as
configs/ner-conll2003.toml: words 100, chars 30 x 50 filters), a ``bilstm-crf`` of 256,
batches of 32 from the trainer's own bucketed order. Timed, interleaved: building the
batches alone (``data.batch``, which ``collate`` does), and full trainer steps on the
same batches (batch building, forward, CRF loss, backward, clipping, Adam).

    python benchmarks/bench_collate.py --steps 40 --repeat 3 --threads 1
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import _bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=3)
    parser.add_argument("--steps", type=int, default=40, help="batches per round")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own choice)")
    args = parser.parse_args()

    import torch

    from nlpkit.corpus import read_corpus
    from nlpkit.registry import registry
    from nlpkit.tasks.tag import TagTask
    from nlpkit.trainer import TrainingJob
    from nlpkit_trainer.loop import _Run

    if args.threads:
        torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch"])
    _bench.print_machine(info)
    examples = read_corpus(_bench.corpus_file("conll2003/train.txt"), "conll")
    encoder = registry("encoders").get("vocab")(dim=100, min_freq=2, char_dim=30, char_filters=50)
    data, _, labels = TagTask(field="ner").datasets(examples, None, None, encoder)
    torch.manual_seed(0)
    model = registry("models").get("bilstm-crf")(encoder.embedding(), "tag", len(labels), hidden_size=256)
    trainer = registry("trainers").get("torch")(batch_size=32)
    job = TrainingJob(model, data, lambda m: {}, "f1", True, Path(tempfile.mkdtemp()), 0, "bench")
    run = _Run(trainer, job, torch.device("cpu"), progress=False, callbacks=())
    order = data.epoch_order(32, 0, 0)
    batches = [order[i % len(order)] for i in range(args.steps)]
    tokens = sum(int(data.batch(b).mask.sum()) for b in batches)
    for indices in order[:3]:
        run._step(indices)  # warm-up
    print(f"data    : {len(examples)} sentences; {args.steps} batches of 32 per round, {tokens} tokens; "
          f"{torch.get_num_threads()} torch threads")

    def collate() -> None:
        for indices in batches:
            data.batch(indices)

    def step() -> None:
        for indices in batches:
            run._step(indices)

    results = _bench.interleave({"collate": collate, "trainer step": step}, args.repeat, 1.0, "runs")
    rows = [("part", "best ms per batch", "median ms per batch", "us per token (best)")]
    for name, result in results.items():
        rows.append((name, f"{result.best / args.steps * 1e3:.2f}", f"{result.median / args.steps * 1e3:.2f}",
                     f"{result.best / tokens * 1e6:.2f}"))
    _bench.print_rows(rows, "batch building against the whole training step")
    share = results["collate"].best / results["trainer step"].best
    print(f"collate share of a step (best runs): {share:.1%}")
    _bench.write_json(args.json, {"benchmark": "collate", "machine": info, "args": vars(args), "tokens": tokens,
                                  "share": share, "results": {k: r.summary() for k, r in results.items()}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
