"""Named pretrained pipelines: registered by plugins, found by name wherever a pipeline
directory is accepted.

A plugin ships trained pipeline directories as package data and registers each one::

    from importlib.resources import files
    from nlpkit import hookimpl

    @hookimpl
    def register_pipelines(register):
        register("zh-cws", files(__package__) / "zh-cws", task="segment", language="zh",
                 description="Chinese word segmentation (CTB6)", scores={"ctb6 dev f1": 0.966},
                 data="ctb6 train", licence="LDC, research use")

``nlpkit.load("zh-cws")``, ``nlpkit predict zh-cws``, ``nlpkit tokenize -t zh-cws`` and a
config's ``[tokenizer] name = "zh-cws"`` then find it. A path (anything with a slash, or
an existing directory) is always a path; any other string is looked up here, with
"did you mean" when nothing matches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, NlpkitError, UnknownComponentError, UsageError, did_you_mean
from .plugins import (
    PluginInfo,
    PluginLoadWarning,
    describe,
    on_change,
    plugin_infos,
    plugin_manager,
    record_error,
)

#: The file of a pretrained pipeline's directory that holds its card.
CARD_FILE = "card.json"
#: The registration fields a card supplies (the rest of a card is shown, not registered),
#: and those every card must have.
CARD_FIELDS = ("name", "aliases", "task", "language", "description", "scores", "data", "licence")
REQUIRED = ("name", "task", "language", "description")


@dataclass(frozen=True)
class PretrainedPipeline:
    """A named pipeline a plugin ships: where its files are and what it is."""

    name: str
    path: Path
    task: str
    language: str
    description: str
    aliases: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    data: str = ""
    licence: str = ""
    plugin: str = ""
    distribution: str | None = None
    version: str | None = None

    def size(self) -> int:
        """Bytes on disk of every file in the pipeline directory."""
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def card(self) -> dict[str, Any]:
        """The registration facts, joined with the directory's ``card.json`` when it has one
        (the config, the training data's checksums, the commit, timings, hardware)."""
        facts = {k: v for k, v in vars(self).items() if k != "path"}
        facts["aliases"], facts["scores"] = list(self.aliases), dict(self.scores)
        card_file = self.path / CARD_FILE
        extra = _read_json(card_file) if card_file.is_file() else {}
        return {**extra, **facts, "path": str(self.path)}


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """The registration fields of the pipeline directory ``path``'s ``card.json`` and the
    path itself, ready for ``register(**read_card(folder))``: one home for a shipped
    pipeline's facts, written when it was built."""
    folder = Path(str(path))
    card = _read_json(folder / CARD_FILE)
    missing = [k for k in REQUIRED if k not in card]
    if missing:
        raise InputError(f"the card lacks {', '.join(missing)}", str(folder / CARD_FILE))
    return {"path": folder, **{k: card[k] for k in CARD_FIELDS if k in card}}


def package(source: str | os.PathLike, target: str | os.PathLike, card: Mapping[str, Any]) -> Path:
    """Ship the pipeline in ``source`` (a directory ``Pipeline.to_disk`` wrote, or a training
    run holding ``model/``) as ``target``: a copy with ``card`` as its ``card.json`` and the
    sha256 of every file recorded, replacing an old ``target`` only when complete. ``card``
    needs the registration fields ``name``, ``task``, ``language`` and ``description``."""
    import shutil

    from .integrity import seal
    from .io import atomic_dir
    from .pipeline import pipeline_root

    missing = [k for k in REQUIRED if k not in card]
    if missing:
        raise UsageError(f"A pipeline card needs {', '.join(missing)}.")
    root = pipeline_root(Path(source))
    with atomic_dir(target) as tmp:
        shutil.copytree(root, tmp, dirs_exist_ok=True)
        _name_corpora_portably(tmp / "meta.json")
        (tmp / CARD_FILE).write_text(json.dumps(dict(card), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        seal(tmp)
    return Path(target)


def _name_corpora_portably(meta_file: Path) -> None:
    """Name the training corpora in ``meta.json`` as ``corpus:NAME/FILE`` (or ``sample:NAME``,
    or the file name) rather than by where they lay on the machine that trained it; the
    plugin that knows the data names it (the ``portable_data_name`` hook)."""
    from .references import portable_name

    if not meta_file.is_file():
        return
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    given = meta.get("config", {}).get("corpus", {})
    for split in ("train", "dev", "test"):
        if isinstance(given.get(split), str):
            given[split] = portable_name(given[split])
    for record in meta.get("corpus", {}).values():
        if isinstance(record, dict) and isinstance(record.get("path"), str):
            record["path"] = portable_name(record["path"])
    meta_file.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


class Catalog:
    """The registered pretrained pipelines, by name and alias; a name two plugins claim
    stays with the first and is reported naming both."""

    def __init__(self) -> None:
        self._by_name: dict[str, PretrainedPipeline] = {}
        self._keys: dict[str, str] = {}
        self.problems: list[str] = []

    def add(self, item: PretrainedPipeline) -> None:
        taken = [k for k in (item.name, *item.aliases) if k in self._keys]
        if taken:
            first = self._by_name[self._keys[taken[0]]]
            self.problems.append(
                f"Two plugins register a pipeline named '{taken[0]}': '{first.plugin}' ({first.distribution}) "
                f"and '{item.plugin}' ({item.distribution}); the second is ignored. Uninstall one, or disable it "
                f"with NLPKIT_DISABLE_PLUGINS={item.plugin}.")
            return
        self._by_name[item.name] = item
        self._keys.update(dict.fromkeys((item.name, *item.aliases), item.name))

    def get(self, name: str) -> PretrainedPipeline:
        """The pipeline registered under a name or alias; unknown names get "did you mean"."""
        try:
            return self._by_name[self._keys[name]]
        except KeyError:
            raise UnknownPipelineError("pipelines", name, self._by_name, self._keys) from None

    def __contains__(self, name: object) -> bool:
        return name in self._keys

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._by_name.values(), key=lambda p: p.name))

    def __len__(self) -> int:
        return len(self._by_name)


class UnknownPipelineError(UnknownComponentError):
    """A string that is neither an installed pretrained pipeline's name nor a directory."""

    def _message(self) -> str:
        hint = did_you_mean(self.name, sorted({*self.known, *self.aliases}))
        return (f"Unknown pipeline '{self.name}'.{hint} Installed pipelines: {', '.join(self.known) or 'none'}. "
                f"'{self.name}' is no directory either (a folder is given as a path: ./{self.name}). "
                "Run 'nlpkit models' to list the pretrained pipelines.")


_catalog: Catalog | None = None


def catalog() -> Catalog:
    """Every pretrained pipeline the installed plugins register, collected on first use."""
    global _catalog
    if _catalog is None:
        _catalog = _collect()
    return _catalog


def _forget() -> None:
    global _catalog
    _catalog = None


on_change(_forget)


def is_path(spec: str | os.PathLike) -> bool:
    """Whether ``spec`` names a directory rather than a pipeline: a ``Path``, anything with
    a slash (or the platform's separator), ``~``, ``.``, or an existing directory."""
    if not isinstance(spec, str):
        return True
    seps = {"/", os.sep, *(os.altsep or "")}
    return any(s in spec for s in seps) or spec.startswith((".", "~")) or Path(spec).is_dir()


def is_pipeline_name(spec: str | os.PathLike) -> bool:
    """Whether ``spec`` is the name or alias of an installed pretrained pipeline (not a path)."""
    return not is_path(spec) and spec in catalog()


def locate(spec: str | os.PathLike) -> Path:
    """The directory ``spec`` stands for: a path as given, or a pretrained pipeline's files."""
    if is_path(spec):
        return Path(spec).expanduser()
    item = catalog().get(str(spec))
    if not item.path.is_dir():
        raise NlpkitError(
            f"Pipeline '{item.name}' from plugin {describe(_info(item))} has no files at {item.path}; "
            f"reinstall it: pip install --force-reinstall {item.distribution or item.plugin}")
    return item.path


def _collect() -> Catalog:
    found = Catalog()
    infos = {info.name: info for info in plugin_infos()}
    for impl in plugin_manager().hook.register_pipelines.get_hookimpls():
        info = infos.get(impl.plugin_name, PluginInfo(impl.plugin_name, None, None, "?"))
        for item in _pipelines_of(impl, info):
            found.add(item)
    return found


def _pipelines_of(impl, info: PluginInfo) -> list[PretrainedPipeline]:  # type: ignore[no-untyped-def]
    """Run one plugin's ``register_pipelines``; a plugin whose hook fails is skipped with a warning."""
    import warnings

    found: list[PretrainedPipeline] = []

    def register(name: str, path: Any, *, task: str, language: str, description: str,
                 aliases: tuple[str, ...] | list[str] = (), scores: Mapping[str, float] | None = None,
                 data: str = "", licence: str = "") -> None:
        from .registry import check_names

        check_names("pipelines", name, (name, *aliases))
        found.append(PretrainedPipeline(
            name, Path(str(path)), task, language, description, tuple(aliases), dict(scores or {}),
            data, licence, info.name, info.distribution, info.version))

    try:
        impl.function(**dict.fromkeys(impl.argnames, register))
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
        error = f"register_pipelines failed: {type(exc).__name__}: {exc}"
        record_error(info.name, error)
        warnings.warn(f"nlpkit skipped the pipelines of plugin {describe(info)}: {error}", PluginLoadWarning,
                      stacklevel=2)
        return []
    return found


def _info(item: PretrainedPipeline) -> PluginInfo:
    return PluginInfo(item.plugin, item.distribution, item.version, "?")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("missing: a pretrained pipeline's directory needs its card", str(path)) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", str(path)) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a card is a JSON object, not {type(data).__name__}")
    return data
