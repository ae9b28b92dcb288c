"""Every hook nlpkit defines has a docstring and a section in docs/plugins.md.

After datasette's ``test_plugin_hooks_are_documented``: a hook added to
nlpkit/hookspecs.py without documentation, or renamed while the docs keep the old
name, fails here.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pluggy
import pytest

from nlpkit import hookspecs
from nlpkit.plugins import ENTRY_POINT_GROUP

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
#: pluggy's HookspecMarker("nlpkit") sets this attribute on every hookspec function.
SPEC_MARKER = f"{ENTRY_POINT_GROUP}_spec"


def hookspec_functions() -> dict[str, Callable[..., object]]:
    """The functions in nlpkit.hookspecs marked as hookspecs, by name."""
    return {name: fn for name, fn in vars(hookspecs).items() if callable(fn) and hasattr(fn, SPEC_MARKER)}


def hook_callers() -> dict[str, pluggy.HookCaller]:
    """The hooks pluggy itself finds in nlpkit.hookspecs, by name."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    return {name: caller for name, caller in vars(pm.hook).items() if isinstance(caller, pluggy.HookCaller)}


def doc_sections(markdown: str) -> dict[str, str]:
    """Map each ``#``-heading (outside code fences) to the text up to the next heading."""
    sections: dict[str, str] = {}
    heading, body, fenced = "", [], False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,6} ", line):
            sections[heading] = "\n".join(body)
            heading, body = line, []
        else:
            body.append(line)
    sections[heading] = "\n".join(body)
    return sections


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    return doc_sections(DOCS.read_text(encoding="utf-8"))


HOOKS = sorted(hookspec_functions())


def test_the_marker_finds_the_same_hooks_as_pluggy() -> None:
    assert "register_tokenizers" in HOOKS  # the marker attribute is still the one pluggy sets
    assert HOOKS == sorted(hook_callers())


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring_naming_its_arguments(hook: str) -> None:
    doc = inspect.getdoc(hookspec_functions()[hook])
    assert doc, f"hookspec {hook} in nlpkit/hookspecs.py has no docstring"
    for arg in hook_callers()[hook].spec.argnames:
        assert arg in doc, f"the docstring of hookspec {hook} does not mention its argument '{arg}'"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str, sections: dict[str, str]) -> None:
    heading = f"### {hook}"
    assert heading in sections, f"docs/plugins.md has no '{heading}' section"
    spec = hook_callers()[hook].spec
    signature = f"{hook}({', '.join(spec.argnames)})"
    assert signature in sections[heading], f"the '{heading}' section does not show `{signature}`"
    if spec.opts.get("firstresult"):
        assert "firstresult" in sections[heading], f"the '{heading}' section does not say it is firstresult"


def test_every_documented_hook_exists(sections: dict[str, str]) -> None:
    """A hook renamed or removed in hookspecs.py must leave the docs too."""
    start = list(sections).index("## Hooks")
    documented = []
    for heading in list(sections)[start + 1:]:
        if heading.startswith("## "):
            break
        if re.fullmatch(r"### [a-z_]+", heading):
            documented.append(heading[4:])
    assert documented, "docs/plugins.md has no '### <hook>' sections under '## Hooks'"
    stale = sorted(set(documented) - set(HOOKS))
    assert not stale, f"docs/plugins.md documents hooks that nlpkit.hookspecs does not define: {stale}"
