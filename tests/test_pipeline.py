"""nlpkit.pipeline: train tiny pipelines in-process, save, load, and predict the same."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

import nlpkit
from nlpkit.errors import InputError, MissingDependencyError, UsageError
from nlpkit.pipeline import FORMAT_VERSION, Pipeline
from nlpkit.training import train

TEXTS = ["xyzzy", "pqr", "zzx", "rqpqrp", "x", "qqqqqqqqqq", "xpz"]
SENTENCES = ["the cat sat", "a dog ran fast", "dog", "the the cat ran", ""]


def write_classify_corpus(folder: Path) -> tuple[Path, Path]:
    """40 ``label<TAB>text`` lines: 'a' names spelt with x/y/z, 'b' names with p/q/r."""
    rng = random.Random(0)
    lines = []
    for i in range(40):
        label, letters = ("a", "xyz") if i % 2 else ("b", "pqr")
        lines.append(f"{label}\t" + "".join(rng.choice(letters) for _ in range(rng.randint(2, 7))))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.tsv").write_text("\n".join(lines[:32]) + "\n", encoding="utf-8")
    (folder / "dev.tsv").write_text("\n".join(lines[32:]) + "\n", encoding="utf-8")
    return folder / "train.tsv", folder / "dev.tsv"


TAGGED = {"the": "DET", "a": "DET", "cat": "NOUN", "dog": "NOUN", "sat": "VERB", "ran": "VERB", "fast": "ADV"}


def write_conllu(path: Path, n: int = 16, seed: int = 0) -> Path:
    rng = random.Random(seed)
    blocks = []
    for s in range(n):
        words = [rng.choice(["the", "a"]), rng.choice(["cat", "dog"]), rng.choice(["sat", "ran"])]
        words += ["fast"] * (s % 2)
        lines = [f"# sent_id = {s}", f"# text = {' '.join(words)}"]
        lines += [f"{i}\t{w}\t{w}\t{TAGGED[w]}\t_\t_\t0\tdep\t_\t_" for i, w in enumerate(words, 1)]
        blocks.append("\n".join(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(blocks) + "\n\n", encoding="utf-8")
    return path


def small_config(task: dict, corpus: dict, tokenizer: str) -> dict:
    return {
        "seed": 3,
        "task": task,
        "corpus": corpus,
        "tokenizer": {"name": tokenizer},
        "encoder": {"name": "vocab", "dim": 8},
        "model": {"name": "gru", "hidden_size": 8},
        "trainer": {"name": "torch", "epochs": 2, "batch_size": 8, "lr": 0.01},
    }


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("classify")
    train_file, dev_file = write_classify_corpus(root / "data")
    corpus = {"train": str(train_file), "dev": str(dev_file), "format": "label-tab-text"}
    train(small_config({"name": "classify"}, corpus, "char"), root / "run", device="cpu", progress=False)
    return root / "run"


@pytest.fixture(scope="module")
def classifier(classifier_run) -> Pipeline:
    return Pipeline.from_disk(classifier_run / "model", device="cpu")


@pytest.fixture(scope="module")
def tagger_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tag")
    corpus = {"train": str(write_conllu(root / "train.conllu")), "dev": str(write_conllu(root / "dev.conllu", 4, 1)),
              "format": "conllu"}
    train(small_config({"name": "tag", "field": "upos"}, corpus, "whitespace"), root / "run", device="cpu", progress=False)
    return root / "run"


def test_train_returns_the_pipeline_it_saved(tmp_path) -> None:
    train_file, dev_file = write_classify_corpus(tmp_path / "data")
    corpus = {"train": str(train_file), "dev": str(dev_file), "format": "label-tab-text"}
    config = small_config({"name": "classify"}, corpus, "char")
    config["trainer"]["epochs"] = 1
    trained = train(config, tmp_path / "run", device="cpu", progress=False)
    loaded = nlpkit.load(tmp_path / "run" / "model", device="cpu")
    for text in TEXTS:
        assert loaded(text).probabilities == trained(text).probabilities
    assert loaded.meta["seed"] == 3
    assert loaded.meta["metrics"]["dev"]["accuracy"] == trained.meta["metrics"]["dev"]["accuracy"]


def test_layout_matches_the_documented_directory(classifier_run) -> None:
    root = classifier_run / "model"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "decoder/config.json",
        "encoder/config.json",
        "encoder/vocab.json",
        "meta.json",
        "model/config.json",
        "model/weights.safetensors",
        "pipeline.json",
        "tokenizer/config.json",
    ]
    spec = json.loads((root / "pipeline.json").read_text(encoding="utf-8"))
    assert spec["format_version"] == FORMAT_VERSION
    assert spec["nlpkit_version"] == nlpkit.__version__
    assert spec["task"] == {"name": "classify", "options": {}}
    assert {stage: info["name"] for stage, info in spec["stages"].items()} == {
        "tokenizer": "char", "encoder": "vocab", "model": "gru", "decoder": "argmax"}
    for info in spec["stages"].values():
        assert info["distribution"] == "nlpkit" and info["plugin"] and info["version"]
    assert spec["labels"] == {"specials": [], "items": ["a", "b"]}
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert {"metrics", "seed", "corpus", "versions", "config"} <= set(meta)
    assert len(meta["corpus"]["train"]["sha256"]) == 64
    model_config = json.loads((root / "model" / "config.json").read_text(encoding="utf-8"))
    assert model_config["head"] == "classify" and model_config["num_outputs"] == 2
    assert model_config["options"]["hidden_size"] == 8


def test_weights_are_safetensors_and_nothing_is_pickled(classifier_run, classifier) -> None:
    from safetensors import safe_open

    root = classifier_run / "model"
    with safe_open(str(root / "model" / "weights.safetensors"), framework="pt") as weights:
        names = set(weights.keys())
    assert names == set(classifier.model.state_dict())
    for path in root.rglob("*"):
        if path.is_file():
            head = path.read_bytes()[:2]
            assert head[:1] != b"\x80", f"{path} looks like a pickle"
            assert head != b"PK", f"{path} looks like a torch.save zip"
            assert path.suffix in (".json", ".safetensors")


def test_round_trip_predicts_identically(classifier_run, classifier) -> None:
    again = Pipeline.from_disk(classifier_run / "model", device="cpu")
    for text in TEXTS:
        first, second = classifier(text), again(text)
        assert first.label == second.label
        assert first.probabilities == second.probabilities
    assert again.labels.items == classifier.labels.items


def test_load_accepts_the_run_folder(classifier_run, classifier) -> None:
    from_run = nlpkit.load(classifier_run, device="cpu")
    assert [r.probabilities for r in from_run.pipe(TEXTS)] == [r.probabilities for r in classifier.pipe(TEXTS)]


def test_pipe_in_small_batches_equals_one_call_per_text(classifier) -> None:
    piped = list(classifier.pipe(iter(TEXTS), batch_size=2))
    assert [r.text for r in piped] == TEXTS
    for result, text in zip(piped, TEXTS):
        alone = classifier(text)
        assert result.label == alone.label
        assert result.probabilities == pytest.approx(alone.probabilities, abs=1e-6)


def test_saving_over_an_existing_pipeline_replaces_it(classifier, tmp_path) -> None:
    target = tmp_path / "saved"
    classifier.to_disk(target)
    (target / "stale.txt").write_text("from an older save", encoding="utf-8")
    classifier.to_disk(target)
    assert not (target / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]  # no temp or .old folders left
    reloaded = Pipeline.from_disk(target, device="cpu")
    assert reloaded("xyz").probabilities == classifier("xyz").probabilities


def test_a_failed_save_leaves_the_old_pipeline_and_no_leftovers(classifier, tmp_path) -> None:
    from nlpkit.registry import registry

    target = tmp_path / "saved"
    classifier.to_disk(target)
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    unfitted = registry("encoders").get("vocab")(dim=8)  # no vocabulary: writing it fails
    broken = Pipeline(classifier.task, classifier.tokenizer, unfitted, classifier.model, classifier.decoder,
                      classifier.labels)
    with pytest.raises(UsageError, match="no vocabulary"):
        broken.to_disk(target)
    assert {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]


def _copy(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run / "model", copy)
    return copy


def _edit_spec(root: Path, edit) -> None:  # type: ignore[no-untyped-def]
    spec = json.loads((root / "pipeline.json").read_text(encoding="utf-8"))
    edit(spec)
    (root / "pipeline.json").write_text(json.dumps(spec), encoding="utf-8")


def test_a_newer_format_asks_to_upgrade(classifier_run, tmp_path) -> None:
    root = _copy(classifier_run, tmp_path)
    _edit_spec(root, lambda spec: spec.update(format_version=FORMAT_VERSION + 1, nlpkit_version="99.0"))
    with pytest.raises(UsageError) as info:
        Pipeline.from_disk(root, device="cpu")
    message = str(info.value)
    assert f"format {FORMAT_VERSION + 1}" in message
    assert "nlpkit 99.0" in message
    assert "pip install -U nlpkit" in message


def test_a_missing_plugin_names_the_distribution_to_install(classifier_run, tmp_path) -> None:
    root = _copy(classifier_run, tmp_path)

    def edit(spec: dict) -> None:
        spec["stages"]["model"].update(name="no-such-model", distribution="nlpkit-extra")

    _edit_spec(root, edit)
    with pytest.raises(MissingDependencyError) as info:
        Pipeline.from_disk(root, device="cpu")
    assert "model 'no-such-model'" in str(info.value)
    assert "from distribution 'nlpkit-extra'" in str(info.value)
    assert "pip install nlpkit-extra" in str(info.value)


def test_a_folder_without_pipeline_json_is_an_input_error(tmp_path) -> None:
    (tmp_path / "model").mkdir()
    with pytest.raises(InputError) as info:
        nlpkit.load(tmp_path, device="cpu")
    assert str(tmp_path) in str(info.value) and "pipeline.json" in str(info.value)


def test_damaged_weights_are_an_input_error(classifier_run, tmp_path) -> None:
    root = _copy(classifier_run, tmp_path)
    (root / "model" / "weights.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="weights.safetensors"):
        Pipeline.from_disk(root, device="cpu")


def test_tagger_round_trip(tagger_run) -> None:
    trained = Pipeline.from_disk(tagger_run / "model", device="cpu")
    again = nlpkit.load(tagger_run, device="cpu")
    assert set(trained.labels.items) == {"DET", "NOUN", "VERB", "ADV"}
    assert trained.tokenizer.name == "whitespace"
    first = list(trained.pipe(SENTENCES, batch_size=2))
    second = [again(s) for s in SENTENCES]
    assert [r.tokens.tags for r in first] == [r.tokens.tags for r in second]
    assert [r.tokens.texts for r in first] == [s.split() for s in SENTENCES]
    assert all(len(r.tokens.tags) == len(r.tokens) for r in first)
    spec = json.loads((tagger_run / "model" / "pipeline.json").read_text(encoding="utf-8"))
    assert spec["task"] == {"name": "tag", "options": {"field": "upos"}}
    model_config = json.loads((tagger_run / "model" / "model" / "config.json").read_text(encoding="utf-8"))
    assert model_config["head"] == "tag" and model_config["num_outputs"] == 4


def test_a_jieba_user_dictionary_travels_with_the_pipeline(tmp_path) -> None:
    pytest.importorskip("jieba")
    from nlpkit.registry import registry

    user_dict = tmp_path / "words.txt"
    user_dict.write_text("云计算平台 100 n\n", encoding="utf-8")
    expected = registry("tokenizers").get("jieba")(user_dicts=(str(user_dict),))("我们的云计算平台").texts
    data = tmp_path / "train.tsv"
    data.write_text("好\t云计算平台很好用\n坏\t这个平台不好用\n", encoding="utf-8")
    config = small_config({"name": "classify"}, {"train": str(data), "dev": str(data), "format": "label-tab-text"}, "jieba")
    config["tokenizer"] = {"name": "jieba", "user_dicts": [str(user_dict)]}
    train(config, tmp_path / "run", device="cpu", progress=False)
    moved = tmp_path / "moved"
    shutil.move(str(tmp_path / "run" / "model"), moved)
    user_dict.unlink()  # the original is gone: the pipeline must hold its own copy
    saved = json.loads((moved / "tokenizer" / "config.json").read_text(encoding="utf-8"))["options"]
    assert saved["user_dicts"] == ["files/user_dicts-0-words.txt"]
    loaded = nlpkit.load(moved)
    assert "云计算平台" in loaded.tokenizer("我们的云计算平台").texts
    assert loaded.tokenizer("我们的云计算平台").texts == expected
