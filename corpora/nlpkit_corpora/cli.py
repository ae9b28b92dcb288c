"""``nlpkit corpus``: list, describe, verify and download the corpora in the manifest.

A thin layer over this package; every check and download rule lives in
:mod:`nlpkit_corpora.locate` and :mod:`nlpkit_corpora.fetch`, so scripts get the
same behaviour from Python. The ``corpora`` plugin (:mod:`nlpkit_corpora.plugin`)
adds the group to the ``nlpkit`` command line. The package's modules are imported
inside each command, so ``nlpkit --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nlpkit.errors import InputError

if TYPE_CHECKING:
    from .locate import FileCheck
    from .manifest import Manifest

_DIR_HELP = "Corpora folder holding one folder per corpus (default: the search path, see 'nlpkit corpus list')."


@click.group()
@click.option("--manifest", "manifest_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Use this manifest instead of the one bundled with nlpkit.")
@click.pass_context
def corpus(ctx: click.Context, manifest_path: Path | None) -> None:
    """Known public corpora: list them, show details, verify checksums, download.

    Corpora are looked up in $NLPKIT_CORPORA if set, else ../shared/corpora (from the current
    directory and beside the nlpkit checkout) and the download cache. Held-out test files are
    not in the shared development copy; 'download' fetches them with the rest.

    \b
    Examples:
      nlpkit corpus list
      nlpkit corpus info conll2003
      nlpkit corpus verify conll2003 wnut17
      nlpkit corpus download conll2003        # train, dev and the held-out test
      nlpkit corpus download sst2 --dir ~/corpora
    """
    ctx.obj = manifest_path


def _manifest(ctx: click.Context) -> Manifest:
    """The manifest named by ``--manifest``, or the bundled one."""
    from .manifest import load_manifest

    return load_manifest(ctx.obj)


@corpus.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the corpora: task, language, format, splits, size, and whether they are here."""
    from .locate import check_corpus, search_roots

    manifest, roots = _manifest(ctx), search_roots()
    rows = []
    for c in manifest.corpora.values():
        checks = check_corpus(c, roots, hash_files=False)
        rows.append({**c.to_dict(), "status": _status(checks), "location": _location(checks)})
    if as_json:
        click.echo(json.dumps({"search_path": [str(r) for r in roots], "corpora": rows}, indent=2, ensure_ascii=False))
        return
    _table(rows)
    click.echo(f"\nSearch path: {', '.join(str(r) for r in roots)}")


def _status(checks: list[FileCheck]) -> str:
    """``present``, ``missing`` or ``partial (k/n)`` by the files that are not held out, since the
    shared development copy never has those; held-out files not in order are named in brackets,
    e.g. ``present (test not downloaded)``. A corpus of held-out files only is judged on them."""
    core = [c for c in checks if not c.file.held_out]
    counted = core or checks
    ok = sum(c.ok for c in counted)
    if ok == 0:
        return "missing"
    notes = [] if ok == len(counted) else [f"{ok}/{len(counted)}"]
    if core:
        notes += _held_out_notes([c for c in checks if c.file.held_out])
    return ("present" if ok == len(counted) else "partial") + (f" ({'; '.join(notes)})" if notes else "")


def _held_out_notes(held: list[FileCheck]) -> list[str]:
    """``test not downloaded``, ``test.txt damaged``: the held-out files that are not in order."""
    absent = [_held_out_label(c, held) for c in held if c.not_downloaded]
    damaged = [_held_out_label(c, held) for c in held if not c.ok and not c.not_downloaded]
    return ([f"{', '.join(absent)} not downloaded"] if absent else []) + [f"{d} damaged" for d in damaged]


def _held_out_label(check: FileCheck, held: list[FileCheck]) -> str:
    """The file's split (``test``), or its path when several held-out files share that split."""
    alone = sum(h.file.split == check.file.split for h in held) == 1
    return check.file.split if alone else check.file.path


def _location(checks: list[FileCheck]) -> str | None:
    """The corpus folder of the first file found, or None."""
    found = [c.path for c in checks if c.ok]
    return str(found[0].parent) if found else None


def _table(rows: list[dict]) -> None:
    header = ("NAME", "TASK", "LANG", "FORMAT", "SPLITS", "SIZE", "STATUS")
    lines = [header] + [
        (r["name"], r["task"], r["language"], r["format"], ",".join(dict.fromkeys(f["split"] for f in r["files"])),
         _size(r["size"]), r["status"])
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


@corpus.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def info(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show everything the manifest says about corpus NAME, and where its files are."""
    from .locate import check_corpus

    c = _manifest(ctx).get(name)
    checks = check_corpus(c, hash_files=False)
    if as_json:
        data = {**c.to_dict(), "status": _status(checks), "location": _location(checks)}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key in ("description", "task", "language", "format", "tag_scheme", "licence", "citation", "homepage", "source", "notes"):
        if getattr(c, key):
            click.echo(f"{key + ':':<12} {getattr(c, key)}")
    click.echo(f"{'status:':<12} {_status(checks)}" + (f" in {_location(checks)}" if _location(checks) else ""))
    click.echo("files:")
    for check in checks:
        f = check.file
        click.echo(f"  {f.path:<24} {f.split:<6} {_size(f.size):>8}  {_file_state(check)}  {f.description}")
        click.echo(f"    {f.url}" + (f"  (transform: {f.transform['kind']})" if f.transform else ""))
    if c.held_out_files:
        click.echo(f"[held out]: kept out of the shared development corpora for final scoring; "
                   f"'nlpkit corpus download {c.name}' fetches {'it' if len(c.held_out_files) == 1 else 'them'}.")
    for h in c.held_out:  # splits the manifest has no URL for
        click.echo(f"not downloadable: {h.path} ({h.split}) {h.note}".rstrip())


def _file_state(check: FileCheck) -> str:
    """``present``, ``missing``, ``not downloaded [held out]``, ``wrong-size``...; plus the file's own format."""
    f = check.file
    state = "present" if check.ok else "not downloaded" if check.not_downloaded else check.status
    return state + (" [held out]" if f.held_out else "") + (f" [{f.format}]" if f.format else "")


@corpus.command()
@click.argument("names", nargs=-1)
@click.option("--dir", "root", metavar="DIR", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
@click.pass_context
def verify(ctx: click.Context, names: tuple[str, ...], root: Path | None) -> None:
    """Check the size and sha256 of every file of the NAMEd corpora (default: all found).

    Prints one line per file and exits non-zero if a file is missing or differs.
    A held-out test file that was never downloaded is reported, not failed (the
    shared development copy has none); one that is there but differs fails.
    Without NAMEs, corpora with no file present are skipped.
    """
    from .locate import check_corpus, search_roots

    manifest = _manifest(ctx)
    roots = [root] if root is not None else search_roots()
    corpora = [manifest.get(n) for n in names] or list(manifest.corpora.values())
    checks = []
    for c in corpora:
        found = check_corpus(c, roots)
        if not names and not any(f.status != "missing" for f in found):
            continue
        checks += found
        for check in found:
            click.echo(_verify_line(check))
    _verify_summary(checks, roots, root)


def _verify_line(check: FileCheck) -> str:
    """``ok``, ``skipped`` (a held-out file not downloaded) or the failure in capitals, with the reason."""
    label = f"{check.corpus}/{check.file.path}"
    if check.ok:
        return f"ok       {label}"
    if check.not_downloaded:
        return f"skipped  {label}: {check.describe()}"
    return f"{check.status.upper():<8} {label}: {check.describe()}"


def _verify_summary(checks: list[FileCheck], roots: list[Path], root: Path | None) -> None:
    """Say how it went; any failure raises, so the exit status is non-zero."""
    where = ", ".join(str(r) for r in roots)
    if not checks:
        raise InputError(
            f"No corpus files found in {where}. Run 'nlpkit corpus download NAME', or set NLPKIT_CORPORA "
            "(or pass --dir) to a folder that holds the corpora."
        )
    option = f" --dir {root}" if root else ""
    checked = [c for c in checks if not c.not_downloaded]
    absent = _absent_note([c for c in checks if c.not_downloaded], option)
    bad = [c for c in checked if not c.ok]
    if not bad:
        click.echo((f"All {len(checked)} files ok." if checked else "No file to check.") + absent, err=True)
        return
    missing = sum(c.status == "missing" for c in bad)
    failed = sorted({c.corpus for c in bad})
    raise InputError(
        f"{len(bad)} of {len(checked)} corpus files failed verification ({missing} missing, "
        f"{len(bad) - missing} damaged) in {where}. Fetch good copies with "
        f"'nlpkit corpus download {' '.join(failed)}{option}'.{absent}"
    )


def _absent_note(absent: list[FileCheck], option: str) -> str:
    """`` N held-out files not downloaded (...)``: said, not failed, since the development copy lacks them."""
    if not absent:
        return ""
    names = " ".join(dict.fromkeys(c.corpus for c in absent))
    count, them = (f"{len(absent)} held-out file", "it") if len(absent) == 1 else (f"{len(absent)} held-out files", "them")
    return f" {count} not downloaded ('nlpkit corpus download {names}{option}' fetches {them})."


@corpus.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--dir", "root", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Download into DIR/NAME/ [default: $NLPKIT_CORPORA, else the nlpkit cache].")
@click.option("--force", is_flag=True, help="Download again even if the files are present and valid.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr [default: on a terminal].")
@click.pass_context
def download(ctx: click.Context, names: tuple[str, ...], root: Path | None, force: bool, progress: bool | None) -> None:
    """Download corpus NAME (one or more) from the URLs in the manifest, checking sha256.

    Every file is fetched, held-out test files included. Each goes to a temporary
    file first and is renamed into place only when its size and sha256 match, so
    a failed download never leaves a bad file.
    """
    from .fetch import download as fetch
    from .locate import download_root, search_roots

    manifest = _manifest(ctx)
    corpora = [manifest.get(n) for n in names]  # every name checked before any download starts
    dest = root if root is not None else download_root()
    show = progress if progress is not None else sys.stderr.isatty()
    for c in corpora:
        for item in fetch(c.name, dest, manifest=manifest, force=force, progress=show):
            held = " [held out]" if item.file.held_out else ""
            click.echo(f"{item.action:<10} {c.name}/{item.file.path} ({_size(item.file.size)}){held}")
        count = len(c.files)
        click.echo(f"{c.name}: {count} file{'s' if count != 1 else ''} in {dest / c.name}", err=True)
    if dest.resolve() not in [r.resolve() for r in search_roots()]:
        click.echo(f"Note: nlpkit does not look in {dest}; set NLPKIT_CORPORA={dest} to use these files.", err=True)


def _size(n: int) -> str:
    """Bytes in decimal units: 423 B, 827.4 kB, 3.3 MB."""
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("kB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"
