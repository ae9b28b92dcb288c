"""Component registries, one per kind, filled by the plugins' ``register_*`` hooks.

Each plugin's hook gets its own ``register`` callback, so every component knows
the plugin and distribution it came from: duplicates are reported naming both,
and a saved pipeline can say which package to install.

A plugin registers a class, or lazily an import path (``register("pkg.models:GRU",
name="gru")``): the module is imported, and the class checked, only when the name
is looked up, so listing plugins or using an HMM never imports a neural model's torch.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import re
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    DuplicateComponentError,
    MissingDependencyError,
    NlpkitError,
    UnknownComponentError,
)
from .plugins import (
    PluginInfo,
    PluginLoadWarning,
    describe,
    on_change,
    plugin_infos,
    plugin_manager,
    record_error,
)

#: A config section or pipeline stage that names a component -> the kind of registry it names.
SECTION_KINDS = {"tokenizer": "tokenizers", "encoder": "encoders", "model": "models",
                 "decoder": "decoders", "trainer": "trainers"}
#: The stages a saved pipeline holds (the trainer only trains).
PIPELINE_STAGES = ("tokenizer", "encoder", "model", "decoder")
KINDS = tuple(SECTION_KINDS.values())
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Entry:
    """A registered component class and where it came from.

    A lazily registered entry has ``target`` (``"module:attribute"``) and ``cls``
    None until :meth:`Registry.entry` imports and checks it; entries returned by
    :meth:`Registry.entry` always have ``cls``.
    """

    name: str
    cls: type | None
    plugin: str
    distribution: str | None
    version: str | None
    aliases: tuple[str, ...] = field(default=())
    target: str | None = None


class Registry:
    """The components of one kind, by name and alias.

    A name two plugins claim is not given to either: looking it up raises
    :class:`DuplicateComponentError` naming both, while every other name works.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}
        self._conflicts: dict[str, str] = {}
        #: Entries left out because a name or alias of theirs was already taken.
        self.rejected: list[Entry] = []

    def add(self, entry: Entry) -> None:
        """Add a component, or record a conflict if one of its names is taken."""
        taken = [key for key in (entry.name, *entry.aliases) if key in self._aliases]
        if taken:
            first = self._entries[self._aliases[taken[0]]]
            self._conflicts[taken[0]] = self._conflict(taken[0], first, entry)
            self.rejected.append(entry)
            return
        self._entries[entry.name] = entry
        self._aliases.update(dict.fromkeys((entry.name, *entry.aliases), entry.name))

    def _conflict(self, key: str, first: Entry, second: Entry) -> str:
        outside = [e.plugin for e in (first, second) if e.distribution != "nlpkit"] or [second.plugin]
        return (
            f"Two plugins register a {self.kind.rstrip('s')} named '{key}': "
            f"'{first.plugin}' ({first.distribution or 'not installed'}) and "
            f"'{second.plugin}' ({second.distribution or 'not installed'}). "
            f"Uninstall one, or disable one with "
            + " or ".join(f"NLPKIT_DISABLE_PLUGINS={p}" for p in outside)
            + "."
        )

    @property
    def problems(self) -> list[str]:
        """One message per contested name."""
        return list(self._conflicts.values())

    def entry(self, name: str) -> Entry:
        """The entry for a name or alias, its class imported if it was registered lazily;
        unknown names get a did-you-mean error."""
        if name in self._conflicts:
            raise DuplicateComponentError(self._conflicts[name])
        try:
            entry = self._entries[self._aliases[name]]
        except KeyError:
            raise UnknownComponentError(self.kind, name, self._entries, self._aliases) from None
        if entry.cls is None:
            with _lock:  # one thread imports; the others find it resolved
                entry = self._entries[entry.name]
                if entry.cls is None:
                    entry = self._entries[entry.name] = _resolve(self.kind, entry)
        return entry

    def get(self, name: str) -> type:
        """The class registered under a name or alias."""
        return self.entry(name).cls  # type: ignore[return-value]  # entry() resolves it

    def names(self) -> list[str]:
        """Canonical names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._aliases

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))

    def __len__(self) -> int:
        return len(self._entries)


_lock = threading.RLock()
_registries: dict[str, Registry] = {}


def registry(kind: str) -> Registry:
    """The registry of ``kind`` (one of :data:`KINDS`), built from plugins on first use."""
    if kind not in KINDS:
        raise UnknownComponentError("component kinds", kind, KINDS)
    with _lock:
        if kind not in _registries:
            _registries[kind] = _collect(kind)
        return _registries[kind]


def _clear() -> None:
    with _lock:
        _registries.clear()


on_change(_clear)


def _collect(kind: str) -> Registry:
    reg = Registry(kind)
    infos = {info.name: info for info in plugin_infos()}
    hook = getattr(plugin_manager().hook, f"register_{kind}")
    for impl in hook.get_hookimpls():  # in registration order
        info = infos.get(impl.plugin_name, PluginInfo(impl.plugin_name, None, None, "?"))
        for entry in _entries_of(kind, impl, info):
            reg.add(entry)
    return reg


def _entries_of(kind: str, impl, info: PluginInfo) -> list[Entry]:  # type: ignore[no-untyped-def]
    """Run one plugin's hook; a plugin whose hook fails is skipped with a warning."""
    found: list[Entry] = []

    def register(cls: type | str, aliases: tuple[str, ...] | list[str] = (), name: str | None = None) -> None:
        if isinstance(cls, str):
            found.append(_lazy_entry(kind, cls, name, tuple(aliases), info))
        else:
            found.append(_make_entry(kind, cls, name, tuple(aliases), info))

    try:
        impl.function(**dict.fromkeys(impl.argnames, register))
    except Exception as exc:  # noqa: BLE001 - a plugin whose hook fails is skipped, not fatal
        error = f"register_{kind} failed: {type(exc).__name__}: {exc}"
        record_error(info.name, error)
        warnings.warn(f"nlpkit skipped the {kind} of plugin {describe(info)}: {error}", PluginLoadWarning, stacklevel=4)
        return []
    return found


def _make_entry(kind: str, cls: type, name: str | None, aliases: tuple[str, ...], info: PluginInfo) -> Entry:
    name = name or getattr(cls, "name", None)
    check_names(kind, cls, (name, *aliases))
    _check_class(kind, cls)
    return Entry(name, cls, info.name, info.distribution, info.version, aliases)  # type: ignore[arg-type]


def _lazy_entry(kind: str, target: str, name: str | None, aliases: tuple[str, ...], info: PluginInfo) -> Entry:
    """An entry for ``"module:attribute"``, imported on first lookup: its name must be given."""
    module, _, attribute = target.partition(":")
    if not module or not attribute:
        raise NlpkitError(f"{target!r} is not an import path: register a class, or 'package.module:ClassName'.")
    if name is None:
        raise NlpkitError(f"{target!r} is registered by import path, so it needs name= (the class is not imported yet).")
    check_names(kind, target, (name, *aliases))
    return Entry(name, None, info.name, info.distribution, info.version, aliases, target)


def check_names(kind: str, what: object, keys: tuple[object, ...]) -> None:
    """Names and aliases are kebab-case: ``my-tokenizer``, ``zh-cws``."""
    for key in keys:
        if not isinstance(key, str) or not _NAME.match(key):
            fix = "pass a name such as 'zh-news'" if kind == "pipelines" else "set a class attribute 'name' or pass name="
            raise NlpkitError(f"{what!r} needs a kebab-case {kind.rstrip('s')} name, not {key!r}: {fix}.")


def _check_class(kind: str, cls: object) -> None:
    bases = _base_classes(kind, cls)
    if not (isinstance(cls, type) and issubclass(cls, bases)):
        names = " or ".join(b.__name__ for b in bases)
        raise NlpkitError(f"{cls!r} is registered as a {kind.rstrip('s')} but does not subclass {names}.")


def _resolve(kind: str, entry: Entry) -> Entry:
    """Import a lazy entry's class and check it as eager registration would.

    A failure is recorded against the plugin (``nlpkit plugins`` shows it) and raised
    naming the plugin and distribution, since the user asked for this very component.
    """
    assert entry.target is not None
    module, _, attribute = entry.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attribute)
        _check_class(kind, cls)
        _check_lazy_name(kind, entry, cls)
    except Exception as exc:
        raise _resolve_error(kind, entry, exc) from exc
    return dataclasses.replace(entry, cls=cls)


def _check_lazy_name(kind: str, entry: Entry, cls: type) -> None:
    """The class's own ``name`` (what a saved pipeline records) must be the registered one."""
    own = getattr(cls, "name", None)
    if own is not None and own != entry.name:
        raise NlpkitError(f"{entry.target!r} is registered as {kind.rstrip('s')} '{entry.name}' "
                          f"but its class says name = {own!r}: make them agree.")


def _resolve_error(kind: str, entry: Entry, exc: Exception) -> NlpkitError:
    info = PluginInfo(entry.plugin, entry.distribution, entry.version, entry.target or "?")
    error = _load_failure(kind, entry, f"{type(exc).__name__}: {exc}")
    record_error(entry.plugin, error)
    fix = f"Reinstall '{entry.distribution}'" if entry.distribution else "Fix the plugin"
    message = (f"Plugin {describe(info)}: {error.rstrip('.')}. "
               f"{fix}, or disable it with NLPKIT_DISABLE_PLUGINS={entry.plugin}.")
    return MissingDependencyError(message) if isinstance(exc, ImportError) else NlpkitError(message)


def _load_failure(kind: str, entry: Entry, why: str) -> str:
    return f"{kind.rstrip('s')} '{entry.name}' ({entry.target}) failed to load: {why}"


def check_lazy_module(kind: str, entry: Entry) -> None:
    """For an entry registered by import path (imported on first lookup only), look for its
    module without running it, and record a missing one against the plugin at once, so
    that ``nlpkit plugins`` shows it as FAILED before anyone asks for the component."""
    if entry.cls is not None or entry.target is None:
        return
    module = entry.target.partition(":")[0]
    try:
        if importlib.util.find_spec(module) is not None:
            return
        why = f"ModuleNotFoundError: No module named '{module}'"
    except (ImportError, ValueError) as exc:  # a parent package that fails to import
        why = f"{type(exc).__name__}: {exc}"
    record_error(entry.plugin, _load_failure(kind, entry, why))


def _base_classes(kind: str, cls: Any) -> tuple[type, ...]:
    """The classes a component of ``kind`` may subclass (imported only when needed)."""
    if kind == "tokenizers":
        from .tokenizer import Tokenizer

        return (Tokenizer,)
    if kind == "encoders":
        from .encoder import Encoder

        return (Encoder,)
    if kind == "decoders":
        from .decoder import Decoder

        return (Decoder,)
    if kind == "trainers":
        from .trainer import Trainer

        return (Trainer,)
    from .count_model import CountModel

    if isinstance(cls, type) and issubclass(cls, CountModel):
        return (CountModel,)  # counted models (HMM) need no torch
    from .model import Model  # neural models: their module has imported torch already

    return (Model, CountModel)
