"""nlpkit.config: TOML configs, corpus paths, --set overrides and early validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlpkit.config import (
    apply_override,
    component_options,
    load_config,
    resolve_corpus_path,
)
from nlpkit.errors import InputError, OptionError, UnknownComponentError, UsageError

BASE = """
seed = 7

[task]
name = "classify"

[corpus]
train = "data/train.tsv"
dev = "../elsewhere/dev.tsv"
format = "label-tab-text"

[tokenizer]
name = "char"

[encoder]
name = "vocab"
dim = 16

[model]
name = "gru"
hidden_size = 32

[trainer]
name = "torch"
epochs = 2
"""


def write_config(folder: Path, text: str = BASE, name: str = "run.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_corpus_paths_are_relative_to_the_config_file(tmp_path, monkeypatch) -> None:
    path = write_config(tmp_path / "configs" / "sub")
    monkeypatch.chdir(tmp_path)  # not the config's folder
    config = load_config(Path("configs/sub/run.toml"))
    assert config["corpus"]["train"] == str((tmp_path / "configs" / "sub" / "data" / "train.tsv").resolve())
    assert config["corpus"]["dev"] == str((tmp_path / "configs" / "elsewhere" / "dev.tsv").resolve())
    assert config["corpus"]["format"] == "label-tab-text"
    assert config["seed"] == 7
    assert component_options(config, "model") == ("gru", {"hidden_size": 32})
    assert path.read_text(encoding="utf-8") == BASE  # the file is only read


def test_absolute_corpus_paths_are_kept(tmp_path) -> None:
    target = tmp_path / "abs" / "train.tsv"
    config = load_config(write_config(tmp_path, BASE.replace("data/train.tsv", target.as_posix())))
    assert config["corpus"]["train"] == str(target)


def test_sample_paths_resolve_to_the_bundled_sample(tmp_path) -> None:
    from nlpkit_corpora import sample_path

    config = load_config(write_config(tmp_path, BASE.replace('"data/train.tsv"', '"sample:names"')))
    assert config["corpus"]["train"] == str(sample_path("names"))
    assert Path(config["corpus"]["train"]).is_file()
    with pytest.raises(UsageError, match="Did you mean 'names'"):
        resolve_corpus_path("sample:namez", tmp_path)


def test_corpus_paths_resolve_through_the_manifest(tmp_path, corpus_file) -> None:
    expected = corpus_file("sst2", "dev")  # skips when the corpora are absent
    config = load_config(write_config(tmp_path, BASE.replace('"data/train.tsv"', '"corpus:sst2/dev"')))
    assert config["corpus"]["train"] == str(expected)
    assert resolve_corpus_path("corpus:sst2/dev.tsv", tmp_path) == str(expected)
    folder = Path(resolve_corpus_path("corpus:sst2", tmp_path))
    assert folder == expected.parent


def test_corpus_references_without_the_corpora_plugin_are_one_clear_error(tmp_path, fresh_plugins, monkeypatch) -> None:
    """The core resolves ``corpus:`` and ``sample:`` only through a plugin; with none, it says which to enable."""
    monkeypatch.setenv("NLPKIT_DISABLE_PLUGINS", "corpora")
    assert resolve_corpus_path("data/train.tsv", tmp_path) == str(tmp_path / "data" / "train.tsv")
    for value in ("corpus:sst2/dev", "sample:names"):
        with pytest.raises(UsageError, match=f"^No plugin resolves '{value}': .*'corpora' plugin.*NLPKIT_DISABLE_PLUGINS"):
            resolve_corpus_path(value, tmp_path)
    with pytest.raises(UsageError, match="'corpora' plugin"):
        load_config(write_config(tmp_path, BASE.replace('"data/train.tsv"', '"sample:names"')))


def test_package_paths_find_a_data_file_without_importing_the_package(tmp_path) -> None:
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from nlpkit.config import resolve_corpus_path as r; "
            "p = Path(r('package:jieba/dict.txt', Path('.'))); "
            "assert p.name == 'dict.txt' and p.stat().st_size > 1_000_000, p; assert 'jieba' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
    for spec, message in (("package:jieba", "needs the form package:PACKAGE/FILE"),
                          ("package:no_such_pkg/x.txt", "no installed Python package 'no_such_pkg'"),
                          ("package:jieba/no.txt", "package 'jieba' has no file 'no.txt'")):
        with pytest.raises(UsageError, match=message):
            resolve_corpus_path(spec, tmp_path)


def test_set_overrides_are_typed_as_toml(tmp_path) -> None:
    config = load_config(write_config(tmp_path), [
        "trainer.epochs=3",
        "trainer.lr=0.01",
        "encoder.lowercase=true",
        "corpus.split=[0.8, 0.2]",
        "tokenizer.name=character",
        'decoder.name="argmax"',
        "model.hidden_size = 64",
        "seed=11",
    ])
    assert config["trainer"]["epochs"] == 3 and type(config["trainer"]["epochs"]) is int
    assert config["trainer"]["lr"] == 0.01 and type(config["trainer"]["lr"]) is float
    assert config["encoder"]["lowercase"] is True
    assert config["corpus"]["split"] == [0.8, 0.2]
    assert config["tokenizer"]["name"] == "character"  # a bare string stays a string
    assert config["decoder"] == {"name": "argmax"}  # a new section
    assert config["model"]["hidden_size"] == 64
    assert config["seed"] == 11


def test_set_applies_to_a_base_without_a_file() -> None:
    base = {"task": {"name": "tag"}}
    config = load_config(None, ["task.field=upos", "model.name=lstm"], base=base)
    assert config == {"task": {"name": "tag", "field": "upos"}, "model": {"name": "lstm"}}
    assert base == {"task": {"name": "tag"}}  # not modified


def test_set_without_equals_sign_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="section.key=value"):
        load_config(None, ["model.hidden_size"], base={"task": {"name": "classify"}})
    with pytest.raises(OptionError, match="section.key=value"):
        apply_override({}, "model..x=1")


def test_set_into_a_value_is_an_option_error() -> None:
    with pytest.raises(OptionError, match="'seed' is a value, not a section"):
        apply_override({"seed": 3}, "seed.x=1")


def test_set_corpus_paths_are_resolved_too(tmp_path) -> None:
    from nlpkit_corpora import sample_path

    config = load_config(write_config(tmp_path), ["corpus.train=sample:names"])
    assert config["corpus"]["train"] == str(sample_path("names"))


def test_set_replaces_a_corpus_this_machine_lacks(tmp_path, monkeypatch) -> None:
    """The file names a corpus that is not here; --set gives another before anything looks for it."""
    from nlpkit_corpora import sample_path

    text = BASE.replace('train = "data/train.tsv"', 'train = "corpus:no_such_corpus/train.txt"')
    assert "no_such_corpus" in text
    with pytest.raises(UsageError, match="no_such_corpus"):
        load_config(write_config(tmp_path, text))
    config = load_config(write_config(tmp_path, text), ["corpus.train=sample:names"])
    assert config["corpus"]["train"] == str(sample_path("names"))
    monkeypatch.chdir(tmp_path)
    mine = load_config(write_config(tmp_path / "configs", text), ["corpus.train=mine.tsv"])
    assert mine["corpus"]["train"] == str((tmp_path / "mine.tsv").resolve())  # relative to where it was typed
    assert mine["corpus"]["dev"] == str((tmp_path / "elsewhere" / "dev.tsv").resolve())  # the file's, to its folder


def test_an_option_of_the_wrong_type_fails_early(tmp_path) -> None:
    with pytest.raises(OptionError, match="epochs"):
        load_config(write_config(tmp_path), ["trainer.epochs=three"])


def _error(tmp_path: Path, text: str, overrides: list[str] = ()) -> str:
    with pytest.raises(UsageError) as info:
        load_config(write_config(tmp_path, text), list(overrides))
    return str(info.value)


def test_unknown_section_suggests_the_right_one(tmp_path) -> None:
    message = _error(tmp_path, BASE + '\n[modle]\nname = "gru"\n')
    assert "[modle]" in message
    assert "Did you mean 'model'?" in message
    assert "Sections: task, corpus, tokenizer, encoder, model, decoder, trainer" in message


def test_unknown_top_level_key(tmp_path) -> None:
    message = _error(tmp_path, "sead = 3\n" + BASE)
    assert "top-level key 'sead'" in message and "Did you mean 'seed'?" in message


def test_unknown_corpus_key(tmp_path) -> None:
    message = _error(tmp_path, BASE, ["corpus.formt=conll"])
    assert "[corpus] has no key 'formt'" in message
    assert "Did you mean 'format'?" in message


def test_unknown_component_name(tmp_path) -> None:
    with pytest.raises(UnknownComponentError) as info:
        load_config(write_config(tmp_path), ["model.name=gruu"])
    assert "Unknown model 'gruu'" in str(info.value)
    assert "Did you mean 'gru'" in str(info.value)


def test_unknown_component_option(tmp_path) -> None:
    with pytest.raises(OptionError) as info:
        load_config(write_config(tmp_path), ["model.hiden_size=8"])
    message = str(info.value)
    assert "[model] 'gru' has no option 'hiden_size'" in message
    assert "Did you mean 'hidden_size'?" in message


def test_unknown_task_option_and_name(tmp_path) -> None:
    assert "Did you mean 'field'?" in _error(tmp_path, BASE.replace('"classify"', '"tag"'), ["task.feild=upos"])
    assert "Did you mean 'classify'?" in _error(tmp_path, BASE.replace('"classify"', '"clasify"'))


def test_missing_task_name(tmp_path) -> None:
    assert "[task] needs a name" in _error(tmp_path, BASE.replace('name = "classify"', ""))
    with pytest.raises(UsageError, match=r"\[task\] needs a name"):
        load_config(None, [], base={"model": {"name": "gru"}})


def test_component_section_without_a_name(tmp_path) -> None:
    message = _error(tmp_path, BASE.replace('name = "gru"', ""))
    assert "[model] needs a name" in message and "gru" in message


def test_invalid_toml_is_an_input_error_naming_the_file(tmp_path) -> None:
    path = write_config(tmp_path, "[task\nname = classify\n", name="broken.toml")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert "not valid TOML" in str(info.value)


def test_missing_config_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="nope.toml"):
        load_config(tmp_path / "nope.toml")


def test_a_task_without_a_name_lists_every_task(tmp_path) -> None:
    from nlpkit.tasks import TASK_NAMES, task_class

    message = _error(tmp_path, BASE.replace('name = "classify"\n', "", 1))
    assert "[task] needs a name: tag, ner, segment, classify, generate." in message
    assert [task_class(name).name for name in TASK_NAMES] == list(TASK_NAMES)
