"""The core sits below every plugin: ``nlpkit`` never imports ``nlpkit_corpora``, and no
built-in plugin imports another (each uses only what a third party has: ``nlpkit``).

``nlpkit_corpora`` (corpora/) uses the core's public API and plugs in through
the ``nlpkit`` entry-point group like a third-party package; the core reaches it
only through hooks. A direct import, a lazy one, or an import path in a string
(the CLI's lazy ``COMMANDS`` table) would bring the cycle back, so the source is
searched for the name, and the core is run with the package made unimportable.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "nlpkit"
PLUGINS = CORE.parent / "plugins"


def _imported(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports, lazy ones too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_plugin_imports_another() -> None:
    plugins = {folder.name for folder in PLUGINS.iterdir() if (folder / "__init__.py").is_file()}
    assert {"nlpkit_vocab", "nlpkit_word2vec", "nlpkit_crf", "nlpkit_rnn"} <= plugins
    offenders = [f"{path.relative_to(PLUGINS)} imports {other}"
                 for plugin in sorted(plugins)
                 for path in sorted((PLUGINS / plugin).rglob("*.py"))
                 for other in sorted(_imported(path) & (plugins - {plugin}))]
    assert not offenders, f"plugins import only nlpkit, never each other (move what they share to the core): {offenders}"


def test_no_core_module_names_nlpkit_corpora() -> None:
    offenders = [f"{path.relative_to(CORE.parent)}:{number}"
                 for path in sorted(CORE.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "nlpkit_corpora" in line]
    assert not offenders, f"the core must not import nlpkit_corpora (use a hook): {offenders}"


#: Run with ``nlpkit_corpora`` unimportable: its entry point fails to load (a warning) and the core carries on.
BLOCKED = """
import sys, warnings
from pathlib import Path
sys.modules["nlpkit_corpora"] = None
warnings.simplefilter("ignore")
from click.testing import CliRunner
from nlpkit.cli import cli
from nlpkit.config import resolve_corpus_path
from nlpkit.errors import UsageError
from nlpkit.plugins import plugin_infos

print(next(i.error for i in plugin_infos() if i.name == "corpora"))
print(resolve_corpus_path("x.txt", Path("/base")))
print(Path(resolve_corpus_path("package:jieba/dict.txt", Path("."))).name)
try:
    resolve_corpus_path("corpus:sst2/dev", Path("."))
except UsageError as exc:
    print(exc)
help = CliRunner().invoke(cli, ["--help"])
print(help.exit_code, "  corpus " in help.stdout, "  tokenize " in help.stdout)
print(CliRunner().invoke(cli, ["tokenize", "-t", "whitespace", "a b"]).stdout.strip())
"""


def test_the_core_works_without_nlpkit_corpora() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, check=True)
    error, plain, package, corpus, help_line, tokens = result.stdout.splitlines()
    assert "nlpkit_corpora" in error  # the plugin failed to load, and said why
    assert plain == str(Path("/base/x.txt").resolve())
    assert package == "dict.txt"
    assert corpus.startswith("No plugin resolves 'corpus:sst2/dev'") and "'corpora' plugin" in corpus
    assert help_line == "0 False True"
    assert tokens == "a b"
