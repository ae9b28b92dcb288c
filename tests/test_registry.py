"""Registries built from plugins registered in fixtures, the way simonw/llm tests plugins."""

import sys
import types

import pytest

import nlpkit
from nlpkit import Tokenizer, Tokens, hookimpl, registry
from nlpkit.errors import (
    DuplicateComponentError,
    MissingDependencyError,
    NlpkitError,
    UnknownComponentError,
)
from nlpkit.plugins import PluginLoadWarning, register_plugin, unregister_plugin


class UpperTokenizer(Tokenizer):
    name = "upper-words"

    def tokenize(self, text: str) -> Tokens:
        return Tokens.from_words(text, text.split(" "))


def _plugin(**hooks):
    return types.SimpleNamespace(**{k: hookimpl(v) for k, v in hooks.items()})


@pytest.fixture
def registered():
    names = []

    def add(plugin, name):
        names.append(register_plugin(plugin, name=name))

    yield add
    for name in names:
        unregister_plugin(name)


def test_runtime_plugin_is_found_by_name_and_alias(registered):
    registered(_plugin(register_tokenizers=lambda register: register(UpperTokenizer, aliases=("up",))), "mine")
    entry = registry("tokenizers").entry("up")
    assert entry.cls is UpperTokenizer and entry.name == "upper-words" and entry.plugin == "mine"
    assert nlpkit.tokenize("a b", tokenizer="up").texts == ["a", "b"]


def test_registry_forgets_an_unregistered_plugin(registered):
    register_plugin(_plugin(register_tokenizers=lambda register: register(UpperTokenizer)), name="temp")
    assert "upper-words" in registry("tokenizers")
    unregister_plugin("temp")
    assert "upper-words" not in registry("tokenizers")


def test_duplicate_name_names_both_plugins(registered):
    class Char2(UpperTokenizer):
        name = "char"

    registered(_plugin(register_tokenizers=lambda register: register(Char2)), "imposter")
    reg = registry("tokenizers")
    with pytest.raises(DuplicateComponentError, match=r"'char'.*'char' \(nlpkit\) and 'imposter'.*DISABLE_PLUGINS=imposter\."):
        reg.entry("char")
    assert reg.entry("jieba").plugin == "jieba"  # other names keep working
    assert reg.entry("character").cls is not Char2  # the built-in keeps its uncontested alias
    assert [e.plugin for e in reg.rejected] == ["imposter"] and len(reg.problems) == 1


def test_duplicate_alias_is_rejected_too(registered):
    registered(_plugin(register_tokenizers=lambda register: register(UpperTokenizer, aliases=("zh",))), "zh-thief")
    with pytest.raises(DuplicateComponentError, match="'jieba' .* and 'zh-thief'"):
        registry("tokenizers").get("zh")
    assert "upper-words" not in registry("tokenizers")  # the whole contested entry is left out


def test_unknown_name_suggests_close_matches_and_lists_installed():
    with pytest.raises(UnknownComponentError) as info:
        registry("tokenizers").get("jeiba")
    message = str(info.value)
    assert "Unknown tokenizer 'jeiba'. Did you mean 'jieba'?" in message
    assert "Installed tokenizers: char, jieba, pipeline, regex, spacy, whitespace" in message


def test_unknown_kind_is_an_error():
    with pytest.raises(UnknownComponentError, match="Did you mean 'tokenizers'"):
        registry("tokenizer")


def test_a_hook_that_raises_is_skipped_with_a_warning(registered):
    def broken(register):
        raise RuntimeError("boom")

    registered(_plugin(register_tokenizers=broken), "broken")
    with pytest.warns(PluginLoadWarning, match="skipped the tokenizers of plugin 'broken'.*RuntimeError: boom"):
        names = registry("tokenizers").names()
    assert "jieba" in names
    from nlpkit.plugins import plugin_infos

    [info] = [i for i in plugin_infos() if i.name == "broken"]
    assert info.error == "register_tokenizers failed: RuntimeError: boom"


@pytest.mark.parametrize("bad", ["Upper", "under_score", "", None])
def test_names_must_be_kebab_case(registered, bad):
    class Bad(UpperTokenizer):
        name = bad

    registered(_plugin(register_tokenizers=lambda register: register(Bad)), "bad-name")
    with pytest.warns(PluginLoadWarning, match="kebab-case"):
        assert "char" in registry("tokenizers")


def test_tokenizers_must_subclass_tokenizer(registered):
    class NotATokenizer:
        name = "fake"

    registered(_plugin(register_tokenizers=lambda register: register(NotATokenizer)), "fake")
    with pytest.warns(PluginLoadWarning, match="does not subclass Tokenizer"):
        assert "fake" not in registry("tokenizers")


def test_every_kind_has_a_registry():
    for kind in nlpkit.KINDS:
        assert registry(kind).kind == kind


# -- lazy registration: register("module:Class", name=...) imports on first lookup --------

LAZY_MODULE = '''
from nlpkit import Tokenizer, Tokens


class LazyTokenizer(Tokenizer):
    name = "lazy-words"

    def tokenize(self, text):
        return Tokens.from_words(text, text.split(" "))


class NotATokenizer:
    name = "not-a-tokenizer"
'''


@pytest.fixture
def lazy_module(tmp_path, monkeypatch):
    """A module ``nlpkit_lazy_sample`` on sys.path, not imported yet; its name."""
    (tmp_path / "nlpkit_lazy_sample.py").write_text(LAZY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "nlpkit_lazy_sample", raising=False)
    return "nlpkit_lazy_sample"


def test_a_lazy_entry_is_listed_without_import_and_resolved_on_lookup(registered, lazy_module):
    registered(_plugin(register_tokenizers=lambda register: register(
        f"{lazy_module}:LazyTokenizer", name="lazy-words", aliases=("lw",))), "lazy")
    reg = registry("tokenizers")
    assert "lazy-words" in reg.names() and "lw" in reg
    [listed] = [e for e in reg if e.name == "lazy-words"]
    assert listed.cls is None and listed.target == f"{lazy_module}:LazyTokenizer" and listed.plugin == "lazy"
    assert lazy_module not in sys.modules  # listing imports nothing
    entry = reg.entry("lw")
    assert entry.cls is sys.modules[lazy_module].LazyTokenizer and entry.plugin == "lazy"
    assert reg.entry("lazy-words") is entry  # resolved once, then kept
    assert nlpkit.tokenize("a b", tokenizer="lw").texts == ["a", "b"]


@pytest.mark.parametrize(("target", "error", "match"), [
    ("nlpkit_no_such_module:Thing", MissingDependencyError, "ModuleNotFoundError: No module named 'nlpkit_no_such_module'"),
    ("{module}:NoSuchClass", NlpkitError, "AttributeError: .*NoSuchClass"),
    ("{module}:NotATokenizer", NlpkitError, "does not subclass Tokenizer"),
    ("{module}:LazyTokenizer", NlpkitError, "its class says name = 'lazy-words': make them agree"),
])
def test_a_lazy_entry_that_fails_names_the_plugin_at_lookup(registered, lazy_module, target, error, match):
    target = target.format(module=lazy_module)
    registered(_plugin(register_tokenizers=lambda register: register(target, name="ghost")), "haunted")
    reg = registry("tokenizers")  # registering checks names only: no warning, nothing imported
    with pytest.raises(error, match=rf"Plugin 'haunted' \(registered at run time\): tokenizer 'ghost' .*{match}") as info:
        reg.get("ghost")
    assert "NLPKIT_DISABLE_PLUGINS=haunted" in str(info.value)
    from nlpkit.plugins import plugin_infos

    [plugin] = [i for i in plugin_infos() if i.name == "haunted"]
    assert plugin.error and "tokenizer 'ghost'" in plugin.error  # nlpkit plugins shows it
    assert reg.get("char") is not None  # the rest keeps working


@pytest.mark.parametrize(("target", "name", "match"), [
    ("somewhere:Thing", None, "'somewhere:Thing' is registered by import path, so it needs name="),
    ("no-colon", "x", "'no-colon' is not an import path"),
    ("somewhere:Thing", "Bad_Name", "kebab-case"),
])
def test_a_lazy_entry_needs_a_kebab_case_name_and_an_import_path(registered, target, name, match):
    registered(_plugin(register_tokenizers=lambda register: register(target, name=name)), "unfit")
    with pytest.warns(PluginLoadWarning, match=rf"skipped the tokenizers of plugin 'unfit'.*{match}"):
        assert "char" in registry("tokenizers")


def test_a_lazy_entry_clashing_by_name_is_a_duplicate_and_never_imported(registered, lazy_module):
    registered(_plugin(register_tokenizers=lambda register: register(f"{lazy_module}:LazyTokenizer", name="char")),
               "lazy-imposter")
    with pytest.raises(DuplicateComponentError, match=r"'char' \(nlpkit\) and 'lazy-imposter'"):
        registry("tokenizers").entry("char")
    assert lazy_module not in sys.modules


def test_built_in_torch_models_are_registered_lazily():
    models = {e.name: e for e in registry("models")}
    for name in ("rnn", "gru", "lstm", "bilstm", "bilstm-crf"):
        assert models[name].target and models[name].distribution == "nlpkit", name
    assert models["hmm"].target is None  # eager: its module needs no torch
