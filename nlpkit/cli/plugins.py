"""``nlpkit plugins``: the installed plugins, their distributions and components."""

from __future__ import annotations

import json

import click

from ..plugins import plugin_infos
from ..registry import KINDS, check_lazy_module, registry


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """List plugins: name, distribution, version and the components they register."""
    rows, problems = _rows()
    if as_json:
        click.echo(json.dumps({"plugins": rows, "problems": problems}, indent=2, ensure_ascii=False))
        return
    _table(rows)
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)


def _rows() -> tuple[list[dict], list[str]]:
    components: dict[str, dict[str, list[str]]] = {}
    problems = []
    for kind in KINDS:
        reg = registry(kind)
        problems.extend(reg.problems)
        for e in [*reg, *reg.rejected]:
            check_lazy_module(kind, e)
            label = e.name + (f" ({', '.join(e.aliases)})" if e.aliases else "")
            components.setdefault(e.plugin, {}).setdefault(kind, []).append(label)
    from ..corpus import corpus_formats

    for name, (plugin, _) in corpus_formats().items():
        components.setdefault(plugin, {}).setdefault("formats", []).append(name)
    from ..pretrained import catalog

    pipelines = catalog()
    problems.extend(pipelines.problems)
    for p in pipelines:
        components.setdefault(p.plugin, {}).setdefault("pipelines", []).append(
            p.name + (f" ({', '.join(p.aliases)})" if p.aliases else ""))
    root = click.get_current_context().find_root().command
    for plugin, commands in getattr(root, "_add_plugin_commands", dict)().items():
        if commands:
            components.setdefault(plugin, {})["commands"] = commands
    rows = [
        {
            "name": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "module": info.module,
            "components": components.get(info.name, {}),
            "error": info.error,
        }
        for info in plugin_infos()
    ]
    return rows, problems


def _table(rows: list[dict]) -> None:
    header = ("PLUGIN", "DISTRIBUTION", "VERSION", "COMPONENTS")
    lines = [header]
    for r in rows:
        comps = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in r["components"].items())
        status = f"FAILED: {r['error']}" if r["error"] else comps or "-"
        lines.append((r["name"], r["distribution"] or "-", r["version"] or "-", status))
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line[:3], widths)) + "  " + line[3])
