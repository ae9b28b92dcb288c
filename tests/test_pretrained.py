"""Named pretrained pipelines: a plugin's ``register_pipelines`` hook, names wherever a
pipeline directory is accepted, ``nlpkit models``, the card, and the sha256 check on load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import nlpkit
from nlpkit import hookimpl
from nlpkit.errors import InputError, NlpkitError, UnknownComponentError
from nlpkit.plugins import PluginLoadWarning, register_plugin, unregister_plugin
from nlpkit.pretrained import catalog, is_path, locate, read_card
from nlpkit.testing import assert_cli_error, invoke, train_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory, samples) -> Path:
    """A small trained segment pipeline directory (a run's model/)."""
    folder = tmp_path_factory.mktemp("segmenter")
    (folder / "train.txt").write_text(samples.segmented(samples.cws_sentences(60, seed=1)), encoding="utf-8")
    return train_config(folder, """
        seed = 1
        [task]
        name = "segment"
        [corpus]
        train = "train.txt"
        format = "segmented"
        [tokenizer]
        name = "char"
        graphemes = false
        [encoder]
        name = "vocab"
        dim = 16
        [model]
        name = "bilstm-crf"
        hidden_size = 16
        dropout = 0.0
        scheme = "BMES"
        [decoder]
        name = "viterbi"
        [trainer]
        name = "torch"
        epochs = 6
        batch_size = 8
        lr = 0.03
    """) / "model"


class ShipsPipelines:
    """A third-party plugin that ships pipelines the way nlpkit_pretrained does."""

    def __init__(self, folders: dict[str, Path], **facts) -> None:  # type: ignore[no-untyped-def]
        self.folders, self.facts = folders, facts

    @hookimpl
    def register_pipelines(self, register):  # type: ignore[no-untyped-def]
        for name, folder in self.folders.items():
            register(name, folder, task="segment", language="zh", description=f"test segmenter {name}",
                     scores={"toy dev f1": 0.9}, data="sentences written for the tests", licence="MIT",
                     **self.facts)


@pytest.fixture
def shipped(segmenter, tmp_path):  # type: ignore[no-untyped-def]
    """``toy-seg`` (alias ``toy``) registered by a run-time plugin; yields its directory."""
    folder = tmp_path / "package" / "toy-seg"
    shutil.copytree(segmenter, folder)
    name = register_plugin(ShipsPipelines({"toy-seg": folder}, aliases=("toy",)), name="toy-pipelines")
    yield folder
    unregister_plugin(name)


def test_a_registered_name_loads_like_its_directory(shipped) -> None:
    text = "我今天去北京。"
    by_name = nlpkit.load("toy-seg", device="cpu")
    by_alias = nlpkit.load("toy", device="cpu")
    by_path = nlpkit.load(shipped, device="cpu")
    assert by_name(text).words.texts == by_alias(text).words.texts == by_path(text).words.texts
    assert locate("toy-seg") == shipped
    entry = catalog().get("toy")
    assert (entry.name, entry.plugin, entry.task, entry.language) == ("toy-seg", "toy-pipelines", "segment", "zh")


def test_an_unknown_name_suggests_the_close_ones(shipped) -> None:
    with pytest.raises(UnknownComponentError, match="Unknown pipeline 'toy-sge'. Did you mean 'toy-seg'") as info:
        nlpkit.load("toy-sge")
    assert "nlpkit models" in str(info.value)


def test_a_path_is_always_a_path(shipped, tmp_path, monkeypatch) -> None:
    assert is_path("runs/toy-seg") and is_path("./toy-seg") and is_path(Path("toy-seg")) and not is_path("toy-seg")
    with pytest.raises(InputError, match="not an nlpkit pipeline"):
        nlpkit.load("./toy-seg")  # a slash: never looked up by name
    monkeypatch.chdir(tmp_path)
    (tmp_path / "toy-seg").mkdir()  # an existing directory wins over the name
    with pytest.raises(InputError, match="not an nlpkit pipeline"):
        nlpkit.load("toy-seg")


def test_names_work_in_the_cli_commands(shipped) -> None:
    predicted = invoke("predict", "toy-seg", "我今天去北京。", "--device", "cpu")
    assert predicted.exit_code == 0, predicted.output
    tokenized = invoke("tokenize", "-t", "toy", "我今天去北京。")
    assert tokenized.exit_code == 0, tokenized.output
    assert tokenized.stdout == predicted.stdout
    assert_cli_error(invoke("predict", "toy-sge", "x"), 2, "Unknown pipeline 'toy-sge'", "Did you mean 'toy-seg'")


def test_a_config_takes_a_pipeline_name_as_its_tokenizer_and_keeps_the_name(shipped, tmp_path, samples) -> None:
    (tmp_path / "train.conll").write_text(samples.conll(samples.ner_sentences(40, seed=2)), encoding="utf-8")
    run = train_config(tmp_path, """
        seed = 1
        [task]
        name = "ner"
        [corpus]
        train = "train.conll"
        format = "conll"
        split = [0.8, 0.2]
        [tokenizer]
        name = "toy-seg"
        batch_size = 16
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        epochs = 1
    """)
    saved = json.loads((run / "model" / "tokenizer" / "config.json").read_text(encoding="utf-8"))
    assert saved == {"name": "pipeline", "options": {"path": "toy-seg", "device": "auto", "batch_size": 16}}
    tagger = nlpkit.load(run, device="cpu")
    segmenter = nlpkit.load("toy-seg", device="cpu")
    text = "朋友们明天参观人民公园。"
    assert [t.text for t in tagger(text).tokens] == segmenter(text).words.texts


def test_a_config_tokenizer_given_as_a_directory_is_copied_into_the_pipeline(segmenter, tmp_path, samples) -> None:
    (tmp_path / "train.conll").write_text(samples.conll(samples.ner_sentences(40, seed=2)), encoding="utf-8")
    run = train_config(tmp_path, f"""
        [task]
        name = "ner"
        [corpus]
        train = "train.conll"
        format = "conll"
        split = [0.8, 0.2]
        [tokenizer]
        name = "pipeline"
        path = "{segmenter.as_posix()}"
        [encoder]
        name = "vocab"
        dim = 8
        [model]
        name = "gru"
        hidden_size = 8
        [trainer]
        name = "torch"
        epochs = 1
    """)
    options = json.loads((run / "model" / "tokenizer" / "config.json").read_text(encoding="utf-8"))["options"]
    copy = run / "model" / "tokenizer" / options["path"]
    assert (copy / "pipeline.json").is_file() and not Path(options["path"]).is_absolute()
    moved = tmp_path / "moved"
    shutil.move(run / "model", moved)
    text = "我今天去北京。"
    assert [t.text for t in nlpkit.load(moved, device="cpu")(text).tokens] == \
        nlpkit.load(segmenter, device="cpu")(text).words.texts


def test_package_names_the_training_corpora_portably(segmenter, tmp_path, monkeypatch) -> None:
    """meta.json keeps ``sample:NAME`` / ``corpus:NAME/FILE`` (the ``portable_data_name`` hook), else a file name."""
    from nlpkit.pretrained import package
    from nlpkit_corpora import sample_path

    monkeypatch.setenv("NLPKIT_CORPORA", str(tmp_path / "corpora"))
    source = tmp_path / "source"
    shutil.copytree(segmenter, source)
    meta = json.loads((source / "meta.json").read_text(encoding="utf-8"))
    paths = {"train": str(sample_path("zh")), "dev": str(tmp_path / "corpora" / "toy" / "dev.txt"),
             "test": str(tmp_path / "elsewhere" / "test.txt")}
    meta["config"]["corpus"].update(paths)
    meta["corpus"] = {split: {"path": path, "sha256": "0" * 64} for split, path in paths.items()}
    (source / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    card = {"name": "toy-seg", "task": "segment", "language": "zh", "description": "test segmenter"}
    shipped = json.loads((package(source, tmp_path / "toy-seg", card) / "meta.json").read_text(encoding="utf-8"))
    expected = {"train": "sample:zh", "dev": "corpus:toy/dev.txt", "test": "test.txt"}
    assert {split: shipped["config"]["corpus"][split] for split in expected} == expected
    assert {split: record["path"] for split, record in shipped["corpus"].items()} == expected


def test_nlpkit_models_lists_names_scores_and_licences(shipped) -> None:
    table = invoke("models")
    assert table.exit_code == 0, table.output
    row = next(line for line in table.stdout.splitlines() if line.startswith("toy-seg"))
    assert "segment" in row and "toy dev f1 0.9000" in row and "MIT" in row and "kB" in row
    listed = json.loads(invoke("models", "--json").stdout)
    [entry] = [p for p in listed["pipelines"] if p["name"] == "toy-seg"]
    size = sum(p.stat().st_size for p in shipped.rglob("*") if p.is_file())
    assert entry["size"] == size and entry["aliases"] == ["toy"] and entry["plugin"] == "toy-pipelines"


def test_models_info_prints_the_card(shipped) -> None:
    (shipped / "card.json").write_text(json.dumps({"config": "configs/toy.toml", "commit": "abc123"}), encoding="utf-8")
    card = json.loads(invoke("models", "info", "toy", "--json").stdout)
    assert card["name"] == "toy-seg" and card["config"] == "configs/toy.toml" and card["commit"] == "abc123"
    text = invoke("models", "info", "toy-seg").stdout
    assert "description:    test segmenter toy-seg" in text and "commit:         abc123" in text
    assert_cli_error(invoke("models", "info", "nope"), 2, "Unknown pipeline 'nope'")


def test_read_card_gives_the_registration_fields(tmp_path) -> None:
    card = {"name": "zz-x", "task": "tag", "language": "zz", "description": "d", "scores": {"a": 1.0},
            "commit": "not registered"}
    (tmp_path / "card.json").write_text(json.dumps(card), encoding="utf-8")
    assert read_card(tmp_path) == {"path": tmp_path, "name": "zz-x", "task": "tag", "language": "zz",
                                   "description": "d", "scores": {"a": 1.0}}
    (tmp_path / "card.json").write_text(json.dumps({"name": "zz-x"}), encoding="utf-8")
    with pytest.raises(InputError, match="card.json: the card lacks task, language, description"):
        read_card(tmp_path)


def test_two_plugins_claiming_one_name_are_both_named(segmenter) -> None:
    first = register_plugin(ShipsPipelines({"dup-seg": segmenter}), name="first-pipelines")
    second = register_plugin(ShipsPipelines({"dup-seg": segmenter}), name="second-pipelines")
    try:
        [problem] = catalog().problems
        assert "'first-pipelines'" in problem and "'second-pipelines'" in problem and "dup-seg" in problem
        assert catalog().get("dup-seg").plugin == "first-pipelines"
    finally:
        unregister_plugin(first)
        unregister_plugin(second)


def test_a_bad_registration_skips_the_plugin_with_a_warning(segmenter) -> None:
    name = register_plugin(ShipsPipelines({"Bad_Name": segmenter}), name="bad-pipelines")
    try:
        with pytest.warns(PluginLoadWarning, match="bad-pipelines.*kebab-case"):
            assert "Bad_Name" not in catalog()
    finally:
        unregister_plugin(name)


def test_a_registered_pipeline_without_files_says_to_reinstall(tmp_path) -> None:
    name = register_plugin(ShipsPipelines({"gone-seg": tmp_path / "missing"}), name="gone-pipelines")
    try:
        with pytest.raises(NlpkitError, match="has no files at .*reinstall"):
            nlpkit.load("gone-seg")
    finally:
        unregister_plugin(name)


# -- integrity ---------------------------------------------------------------------------


def test_every_file_is_recorded_and_checked(segmenter, tmp_path) -> None:
    spec = json.loads((segmenter / "pipeline.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(segmenter).as_posix() for p in segmenter.rglob("*") if p.is_file()}
    assert set(spec["files"]) == on_disk - {"pipeline.json"}
    assert "model/weights.safetensors" in spec["files"]


def test_zeroed_bytes_in_the_weights_are_an_error_naming_the_file(segmenter, tmp_path) -> None:
    copy = tmp_path / "p"
    shutil.copytree(segmenter, copy)
    weights = copy / "model" / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    weights.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"weights\.safetensors: damaged or changed since the pipeline was saved"):
        nlpkit.load(copy, device="cpu")
    assert_cli_error(invoke("predict", str(copy), "我"), 1, "weights.safetensors", "damaged")


def test_a_truncated_or_missing_file_is_an_error_naming_it(segmenter, tmp_path) -> None:
    copy = tmp_path / "p"
    shutil.copytree(segmenter, copy)
    vocab = copy / "encoder" / "vocab.json"
    vocab.write_bytes(vocab.read_bytes()[:-10])
    with pytest.raises(InputError, match=r"vocab\.json: damaged"):
        nlpkit.load(copy, device="cpu")
    vocab.unlink()
    with pytest.raises(InputError, match=r"vocab\.json: missing from the pipeline directory"):
        nlpkit.load(copy, device="cpu")


def test_compact_weights_load_into_the_float32_model(segmenter, tmp_path) -> None:
    """Embedding tables become int8 rows with a scale each, other weights float16; loading
    gives float32 parameters within half a quantisation step of the originals."""
    from safetensors.torch import load_file

    from nlpkit.compaction import compact

    copy = tmp_path / "p"
    shutil.copytree(segmenter, copy)
    before, after = compact(copy)
    assert after < 0.6 * before
    stored = load_file(str(copy / "model" / "weights.safetensors"))
    assert stored["embedding.weight"].dtype == torch.int8 and stored["encoder.rnn.weight_ih_l0"].dtype == torch.float16
    full, small = nlpkit.load(segmenter, device="cpu"), nlpkit.load(copy, device="cpu")
    table, rounded = full.model.embedding.weight, small.model.embedding.weight
    assert rounded.dtype == torch.float32
    step = table.abs().amax(dim=1, keepdim=True) / 127
    assert bool(((table - rounded).abs() <= step / 2 + 1e-7).all())
    text = "朋友们明天参观人民公园。"
    assert small(text).words.texts == full(text).words.texts


def test_compact_language_models_keep_tied_weights_tied(tmp_path) -> None:
    from nlpkit.compaction import compact

    (tmp_path / "text.txt").write_text("the cat sat on the mat. " * 40, encoding="utf-8")
    run = train_config(tmp_path, """
        seed = 1
        [task]
        name = "generate"
        block_size = 16
        [corpus]
        train = "text.txt"
        format = "plain-text"
        [tokenizer]
        name = "char"
        [encoder]
        name = "vocab"
        dim = 16
        [model]
        name = "gru"
        hidden_size = 16
        tie_weights = true
        [decoder]
        name = "gumbel"
        [trainer]
        name = "torch"
        epochs = 1
    """)
    copy = tmp_path / "compact"
    shutil.copytree(run / "model", copy)
    compact(copy)
    pipeline = nlpkit.load(copy, device="cpu")
    assert pipeline.model.output.weight is pipeline.model.embedding.weight
    assert pipeline.model.embedding.weight.dtype == torch.float32
    assert pipeline.generate("the ", max_length=20, seed=1)


def test_compact_count_models_keep_their_options_exact(tmp_path, samples) -> None:
    """An HMM's float64 tables become float32 (read back as float64); its options array,
    checked against the config on load, stays exact."""
    from safetensors.numpy import load_file

    from nlpkit.compaction import compact

    (tmp_path / "train.txt").write_text(samples.segmented(samples.cws_sentences(60, seed=3)), encoding="utf-8")
    run = train_config(tmp_path, """
        [task]
        name = "segment"
        [corpus]
        train = "train.txt"
        format = "segmented"
        [tokenizer]
        name = "char"
        graphemes = false
        [model]
        name = "hmm"
        smoothing = "add-k"
        k = 0.1
    """)
    copy = tmp_path / "compact"
    shutil.copytree(run / "model", copy)
    before, after = compact(copy)
    assert after < 0.75 * before
    arrays = load_file(str(copy / "model" / "hmm.safetensors"))
    assert arrays["emissions"].dtype.name == "float32" and arrays["options"].dtype.name == "float64"
    text = "朋友们明天参观人民公园。我今天去北京。"
    assert nlpkit.load(copy)(text).words.texts == nlpkit.load(run)(text).words.texts
