#!/usr/bin/env python
"""Build the pretrained pipelines nlpkit ships, from the corpora, as configs/pretrained.toml
lists them: train each config (or take a finished run with --from), score it on dev at full
precision, store its model compactly (int8 embedding rows, float16 weights, float32 HMM
tables) where the dev score moves by less than 0.001, write
its card (config, sha256 of the training files, commit, dev scores, training time,
hardware, licence), record the sha256 of every file, and put it in
plugins/nlpkit_pretrained/pipelines/NAME.

    python benchmarks/build_pretrained.py                       # every pipeline
    python benchmarks/build_pretrained.py zh-cws en-ner         # some
    python benchmarks/build_pretrained.py zh-cws --from runs/zh-cws
    python benchmarks/build_pretrained.py --vectors-only        # only the word vectors

Training runs go to benchmarks/out/pretrained/ (git-ignored); --threads sets torch's CPU
threads (default 2).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import _bench

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RECIPES = _bench.REPO_ROOT / "configs" / "pretrained.toml"
WORK = _bench.OUT_DIR / "pretrained"
TARGET = _bench.REPO_ROOT / "plugins" / "nlpkit_pretrained" / "pipelines"
#: The largest dev-score change a size-saving step (compact storage, pruning) may cause and be kept.
TOLERANCE = 0.001


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="pipelines to build (default: all of configs/pretrained.toml)")
    parser.add_argument("--from", dest="run", metavar="RUN", help="package this finished training run (one name)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--vectors-only", action="store_true", help="only train the word vectors")
    args = parser.parse_args()
    recipes = tomllib.loads(RECIPES.read_text(encoding="utf-8"))
    os.environ.setdefault("NLPKIT_CORPORA", str(_bench.corpora_dir()))
    names = args.names or list(recipes["pipelines"])
    unknown = [n for n in names if n not in recipes["pipelines"]]
    if unknown:
        sys.exit(f"not in {RECIPES.name}: {', '.join(unknown)}; known: {', '.join(recipes['pipelines'])}")
    if args.run and len(names) != 1:
        sys.exit("--from packages one run: name exactly one pipeline")
    import torch

    torch.set_num_threads(args.threads)
    for name, spec in recipes.get("vectors", {}).items():
        if args.vectors_only or any(_needs_vectors(recipes["pipelines"][n], name) for n in names):
            build_vectors(name, spec)
    if args.vectors_only:
        return 0
    for name in names:
        build(name, recipes["pipelines"][name], Path(args.run) if args.run else None)
    return 0


# --------------------------------------------------------------------------- word vectors


def vectors_path(name: str) -> Path:
    return WORK / f"{name}-vectors.bin"


def _needs_vectors(spec: dict, vectors: str) -> bool:
    text = (_bench.REPO_ROOT / "configs" / spec["config"]).read_text(encoding="utf-8")
    return vectors_path(vectors).relative_to(_bench.REPO_ROOT).as_posix() in text


def build_vectors(name: str, spec: dict) -> None:
    """Train the word vectors ``spec`` describes, unless they are already there."""
    out = vectors_path(name)
    if out.is_file():
        print(f"vectors {name}: {out.relative_to(_bench.REPO_ROOT)} is there (delete it to train again)")
        return
    texts = WORK / f"{name}-texts.txt"
    if not texts.is_file():
        write_texts(spec["texts"], texts)
    subprocess.run([sys.executable, "-m", "nlpkit", "word2vec", "train", str(texts), "-o", str(out),
                    "--dim", str(spec["dim"]), "--min-count", str(spec["min_count"]), "--epochs", str(spec["epochs"]),
                    "--mode", spec["mode"], "--workers", "2", "--seed", "1", "--no-progress"], check=True)


def write_texts(kind: str, path: Path) -> None:
    """The training text of the vectors: one sentence per line, tokens separated by spaces."""
    from nlpkit.io import atomic_write

    writers = {"english": _english_sentences, "chinese": _chinese_sentences}
    if kind not in writers:
        sys.exit(f"unknown vectors texts {kind!r} (known: {', '.join(writers)})")
    with atomic_write(path) as out:
        for tokens in writers[kind]():
            out.write(" ".join(tokens) + "\n")
    print(f"vectors texts: wrote {path.relative_to(_bench.REPO_ROOT)}")


def _english_sentences():  # type: ignore[no-untyped-def]
    """Every English training text of the corpora, then english_raw split by spaCy, lowercased."""
    import bench_word2vec

    import nlpkit

    yield from bench_word2vec.english_corpus(None)
    tokenizer = nlpkit.get_tokenizer("spacy", lang="en")
    for file in sorted((_bench.corpora_dir() / "english_raw").glob("*.txt")):
        for tokens in tokenizer.pipe(_bench.read_lines(file), batch_size=1000):
            if len(tokens):
                yield [t.lower() for t in tokens.texts]


def _chinese_sentences():  # type: ignore[no-untyped-def]
    """The word-segmented Chinese training texts: CTB6, SXU and UD Chinese GSD (train only)."""
    from nlpkit.corpus import read_corpus

    for name in ("ctb6/train.txt", "sxu_cws/train.txt"):
        yield from (list(e.tokens) for e in read_corpus(_bench.corpus_file(name), "segmented"))
    yield from (list(e.tokens) for e in read_corpus(_bench.corpus_file("ud_chinese_gsd/train.conll"), "conllu"))


# --------------------------------------------------------------------------- pipelines


def build(name: str, spec: dict, run: Path | None) -> None:
    """Train (or take) the run, score and compact it, write its card, and ship it."""
    from nlpkit.plugins import reset
    from nlpkit.pretrained import package

    config = _bench.REPO_ROOT / "configs" / spec["config"]
    if run is None:
        run = train(name, config)
    stage = WORK / f"{name}.staging"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(_model_dir(run), stage)
    resave(stage)
    metric, full = dev_score(stage, config)
    steps: dict[str, str] = {}
    shipped = full
    if spec.get("prune_bigrams"):
        shipped = try_step(stage, config, full, steps, "bigrams", lambda: prune(stage, config, spec["prune_bigrams"])) or shipped
    if spec.get("compact"):
        shipped = try_step(stage, config, full, steps, "weights", lambda: halve(stage)) or shipped
    meta = json.loads((stage / "meta.json").read_text(encoding="utf-8"))
    target = package(stage, TARGET / name, card(stage, name, spec, meta, metric, full, shipped, steps))
    shutil.rmtree(stage)
    check_no_local_paths(target)
    reset()  # the next pipeline may use this one (zh-pos's tokenizer is zh-cws)
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"{name}: shipped in {target.relative_to(_bench.REPO_ROOT)} ({size / 1e6:.2f} MB), dev {metric} {shipped:.4f}")


def resave(stage: Path) -> None:
    """Load the run's pipeline and save it again with this nlpkit: the files in today's
    formats (a lexicon with its match table) and the sha256 of each recorded."""
    import nlpkit

    nlpkit.load(stage, device="cpu").to_disk(stage)


def try_step(stage: Path, config: Path, full: float, steps: dict[str, str], what: str, step) -> float | None:  # type: ignore[no-untyped-def]
    """Apply one size-saving ``step`` to the staged pipeline and keep it only if the dev
    score stays within TOLERANCE of the full-precision one; the score kept, or None."""
    backup = stage.parent / f"{stage.name}.before-{what}"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(stage, backup)
    done = step()
    metric, score = dev_score(stage, config)
    kept = abs(score - full) < TOLERANCE
    print(f"{stage.name}: {what}: {done}; dev {metric} {full:.4f} -> {score:.4f} "
          f"({'kept' if kept else 'moved too much: undone'})")
    if kept:
        steps[what] = done
        shutil.rmtree(backup)
        return score
    shutil.rmtree(stage)
    backup.rename(stage)
    return None


def prune(stage: Path, config: Path, min_count: int) -> str:
    """Drop the bigrams seen fewer than ``min_count`` times in the training text."""
    import nlpkit
    from nlpkit.config import load_config
    from nlpkit.corpus import read_corpus
    from nlpkit_vocab.prune import prune_bigrams

    pipeline = nlpkit.load(stage, device="cpu")
    corpus = load_config(config)["corpus"]
    examples = read_corpus(corpus["train"], corpus["format"])
    sequences = [s.tokens for s in pipeline.task.sentences(examples, pipeline.tokenizer)]
    before, after = prune_bigrams(pipeline, sequences, min_count)
    pipeline.to_disk(stage)
    return f"bigram rows {before:,} -> {after:,} (those seen >= {min_count} times in training)"


def halve(stage: Path) -> str:
    from nlpkit.compaction import compact

    before, after = compact(stage)
    return (f"model stored compactly (int8 embedding rows and float16 weights; float32 count tables): "
            f"{before / 1e6:.2f} -> {after / 1e6:.2f} MB")


def train(name: str, config: Path) -> Path:
    run = WORK / name
    subprocess.run([sys.executable, "-m", "nlpkit", "train", str(config), "-o", str(run), "--overwrite",
                    "--no-progress", "--device", "cpu"], check=True, cwd=_bench.REPO_ROOT)
    return run


def _model_dir(run: Path) -> Path:
    return run / "model" if (run / "model" / "pipeline.json").is_file() else run


def dev_score(folder: Path, config: Path) -> tuple[str, float]:
    """The task's dev metric of the pipeline in ``folder`` on its config's dev file."""
    import nlpkit
    from nlpkit.config import load_config
    from nlpkit.evaluation import evaluate

    pipeline = nlpkit.load(folder, device="cpu")
    dev = load_config(config)["corpus"]["dev"]
    metric = pipeline.task.metric
    return metric, float(evaluate(pipeline, dev)[metric])


def card(stage: Path, name: str, spec: dict, meta: dict, metric: str, full: float, shipped: float,
         steps: dict[str, str]) -> dict:
    """What ``nlpkit models info NAME`` shows: the registration fields, then how it was made."""
    from nlpkit_corpora import portable_name

    pipeline = json.loads((stage / "pipeline.json").read_text(encoding="utf-8"))
    corpus = {split: {**f, "path": portable_name(f["path"])} for split, f in meta.get("corpus", {}).items()}
    dev_name = corpus.get("dev", {}).get("path", "dev").removeprefix("corpus:").split("/")[0]
    return {
        "name": name, "aliases": spec.get("aliases", []), "task": pipeline["task"]["name"],
        "language": spec["language"], "description": spec["description"],
        "scores": {f"{dev_name} dev {metric}": round(shipped, 4)},
        "data": spec["data"], "licence": spec["licence"],
        "config": f"configs/{spec['config']}",
        "training_files": {split: {"corpus": f["path"], "sha256": f["sha256"]} for split, f in corpus.items()},
        "dev": {"metric": metric, "full_precision": round(full, 4), "shipped": round(shipped, 4)},
        "size_savings": steps or "none: stored as trained",
        "training": {"seconds": round(_training_seconds(meta.get("training", {})), 1),
                     "epochs": meta.get("training", {}).get("epochs"), "device": meta.get("training", {}).get("device")},
        "hardware": hardware(),
        "commit": _git("describe", "--always", "--dirty", "--abbrev=12"),
        "built": datetime.date.today().isoformat(),
        "versions": meta.get("versions", {}),
        "stages": {k: v["name"] for k, v in pipeline["stages"].items()},
    }


def _training_seconds(training: dict) -> float:
    """Seconds of training (neural models) or of counting (count models fitted in one pass)."""
    return float(training.get("train_seconds", training.get("seconds", 0.0)))


def hardware() -> dict:
    import torch

    return {"cpu": _bench._cpu_model(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "os": platform.system()}


def check_no_local_paths(stage: Path) -> None:
    """A shipped pipeline speaks of itself only: no path of the machine that built it."""
    local = [str(_bench.REPO_ROOT), str(_bench.REPO_ROOT.parent), str(Path.home())]
    for path in [*stage.rglob("*.json"), *stage.rglob("*.txt")]:
        text = path.read_text(encoding="utf-8")
        found = [p for p in local if p in text]
        if found:
            sys.exit(f"{path} holds a local path ({found[0]}); clean it before shipping")


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=_bench.REPO_ROOT, check=False)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
