"""``nlpkit models``: the pretrained pipelines the installed plugins register, and their cards."""

from __future__ import annotations

import json

import click


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List the pretrained pipelines: name, task, language, size on disk, scores, data licence.

    A name works wherever a pipeline directory does.

    \b
    Examples:
      nlpkit models
      nlpkit models info zh-cws
      nlpkit predict en-ner "EU rejects German call to boycott British lamb ."
      nlpkit tokenize -t zh-cws "上海浦东开发与法制建设同步"
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..pretrained import catalog

    found = catalog()
    rows = [{**_summary(p), "size": p.size()} for p in found]
    if as_json:
        click.echo(json.dumps({"pipelines": rows, "problems": found.problems}, indent=2, ensure_ascii=False))
    else:
        _table(rows)
    for problem in found.problems:
        click.echo(f"Problem: {problem}", err=True)


@models.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
def info(name: str, as_json: bool) -> None:
    """Print the card of pretrained pipeline NAME: what it does, its scores, the config and
    data it was trained on (with sha256), the commit, training time, hardware and licence."""
    from ..pretrained import catalog

    item = catalog().get(name)
    card = {**item.card(), "size": item.size()}
    if as_json:
        click.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    for key, value in card.items():
        click.echo(f"{key + ':':<16}{_text(key, value)}")


def _summary(p) -> dict:  # type: ignore[no-untyped-def]
    return {"name": p.name, "aliases": list(p.aliases), "task": p.task, "language": p.language,
            "description": p.description, "scores": dict(p.scores), "data": p.data, "licence": p.licence,
            "plugin": p.plugin, "distribution": p.distribution}


def _table(rows: list[dict]) -> None:
    if not rows:
        click.echo("No pretrained pipelines are installed.")
        return
    header = ("NAME", "TASK", "LANG", "SIZE", "SCORES", "DATA LICENCE")
    lines = [header] + [(r["name"], r["task"], r["language"], _size(r["size"]), _scores(r["scores"]), r["licence"])
                        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1])


def _scores(scores: dict) -> str:
    return ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in scores.items()) or "-"


def _size(n: int) -> str:
    if n < 1000:
        return f"{n} B"
    value = n / 1000
    for unit in ("kB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _text(key: str, value: object) -> str:
    if key == "size" and isinstance(value, int):
        return _size(value)
    if key == "scores" and isinstance(value, dict):
        return _scores(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + " " * 16)
    return str(value)
