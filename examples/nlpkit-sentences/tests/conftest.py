"""Let these tests run whether or not nlpkit-sentences is pip-installed.

A plugin author runs ``pip install -e .`` and then ``pytest``: the entry point
registers the plugin and the fixture below does nothing. nlpkit's own test suite
collects this folder without installing the package, so there the plugin is
registered by hand for the session, the way simonw/llm's tests register plugins.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from nlpkit.plugins import ENTRY_POINT_GROUP, register_plugin, unregister_plugin

SRC = Path(__file__).resolve().parent.parent / "src"
PLUGIN = "sentences"
MODULE = "nlpkit_sentences"


def entry_point_installed() -> bool:
    """Whether an installed distribution declares this plugin's entry point."""
    return any(ep.name == PLUGIN and ep.value == MODULE for ep in metadata.entry_points(group=ENTRY_POINT_GROUP))


@pytest.fixture(scope="session", autouse=True)
def sentences_plugin() -> Iterator[str | None]:
    """Register the plugin from ../src for the session unless it is installed.

    Yields the distribution the plugin comes from: None when registered by hand.
    """
    if entry_point_installed():
        yield "nlpkit-sentences"
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(SRC))  # worker processes inherit sys.path too
        name = register_plugin(importlib.import_module(MODULE), name=PLUGIN)
        try:
            yield None
        finally:
            unregister_plugin(name)
