#!/usr/bin/env python
"""ONNX Runtime vs torch eager: sentences/s of a pipeline and of its exported ONNX version.

Each pipeline (pretrained name or directory) is exported with ``nlpkit export --format onnx``'s
code into a temporary folder; both versions then run the same dev sentences, interleaved
in one process, on ``--threads`` threads (ONNX Runtime's intra-op threads follow torch's):

* ``model+decoder``: the encoded batches (encoded once, untimed) through the model and the
  decoder (Viterbi for a CRF), batch ``--batch-size``, sorted by length as prediction does;
* ``pipeline``: ``pipeline.pipe(texts)``, the whole path: tokenize, encode, model, decode, results.

    python benchmarks/bench_onnx.py                                  # en-ner and zh-cws, 1 thread
    python benchmarks/bench_onnx.py en-ner --threads 1 --batch-size 64 --json benchmarks/out/onnx.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import _bench
from onnx_check import DEV, read_tokens

TARGET = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    _bench.add_common_args(parser, repeat=5)
    parser.add_argument("pipelines", nargs="*", default=["en-ner", "zh-cws"], help="pretrained names (dev files known)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, and so ONNX Runtime's (default 1)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sentences", type=int, default=0, help="time the first N dev sentences (0: all)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "onnxruntime"])
    _bench.print_machine(info)
    payload: dict = {"benchmark": "onnx", "machine": info, "args": vars(args), "pipelines": {}}
    for name in args.pipelines:
        payload["pipelines"][name] = bench(name, args)
    _bench.write_json(args.json, payload)
    return 0


def bench(name: str, args: argparse.Namespace) -> dict:
    from nlpkit_onnx.export import export_onnx

    import nlpkit

    file, kind = DEV[name]
    ours = nlpkit.load(name, device="cpu")
    tokens = read_tokens(_bench.corpus_file(file), kind, ours)
    tokens = tokens[: args.sentences] if args.sentences else tokens
    texts = ["".join(t) if kind == "chars" else " ".join(t) for t in tokens]
    with tempfile.TemporaryDirectory() as folder:
        export_onnx(name, Path(folder) / name)
        exported = nlpkit.load(Path(folder) / name, device="cpu")
    print(f"\n{name}: {len(tokens)} sentences of {file}, {sum(map(len, tokens))} tokens; batch {args.batch_size}, "
          f"threads {args.threads}; model '{ours.model.name}', decoder '{ours.decoder.name}'")
    data = _batches(ours, tokens, args.batch_size)
    model_runs = _bench.interleave({"torch": lambda: _model_decoder(ours, data),
                                    "onnxruntime": lambda: _model_decoder(exported, data)},
                                   args.repeat, len(tokens), "sentences")
    pipe_runs = _bench.interleave({"torch": lambda: _pipe(ours, texts, args.batch_size),
                                   "onnxruntime": lambda: _pipe(exported, texts, args.batch_size)},
                                  args.repeat, len(tokens), "sentences")
    _bench.print_table(model_runs, f"{name}: model + decoder")
    model_ratio = _bench.ratios(model_runs, "onnxruntime", "torch")
    _bench.print_ratio("onnxruntime / torch", model_ratio, TARGET)
    _bench.print_table(pipe_runs, f"{name}: whole pipeline (pipe)")
    pipe_ratio = _bench.ratios(pipe_runs, "onnxruntime", "torch")
    _bench.print_ratio("onnxruntime / torch", pipe_ratio, TARGET)
    return {"file": file, "sentences": len(tokens),
            "model_decoder": {n: r.summary() for n, r in model_runs.items()}, "model_decoder_ratio": model_ratio,
            "pipeline": {n: r.summary() for n, r in pipe_runs.items()}, "pipeline_ratio": pipe_ratio}


def _batches(pipeline, tokens: list[list[str]], batch_size: int) -> list:  # type: ignore[no-untyped-def]
    """The encoded batches, in prediction's order (longest first)."""
    from nlpkit.data import SequenceData

    data = SequenceData.encode(pipeline.encoder, tokens)
    return [data.batch(indices) for indices in data.eval_order(batch_size)]


def _model_decoder(pipeline, batches: list) -> None:  # type: ignore[no-untyped-def]
    import torch

    pipeline.model.eval()
    with torch.inference_mode():
        for batch in batches:
            pipeline.decoder.decode(pipeline.model(batch))


def _pipe(pipeline, texts: list[str], batch_size: int) -> None:  # type: ignore[no-untyped-def]
    for _ in pipeline.pipe(texts, batch_size=batch_size):
        pass


if __name__ == "__main__":
    sys.exit(main())
