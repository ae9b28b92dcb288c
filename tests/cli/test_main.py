"""The command group: version, help, python -m, and start-up without heavy imports."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import nlpkit
from nlpkit.cli import cli


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.stdout == f"nlpkit, version {nlpkit.__version__}\n"


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("tokenize", "plugins", "corpus"):
        assert f"  {command}" in result.stdout


def test_python_dash_m_and_help_import_neither_torch_nor_spacy():
    code = (
        "import sys, runpy; sys.argv = ['nlpkit', '--help']\n"
        "try:\n    runpy.run_module('nlpkit', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in ('torch', 'spacy', 'jieba', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: nlpkit" in result.stdout
    assert result.stdout.strip().endswith("[]")


def test_importing_nlpkit_has_no_side_effects():
    code = (
        "import sys, nlpkit, nlpkit.plugins as p\n"
        "print(p._manager is None, [m for m in ('torch', 'spacy', 'jieba') if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout == "True []\n"


def test_plugins_table_and_json():
    import json

    table = CliRunner().invoke(cli, ["plugins"])
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["PLUGIN", "DISTRIBUTION", "VERSION", "COMPONENTS"]
    assert any(line.startswith("jieba ") and "tokenizers: jieba (zh)" in line for line in table.stdout.splitlines())
    data = json.loads(CliRunner().invoke(cli, ["plugins", "--json"]).stdout)
    jieba = next(p for p in data["plugins"] if p["name"] == "jieba")
    assert jieba["distribution"] == "nlpkit" and jieba["version"] == nlpkit.__version__
    assert jieba["components"] == {"tokenizers": ["jieba (zh)"]}


def test_traceback_works_after_the_subcommand_too(tmp_path):
    from nlpkit.errors import InputError
    from nlpkit.testing import invoke

    plain = invoke("predict", tmp_path, "x")
    assert plain.exit_code == 1 and "Error: " in plain.stderr
    after = invoke("predict", tmp_path, "x", "--traceback")
    assert isinstance(after.exception, InputError)  # raised, not turned into one line
    before = invoke("--traceback", "predict", tmp_path, "x")
    assert isinstance(before.exception, InputError)
    assert invoke("tokenize", "-t", "whitespace", "--", "--traceback").stdout == "--traceback\n"


def test_ctrl_c_exits_130_from_any_command():
    """SIGINT while ``nlpkit tokenize`` waits on stdin: one line, exit 130, as train gives."""
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "nlpkit", "tokenize", "-i", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = Path(f"/proc/{process.pid}/wchan")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "pipe_read" not in (waiting.read_text() if waiting.exists() else ""):
        time.sleep(0.1)  # until it is started and blocked reading stdin (Linux tells; elsewhere wait it out)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted."
