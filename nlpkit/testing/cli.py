"""Helpers for testing what users see on the command line: run ``nlpkit`` in-process,
train from a config, and check that an error is one clear line."""

from __future__ import annotations

from typing import Any


def invoke(*args: object, input: str | None = None) -> Any:
    """Run ``nlpkit ARGS...`` in-process through click's CliRunner; returns its Result."""
    from click.testing import CliRunner

    from ..cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def train_config(folder: Any, config: str, *args: object) -> Any:
    """Write ``config`` (TOML) to ``FOLDER/config.toml``, run ``nlpkit train`` on it into
    ``FOLDER/run`` on the CPU (plus ``args``), assert it succeeded, and return the run folder."""
    from pathlib import Path

    folder = Path(folder)
    (folder / "config.toml").write_text(config, encoding="utf-8")
    result = invoke("train", folder / "config.toml", "-o", folder / "run", "--device", "cpu", *args)
    assert result.exit_code == 0, result.output
    return folder / "run"


def assert_cli_error(result: Any, exit_code: int, *fragments: str) -> str:
    """Check a CLI failure the way users see it: the exit code, exactly one ``Error:`` line
    on stderr holding every fragment, and no traceback. Returns that line."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]
