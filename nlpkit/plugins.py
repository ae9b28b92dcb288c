"""Finding and loading plugins: the ``nlpkit`` entry-point group, through pluggy.

Built-in components are plugins too, registered by this package's own entry
points. A plugin that fails to import or to validate is skipped with a
:class:`PluginLoadWarning` naming it and its distribution; everything else
keeps working. ``NLPKIT_LOAD_PLUGINS`` (allow-list) and
``NLPKIT_DISABLE_PLUGINS`` (deny-list) take comma-separated plugin or
distribution names.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
from dataclasses import dataclass
from importlib import metadata

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "nlpkit"
LOAD_ENV = "NLPKIT_LOAD_PLUGINS"
DISABLE_ENV = "NLPKIT_DISABLE_PLUGINS"


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin comes from; ``error`` is set when it failed to load."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    error: str | None = None


_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_infos: dict[str, PluginInfo] = {}
_listeners: list = []


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading entry points on first use."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = _new_manager()
            _load_entry_points(_manager)
        return _manager


def plugin_infos() -> list[PluginInfo]:
    """Every plugin found, loaded or failed, in load order."""
    plugin_manager()
    return list(_infos.values())


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Register a plugin object (module or instance) at run time, as a test or app would.

    Returns the plugin's name; component registries are rebuilt on next use.
    """
    pm = plugin_manager()
    with _lock:
        registered = pm.register(plugin, name=name)
        assert registered is not None
        _validate(pm, registered)
        module = getattr(plugin, "__name__", type(plugin).__module__)
        _infos[registered] = PluginInfo(registered, None, None, module)
        _changed()
        return registered


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered by name; registries are rebuilt on next use."""
    with _lock:
        plugin_manager().unregister(name=name)
        _infos.pop(name, None)
        _changed()


def reset() -> None:
    """Forget every plugin; the next use scans entry points (and the env vars) again."""
    global _manager
    with _lock:
        _manager = None
        _infos.clear()
        _changed()


def record_error(name: str, error: str) -> None:
    """Mark a loaded plugin as failed, e.g. when one of its hooks raised."""
    with _lock:
        info = _infos.get(name)
        if info is not None and error not in (info.error or ""):
            joined = f"{info.error}; {error}" if info.error else error
            _infos[name] = dataclasses.replace(info, error=joined)


def describe(info: PluginInfo) -> str:
    """``'name' from distribution 'dist version'``, for warnings and errors."""
    if info.distribution is None:
        return f"'{info.name}' (registered at run time)"
    return f"'{info.name}' from distribution '{info.distribution} {info.version}'"


def on_change(listener) -> None:  # type: ignore[no-untyped-def]
    """Call ``listener()`` whenever the set of plugins changes (registries use it)."""
    _listeners.append(listener)


def _changed() -> None:
    for listener in _listeners:
        listener()


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    return pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allow, deny = _env_names(LOAD_ENV), _env_names(DISABLE_ENV)
    seen: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else None
        version = ep.dist.version if ep.dist else None
        seen.update({ep.name, _normalise(dist or "")})
        if not _selected(ep.name, dist, allow, deny):
            continue
        try:
            _register_entry_point(pm, ep)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the rest
            error = f"{type(exc).__name__}: {exc}"
            _infos[ep.name] = PluginInfo(ep.name, dist, version, ep.value, error)
            warnings.warn(
                f"nlpkit skipped plugin {describe(_infos[ep.name])}: {error}",
                PluginLoadWarning,
                stacklevel=2,
            )
        else:
            _infos[ep.name] = PluginInfo(ep.name, dist, version, ep.value)
    _warn_unknown(allow, seen, LOAD_ENV)
    _warn_unknown(deny, seen, DISABLE_ENV)


def _register_entry_point(pm: pluggy.PluginManager, ep: metadata.EntryPoint) -> None:
    module = ep.load()
    if pm.get_plugin(ep.name) is not None:
        other = _infos.get(ep.name)
        raise ValueError(f"a plugin named '{ep.name}' is already loaded from '{other and other.distribution}'")
    pm.register(module, name=ep.name)
    _validate(pm, ep.name)


def _validate(pm: pluggy.PluginManager, name: str) -> None:
    """Reject (and unregister) a plugin implementing hooks that do not exist."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        pm.unregister(name=name)
        raise ValueError(f"it implements a hook nlpkit does not define ({exc})") from None


def _env_names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {_normalise(n) for n in value.split(",") if n.strip()}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _selected(name: str, dist: str | None, allow: set[str] | None, deny: set[str] | None) -> bool:
    names = {_normalise(name), _normalise(dist or "")}
    if allow is not None and not names & allow:
        return False
    return not (deny and names & deny)


def _warn_unknown(names: set[str] | None, seen: set[str], var: str) -> None:
    seen = {_normalise(s) for s in seen}
    for name in sorted((names or set()) - seen):
        warnings.warn(f"{var} names '{name}', but no such nlpkit plugin is installed", PluginLoadWarning, stacklevel=3)

