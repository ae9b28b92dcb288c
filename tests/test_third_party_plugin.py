"""Third-party plugins found through real entry points, in a real subprocess: no mocks.

Each test builds a "site" folder of fake installed distributions (a ``*.dist-info``
folder with METADATA and entry_points.txt, plus the plugin's module), puts it on
PYTHONPATH, and runs ``python -m nlpkit``. importlib.metadata finds a dist-info on
any sys.path entry, so nlpkit discovers these plugins exactly as it would after
``pip install``. The ``sentences`` plugin is the real example package in
examples/nlpkit-sentences/src.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SENTENCES_SRC = ROOT / "examples" / "nlpkit-sentences" / "src"
BUILTINS = sorted(tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]["nlpkit"])


def builtins_but(*names: str) -> list[str]:
    """The built-in plugin names, less *names*."""
    return [name for name in BUILTINS if name not in names]


BROKEN_IMPORT = """
    raise ImportError("nlpkit-broken needs libbroken: pip install libbroken")
"""

BROKEN_HOOK = """
    from nlpkit import hookimpl

    @hookimpl
    def register_tokenizers(register):
        raise RuntimeError("the hook exploded")
"""

LAZY_GONE = """
    from nlpkit import hookimpl

    @hookimpl
    def register_tokenizers(register):
        register("nlpkit_gone_module:Thing", name="gone")
"""

DUPLICATE_CHAR = """
    from nlpkit import Tokenizer, Tokens, hookimpl

    class MyChar(Tokenizer):
        name = "char"

        def tokenize(self, text):
            return Tokens.from_words(text, list(text))

    @hookimpl
    def register_tokenizers(register):
        register(MyChar)
"""


def install_fake(site: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """Write what pip would leave in site-packages: a dist-info and the plugin modules."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nlpkit]\n{lines}", encoding="utf-8")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder where nlpkit-sentences 0.1.0 is "installed" (its code stays in src/)."""
    folder = tmp_path / "site"
    install_fake(folder, "nlpkit-sentences", "0.1.0", {"sentences": "nlpkit_sentences"}, {})
    return folder


def run_nlpkit(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nlpkit ARGS`` with ``site`` and the example's src on PYTHONPATH."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NLPKIT_") and k != "PYTHONWARNINGS"}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), str(SENTENCES_SRC)])
    environ["PYTHONIOENCODING"] = "utf-8"
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nlpkit", *args],
        cwd=site.parent, env=environ, capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
    )


def plugin_rows(site: Path, env: dict[str, str] | None = None) -> dict[str, dict]:
    """``nlpkit plugins --json``, by plugin name."""
    result = run_nlpkit(site, "plugins", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)["plugins"]}


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


# -- discovery -------------------------------------------------------------------------


def test_plugins_json_shows_the_distribution_version_and_component(site: Path) -> None:
    result = run_nlpkit(site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    rows = {row["name"]: row for row in report["plugins"]}
    assert rows["sentences"] == {
        "name": "sentences",
        "distribution": "nlpkit-sentences",
        "version": "0.1.0",
        "module": "nlpkit_sentences",
        "components": {"tokenizers": ["sentence (sentences)"], "models": ["bag-of-embeddings"],
                       "pipelines": ["example-surnames"]},
        "error": None,
    }
    assert set(BUILTINS) <= set(rows)
    assert report["problems"] == []


def test_plugins_table_shows_the_third_party_plugin(site: Path) -> None:
    result = run_nlpkit(site, "plugins")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("sentences "))
    assert line.split()[:3] == ["sentences", "nlpkit-sentences", "0.1.0"]
    assert line.endswith("tokenizers: sentence (sentences); models: bag-of-embeddings; pipelines: example-surnames")


def test_tokenize_with_the_third_party_tokenizer(site: Path) -> None:
    text = "我来到北京。你呢？Fine, thanks.  Bye!"
    result = run_nlpkit(site, "tokenize", "--tokenizer", "sentence", "--format", "json", text)
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)["tokens"]
    assert tokens == [
        {"text": "我来到北京。", "start": 0, "end": 6},
        {"text": "你呢？", "start": 6, "end": 9},
        {"text": "Fine, thanks.", "start": 9, "end": 22},
        {"text": "Bye!", "start": 24, "end": 28},
    ]
    assert all(text[t["start"]:t["end"]] == t["text"] for t in tokens)


def test_cli_options_reach_the_third_party_tokenizer_typed(site: Path) -> None:
    """``-O`` strings become the types of the plugin's __init__ annotations (here a tuple)."""
    args = ["tokenize", "-t", "sentences", "-f", "json", "-O", "terminators=.", "-O", "abbreviations=Fig,Dr"]
    result = run_nlpkit(site, *args, "See Fig. 3 now. Dr. Who? Mr. X.")
    assert result.returncode == 0, result.stderr
    texts = [t["text"] for t in json.loads(result.stdout)["tokens"]]
    assert texts == ["See Fig. 3 now.", "Dr. Who? Mr.", "X."]


# -- broken plugins never break the CLI ------------------------------------------------

BROKEN = {
    "import-error": ("broken", "nlpkit-broken", "0.2.0", BROKEN_IMPORT, "ImportError: nlpkit-broken needs libbroken"),
    "hook-error": ("badhook", "nlpkit-badhook", "0.3.0", BROKEN_HOOK, "RuntimeError: the hook exploded"),
}


@pytest.fixture(params=sorted(BROKEN))
def broken(request: pytest.FixtureRequest, site: Path) -> tuple[str, str, str]:
    """A site that also holds one broken plugin; yields (plugin, distribution, error)."""
    plugin, dist, version, source, error = BROKEN[request.param]
    module = dist.replace("-", "_")
    install_fake(site, dist, version, {plugin: module}, {module: source})
    return plugin, dist, error


def test_a_broken_plugin_is_one_warning_and_the_rest_works(site: Path, broken: tuple[str, str, str]) -> None:
    plugin, dist, error = broken
    result = run_nlpkit(site, "tokenize", "-t", "char", "x")
    assert (result.returncode, result.stdout) == (0, "x\n"), result.stderr
    assert "Traceback" not in result.stderr
    [warning] = warnings_in(result.stderr)
    assert f"'{plugin}'" in warning and dist in warning and error in warning


def test_a_broken_plugin_is_listed_as_failed(site: Path, broken: tuple[str, str, str]) -> None:
    plugin, dist, error = broken
    rows = plugin_rows(site)
    assert rows[plugin]["distribution"] == dist
    assert error in rows[plugin]["error"]
    assert rows["sentences"]["error"] is None and rows["char"]["error"] is None
    table = run_nlpkit(site, "plugins").stdout
    line = next(line for line in table.splitlines() if line.startswith(plugin))
    assert "FAILED: " in line and error in line


def test_a_lazy_component_whose_module_is_missing_is_listed_as_failed(site: Path) -> None:
    """Registered by import path, it is not imported to be listed, but its module is looked
    for: nlpkit plugins says FAILED now, not only when the component is first used."""
    install_fake(site, "nlpkit-gone", "0.1.0", {"gone": "nlpkit_gone"}, {"nlpkit_gone": LAZY_GONE})
    rows = plugin_rows(site)
    assert ("tokenizer 'gone' (nlpkit_gone_module:Thing) failed to load: ModuleNotFoundError: "
            "No module named 'nlpkit_gone_module'") in rows["gone"]["error"]
    assert rows["char"]["error"] is None and rows["sentences"]["error"] is None
    result = run_nlpkit(site, "tokenize", "-t", "gone", "x")
    assert result.returncode == 1 and "No module named 'nlpkit_gone_module'" in result.stderr


# -- duplicate names -------------------------------------------------------------------


@pytest.fixture
def dupe_site(site: Path) -> Path:
    """A site that also holds nlpkit-dupe, whose plugin registers a second 'char' tokenizer."""
    install_fake(site, "nlpkit-dupe", "1.0", {"dupe": "nlpkit_dupe"}, {"nlpkit_dupe": DUPLICATE_CHAR})
    return site


def test_a_duplicate_tokenizer_name_is_an_error_naming_both_plugins(dupe_site: Path) -> None:
    result = run_nlpkit(dupe_site, "tokenize", "-t", "char", "x")
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: Two plugins register a tokenizer named 'char': ")
    assert "'char' (nlpkit)" in line and "'dupe' (nlpkit-dupe)" in line
    assert line.endswith("NLPKIT_DISABLE_PLUGINS=dupe.")  # never advises switching off a built-in
    other = run_nlpkit(dupe_site, "tokenize", "-t", "whitespace", "a b")
    assert (other.returncode, other.stdout) == (0, "a b\n")  # only the contested name is blocked


def test_disabling_the_duplicate_plugin_fixes_it(dupe_site: Path) -> None:
    problems = json.loads(run_nlpkit(dupe_site, "plugins", "--json").stdout)["problems"]
    assert len(problems) == 1 and "named 'char'" in problems[0]
    result = run_nlpkit(dupe_site, "tokenize", "-t", "char", "ab", env={"NLPKIT_DISABLE_PLUGINS": "nlpkit-dupe"})
    assert (result.returncode, result.stdout, result.stderr) == (0, "a b\n", "")


# -- NLPKIT_LOAD_PLUGINS / NLPKIT_DISABLE_PLUGINS ----------------------------------------


@pytest.mark.parametrize(
    ("env", "loaded"),
    [
        ({"NLPKIT_LOAD_PLUGINS": "char,regex"}, ["char", "regex"]),
        ({"NLPKIT_LOAD_PLUGINS": " sentences "}, ["sentences"]),
        ({"NLPKIT_DISABLE_PLUGINS": "jieba,spacy"}, sorted([*builtins_but("jieba", "spacy"), "sentences"])),
        ({"NLPKIT_DISABLE_PLUGINS": "nlpkit_sentences"}, BUILTINS),  # a distribution name, any spelling
        ({"NLPKIT_DISABLE_PLUGINS": "nlpkit"}, ["sentences"]),  # every built-in comes from 'nlpkit'
        ({"NLPKIT_LOAD_PLUGINS": "char,sentences", "NLPKIT_DISABLE_PLUGINS": "sentences"}, ["char"]),
    ],
)
def test_env_vars_choose_the_plugins(site: Path, env: dict[str, str], loaded: list[str]) -> None:
    assert sorted(plugin_rows(site, env)) == loaded


def test_a_disabled_plugins_tokenizer_is_unknown(site: Path) -> None:
    result = run_nlpkit(site, "tokenize", "-t", "jieba", "我来到北京", env={"NLPKIT_DISABLE_PLUGINS": "jieba"})
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: Unknown tokenizer 'jieba'.")
    assert "Installed tokenizers: char, pipeline, regex, sentence, spacy, whitespace." in line
    assert "Run 'nlpkit plugins'" in line


def test_a_misspelt_plugin_in_the_env_var_is_a_warning(site: Path) -> None:
    result = run_nlpkit(site, "tokenize", "-t", "char", "x", env={"NLPKIT_LOAD_PLUGINS": "char,sentence"})
    assert (result.returncode, result.stdout) == (0, "x\n"), result.stderr
    assert warnings_in(result.stderr) == [
        "Warning: NLPKIT_LOAD_PLUGINS names 'sentence', but no such nlpkit plugin is installed"
    ]


# -- pretrained pipelines --------------------------------------------------------------


def test_an_installed_package_ships_a_pipeline_by_name(site: Path) -> None:
    """nlpkit-sentences registers example-surnames from its package data: listed by
    ``nlpkit models`` under its distribution, and loaded by name."""
    listed = run_nlpkit(site, "models", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = [p for p in json.loads(listed.stdout)["pipelines"] if p["name"] == "example-surnames"]
    assert (entry["plugin"], entry["distribution"], entry["task"]) == ("sentences", "nlpkit-sentences", "classify")
    predicted = run_nlpkit(site, "predict", "example-surnames", "Tanaka", "Rossi", "--device", "cpu")
    assert predicted.returncode == 0, predicted.stderr
    assert [line.split("\t")[0] for line in predicted.stdout.splitlines()] == ["Japanese", "Italian"]
    assert "example-surnames" in plugin_rows(site)["sentences"]["components"]["pipelines"]


def test_a_disabled_package_takes_its_pipelines_away(site: Path) -> None:
    result = run_nlpkit(site, "predict", "example-surnames", "Tanaka", env={"NLPKIT_DISABLE_PLUGINS": "sentences"})
    assert result.returncode == 2
    assert "Unknown pipeline 'example-surnames'" in result.stderr and "nlpkit models" in result.stderr


SLASH_READER = """
    from nlpkit import hookimpl
    from nlpkit.corpus import Example

    @hookimpl
    def register_corpus_formats(register):
        register("word-slash-tag", "word/TAG tokens, a sentence per line")

    @hookimpl
    def read_corpus(path, format):
        if format != "word-slash-tag":
            return None
        examples = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            pairs = [token.rsplit("/", 1) for token in line.split()]
            examples.append(Example(tokens=tuple(w for w, _ in pairs), tags={"upos": tuple(t for _, t in pairs)},
                                    source=f"{path}:{n}"))
        return examples
"""


def test_a_third_party_corpus_format_is_listed_and_evaluate_reads_it(site: Path) -> None:
    """A reader plugin registers its format: ``nlpkit plugins`` lists it and ``evaluate
    --format`` accepts it (the built-in list alone would refuse it), with the real reader."""
    install_fake(site, "nlpkit-slash", "1.0", {"slash": "nlpkit_slash"}, {"nlpkit_slash": SLASH_READER})
    assert plugin_rows(site)["slash"]["components"] == {"formats": ["word-slash-tag"]}
    corpus = site.parent / "dev.txt"
    corpus.write_text("The/DET dog/NOUN barks/VERB ./PUNCT\nShe/PRON sings/VERB ./PUNCT\n", encoding="utf-8")
    result = run_nlpkit(site, "evaluate", "en-pos-hmm", str(corpus), "--format", "word-slash-tag", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] > 0.7
    unknown = run_nlpkit(site, "evaluate", "en-pos-hmm", str(corpus), "--format", "word-slash")
    assert unknown.returncode != 0
    assert "Unknown corpus format 'word-slash'. Did you mean 'word-slash-tag'?" in unknown.stderr
    assert "conllu" in unknown.stderr
