#!/usr/bin/env python
"""Do exported ONNX pipelines decode exactly as torch does? Every dev sentence, compared.

Each pretrained pipeline is exported (``nlpkit.export``'s code path, into a temporary
folder), then the torch pipeline and the ONNX Runtime one decode the same gold tokens
(tags, or a classifier's label) through their encoder, model and decoder, batch 64;
the script counts the sentences whose outputs differ and the largest score difference.

    python benchmarks/onnx_check.py                      # en-ner, zh-cws, en-pos, zh-pos, sentiment
    python benchmarks/onnx_check.py en-ner --threads 1 --json benchmarks/out/onnx_check.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import _bench

#: pipeline -> (dev file under the corpora folder, how to read its sentences' tokens)
DEV = {
    "en-ner": ("conll2003/dev.txt", "conll"),
    "zh-cws": ("ctb6/dev.txt", "chars"),
    "en-pos": ("ud_english_ewt/en_ewt-ud-dev.conllu", "conllu"),
    "zh-pos": ("ud_chinese_gsd/dev.conll", "conllu"),
    "zh-ner": ("resume_ner/dev.char.bmes", "conll"),
    "en-sentiment": ("sst2/dev.tsv", "tsv"),
    "zh-sentiment": ("chnsenticorp/dev.tsv", "tsv"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pipelines", nargs="*", default=list(DEV), help=f"pretrained pipelines ({', '.join(DEV)})")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch (and so ONNX Runtime) threads")
    parser.add_argument("--json", help="also write the results as JSON here")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    info = _bench.machine_info(["torch", "onnxruntime"])
    _bench.print_machine(info)
    rows, results = [("pipeline", "dev file", "sentences", "tokens", "differing", "max |score diff|")], {}
    for name in args.pipelines:
        result = check(name, args.batch_size)
        results[name] = result
        rows.append((name, result["file"], str(result["sentences"]), str(result["tokens"]), str(result["differing"]),
                     f"{result['max_score_diff']:.2e}"))
        print(f"  {name}: {result['differing']} of {result['sentences']} sentences differ", file=sys.stderr, flush=True)
    _bench.print_rows(rows, "torch vs ONNX Runtime, every dev sentence")
    _bench.write_json(args.json, {"benchmark": "onnx_check", "machine": info, "args": vars(args), "results": results})
    return 1 if any(r["differing"] for r in results.values()) else 0


def check(name: str, batch_size: int) -> dict:
    """Export ``name``, decode its dev sentences with both pipelines, count the differences."""
    from nlpkit_onnx.export import export_onnx

    import nlpkit

    file, kind = DEV[name]
    torch_pipeline = nlpkit.load(name, device="cpu")
    tokens = read_tokens(_bench.corpus_file(file), kind, torch_pipeline)
    with tempfile.TemporaryDirectory() as folder:
        export_onnx(name, Path(folder) / name)
        onnx_pipeline = nlpkit.load(Path(folder) / name, device="cpu")
    ours, our_scores = decode(onnx_pipeline, tokens, batch_size)
    theirs, their_scores = decode(torch_pipeline, tokens, batch_size)
    worst = max(float((a - b).abs().max()) for a, b in zip(our_scores, their_scores))
    return {"file": file, "sentences": len(tokens), "tokens": sum(map(len, tokens)),
            "differing": sum(a != b for a, b in zip(ours, theirs)), "max_score_diff": worst}


def decode(pipeline, tokens: list[list[str]], batch_size: int) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """Per sentence, the decoded output (tag ids, or a label id), in input order, and each
    batch's scores (emissions of real tokens, or logits)."""
    from nlpkit.data import SequenceData
    from nlpkit.tasks.base import restore_order, run

    data = SequenceData.encode(pipeline.encoder, tokens)
    chunks, scores = [], []
    for indices, batch, output in run(pipeline.model, data, batch_size):
        chunks.append((indices, pipeline.decoder.decode(output)))
        scores.append(output.logits if output.logits is not None else output.emissions[batch.mask])
    return restore_order(chunks, len(tokens)), scores


def read_tokens(path: Path, kind: str, pipeline) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The gold tokens of each dev sentence (a classifier's: its tokenizer's, on the text)."""
    lines = _bench.read_lines(path)
    if kind == "chars":
        return [list("".join(line.split())) for line in lines if line.strip()]
    if kind == "tsv":
        return [pipeline.tokenizer(text).texts or ["."] for text in _bench.read_tsv_texts(path)]
    sentences, words = [], []
    for line in [*lines, ""]:
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                sentences.append(words)
            words = []
        elif kind == "conll":
            words.append(line.split()[0])
        elif not line.startswith("#") and line.split("\t")[0].isdigit():  # conllu: words, not ranges
            words.append(line.split("\t")[1])
    return sentences


if __name__ == "__main__":
    sys.exit(main())
