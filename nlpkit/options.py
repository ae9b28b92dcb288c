"""Component options: checked against the component's ``__init__`` signature.

The signature is the schema. ``--option key=value`` strings from the CLI are
converted to the annotated types; Python callers pass typed values and get the
same checks for unknown names, so a typo never vanishes silently.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import OptionError, did_you_mean

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def option_types(cls: type) -> dict[str, Any]:
    """Map each keyword option of ``cls.__init__`` to its type annotation."""
    hints = typing.get_type_hints(cls.__init__)
    params = inspect.signature(cls.__init__).parameters
    return {
        name: hints.get(name, str)
        for name, p in params.items()
        if name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }


def option_defaults(cls: type) -> dict[str, Any]:
    """Map each option of ``cls.__init__`` to its default value."""
    params = inspect.signature(cls.__init__).parameters
    return {n: p.default for n, p in params.items() if n in option_types(cls)}


def check_options(cls: type, options: Mapping[str, Any], what: str) -> None:
    """Raise :class:`OptionError` for option names ``cls`` does not accept."""
    known = option_types(cls)
    for name in options:
        if name not in known:
            raise OptionError(
                f"{what} has no option '{name}'.{did_you_mean(name, known)} "
                f"Its options: {', '.join(known) or 'none'}."
            )


def check_types(cls: type, options: Mapping[str, Any], what: str) -> None:
    """Raise :class:`OptionError` for values that do not fit their annotation (an int
    is fine where a float is expected; lists and tuples are interchangeable)."""
    types_ = option_types(cls)
    for name, value in options.items():
        if name in types_ and not _fits(value, types_[name]):
            raise OptionError(f"{what} option '{name}' must be {_describe(types_[name])}, not {value!r}.")


def _fits(value: Any, annotation: Any) -> bool:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple):
        inner = args[0] if args else Any
        return isinstance(value, (list, tuple)) and all(_fits(v, inner) for v in value)
    if origin is dict:
        key, item = args or (Any, Any)
        return isinstance(value, dict) and all(_fits(k, key) and _fits(v, item) for k, v in value.items())
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is Path:
        return isinstance(value, (str, Path))
    return isinstance(value, annotation) if isinstance(annotation, type) else True


def _describe(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"a list of {_describe(args[0]) if args else 'values'}"
    if origin is dict:
        return f"a table of {_describe(args[0])} to {_describe(args[1])}" if args else "a table"
    if annotation is type(None):
        return "none"
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


def parse_options(cls: type, pairs: list[str], what: str) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into typed keyword arguments for ``cls``."""
    raw: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"Option '{pair}' is not of the form key=value.")
        raw[key.strip().replace("-", "_")] = value
    check_options(cls, raw, what)
    types_ = option_types(cls)
    return {k: coerce(v, types_[k], f"{what} option '{k}'") for k, v in raw.items()}


def coerce(value: str, annotation: Any, what: str) -> Any:
    """Convert one CLI string to ``annotation`` (bool, int, float, str, Path,
    Literal, Optional, or a list/tuple of those written comma-separated)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value.lower() in ("", "none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], what) if len(inner) == 1 else value
    if origin is typing.Literal:
        if value not in args:
            raise OptionError(f"{what} must be one of {', '.join(map(str, args))}, not '{value}'.")
        return value
    if origin in (list, tuple):
        items = [v.strip() for v in value.split(",") if v.strip()]
        return origin(coerce(v, args[0] if args else str, what) for v in items)
    return _scalar(value, annotation, what)


def _scalar(value: str, annotation: Any, what: str) -> Any:
    if annotation is bool:
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise OptionError(f"{what} must be true or false, not '{value}'.")
    if annotation in (int, float):
        try:
            return annotation(value)
        except ValueError:
            raise OptionError(f"{what} must be a number ({annotation.__name__}), not '{value}'.") from None
    if annotation is Path:
        return Path(value)
    return value


def is_whole(value: Any) -> bool:
    """An int that is not a bool (TOML and JSON give True for ``true``)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """An int or float, not a bool, neither nan nor infinite."""
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
