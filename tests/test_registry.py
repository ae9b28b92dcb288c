"""Registries built from plugins registered in fixtures, the way simonw/llm tests plugins."""

import types

import pytest

import nlpkit
from nlpkit import Tokenizer, Tokens, hookimpl, registry
from nlpkit.errors import DuplicateComponentError, UnknownComponentError
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
    assert "Installed tokenizers: char, jieba, regex, spacy, whitespace" in message


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
