"""Exceptions nlpkit raises on purpose, each with a message a user can act on.

Every error says what happened, why, and how to fix it. The CLI prints
``Error: <message>`` and exits with :attr:`NlpkitError.exit_code`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NlpkitError(Exception):
    """Base class of all errors nlpkit raises on purpose."""

    exit_code = 1


class UsageError(NlpkitError, ValueError):
    """The caller asked for something that cannot work as asked (exit code 2)."""

    exit_code = 2


class UnknownComponentError(UsageError, KeyError):
    """A component name that no installed plugin registers."""

    def __init__(self, kind: str, name: str, known: Iterable[str], aliases: Iterable[str] = ()) -> None:
        self.kind, self.name, self.known = kind, name, sorted(known)
        self.aliases = sorted(aliases)
        super().__init__(self._message())

    def _message(self) -> str:
        singular = self.kind.rstrip("s")
        hint = did_you_mean(self.name, sorted({*self.known, *self.aliases}))
        installed = ", ".join(self.known) if self.known else "none"
        return (
            f"Unknown {singular} '{self.name}'.{hint} "
            f"Installed {self.kind}: {installed}. "
            "Run 'nlpkit plugins' to see which plugin provides each."
        )

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class DuplicateComponentError(NlpkitError):
    """Two plugins register the same component name."""


class OptionError(UsageError):
    """A component option that does not exist or whose value has the wrong type."""


class InputError(NlpkitError):
    """Bad input data; names the file and line when they are known."""

    def __init__(self, problem: str, path: str | None = None, line: int | None = None) -> None:
        self.problem, self.path, self.line = problem, path, line
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {problem}" if path else problem)


class MissingDependencyError(NlpkitError, ImportError):
    """An optional library or model is not installed; the message says what to install."""


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Return " Did you mean 'x'?" for the closest options, or an empty string."""
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    return f" Did you mean {_quoted(close)}?" if close else ""


def _quoted(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _rebuild(cls: type[NlpkitError], message: str) -> NlpkitError:
    error = Exception.__new__(cls)
    error.args = (message,)
    return error


def _reduce(self: NlpkitError) -> tuple:
    # Subclasses take structured arguments; across processes the message is what counts.
    return (_rebuild, (type(self), str(self)))


NlpkitError.__reduce__ = _reduce  # type: ignore[method-assign]
