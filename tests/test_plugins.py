"""Entry-point loading, filtered by NLPKIT_LOAD_PLUGINS and NLPKIT_DISABLE_PLUGINS."""

import subprocess
import sys

import pytest

from nlpkit import registry
from nlpkit.plugins import PluginLoadWarning, plugin_infos, register_plugin

BUILT_INS = {"char", "jieba", "regex", "spacy"}


def test_built_ins_are_entry_points_of_the_nlpkit_distribution(fresh_plugins):
    infos = {i.name: i for i in plugin_infos()}
    assert BUILT_INS <= set(infos)
    for name in BUILT_INS:
        assert infos[name].distribution == "nlpkit" and infos[name].error is None


def test_disable_plugins_skips_them(fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_DISABLE_PLUGINS", "jieba, spacy")
    assert {i.name for i in plugin_infos()} >= {"char", "regex"}
    assert "jieba" not in registry("tokenizers") and "spacy" not in registry("tokenizers")


def test_load_plugins_is_an_allow_list(fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_LOAD_PLUGINS", "char")
    assert registry("tokenizers").names() == ["char"]


def test_load_plugins_accepts_distribution_names(fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_LOAD_PLUGINS", "nlpkit")
    assert BUILT_INS <= {i.name for i in plugin_infos()}


def test_empty_load_list_loads_nothing(fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_LOAD_PLUGINS", "")
    assert len(registry("tokenizers")) == 0


def test_unknown_names_in_env_vars_are_reported(fresh_plugins, monkeypatch):
    monkeypatch.setenv("NLPKIT_DISABLE_PLUGINS", "no-such-plugin")
    with pytest.warns(PluginLoadWarning, match="NLPKIT_DISABLE_PLUGINS names 'no-such-plugin'"):
        plugin_infos()


def test_a_plugin_implementing_an_unknown_hook_is_rejected(fresh_plugins):
    from nlpkit import hookimpl

    class Typo:
        @hookimpl
        def register_tokeniser(self, register):  # misspelt hook name
            pass

    with pytest.raises(ValueError, match="implements a hook nlpkit does not define"):
        register_plugin(Typo(), name="typo")
    assert "typo" not in {i.name for i in plugin_infos()}


def test_listing_plugins_imports_no_torch_yet_names_the_lazy_models():
    """``nlpkit plugins`` lists lazily registered models (rnn, bilstm-crf, the trainer) by name
    without importing their modules, so it stays fast and works where torch is broken."""
    script = (
        "import json, sys\n"
        "from click.testing import CliRunner\n"
        "from nlpkit.cli import cli\n"
        "out = CliRunner().invoke(cli, ['plugins', '--json']).output\n"
        "rows = {r['name']: r['components'] for r in json.loads(out)['plugins']}\n"
        "print(rows['rnn']['models'], rows['crf']['models'], rows['trainer']['trainers'], 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['gru', 'lstm', 'rnn'] ['bilstm', 'bilstm-crf'] ['torch (default)'] False"
