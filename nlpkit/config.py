"""Training configs: a TOML file, ``--set section.key=value`` overrides, validated early.

Every component section names a registered component and its options, checked
against the component's signature, so a typo fails before any data is read::

    seed = 42
    [task]      name = "classify"
    [corpus]    train = "corpus:names"   format = "folder-per-class"
    [tokenizer] name = "char"
    [encoder]   name = "vocab"   dim = 64
    [model]     name = "gru"     hidden_size = 128
    [decoder]   name = "argmax"
    [trainer]   name = "torch"   epochs = 10
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from .errors import InputError, OptionError, UsageError, did_you_mean
from .references import resolve_reference
from .registry import SECTION_KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: section -> registry kind, for sections that name a component.
COMPONENT_SECTIONS = SECTION_KINDS
CORPUS_KEYS = ("train", "dev", "test", "format", "split", "split_seed", "stratify")
TOP_KEYS = ("seed",)
SECTIONS = ("task", "corpus", *COMPONENT_SECTIONS)


def load_config(path: str | Path | None, overrides: list[str] = (), base: dict | None = None) -> dict[str, Any]:
    """Read a TOML config (or start from ``base``), apply ``section.key=value`` overrides,
    and validate it. Relative corpus paths are resolved against the config's folder."""
    config = copy.deepcopy(base or {})
    if path is not None:
        config = _read_toml(Path(path))
    for item in overrides:
        apply_override(config, item)
    # Only now, so that --set can replace a corpus the file names but this machine lacks:
    # the file's paths are relative to its folder, those given on the command line to here.
    corpus = config.get("corpus", {})
    overridden = {key for item in overrides if (key := _corpus_key(item))}
    from_file = {k: v for k, v in corpus.items() if k not in overridden}
    _resolve_corpus_paths({"corpus": from_file}, Path(path).parent if path is not None else Path.cwd())
    from_command_line = {k: v for k, v in corpus.items() if k in overridden}
    _resolve_corpus_paths({"corpus": from_command_line}, Path.cwd())
    corpus.update({**from_file, **from_command_line})
    validate(config)
    return config


def _resolve_corpus_paths(config: dict[str, Any], base: Path) -> None:
    corpus = config.get("corpus", {})
    for key in ("train", "dev", "test"):
        if isinstance(corpus.get(key), str):
            corpus[key] = resolve_corpus_path(corpus[key], base)


def _corpus_key(item: str) -> str | None:
    """``train`` for ``corpus.train=...``; None for an override of anything else."""
    section, _, key = item.partition("=")[0].strip().partition(".")
    return key if section == "corpus" and key else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except OSError as exc:
        raise InputError(f"cannot read the config: {exc.strerror or exc}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", str(path)) from None


def resolve_corpus_path(value: str, base: Path) -> str:
    """The path ``value`` names. A data reference (:mod:`nlpkit.references`) is resolved by the
    plugin that knows its scheme: ``corpus:NAME/FILE`` a known corpus file (checked against the
    manifest), ``corpus:NAME`` its folder, ``sample:NAME`` a sample bundled with nlpkit;
    ``package:PACKAGE/FILE`` is a data file inside an installed Python package
    (``package:jieba/dict.txt``). Other relative paths are taken relative to ``base``."""
    found = resolve_reference(value)
    if found is not None:
        return str(found)
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def apply_override(config: dict[str, Any], item: str) -> None:
    """Apply ``section.key=value``; the value is read as TOML (``256``, ``true``,
    ``"x"``, ``[1, 2]``), or kept as a plain string when it is not valid TOML."""
    dotted, sep, raw = item.partition("=")
    parts = dotted.strip().split(".")
    if not sep or not all(parts):
        raise OptionError(f"--set '{item}' is not of the form section.key=value (e.g. model.hidden_size=256).")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    target = config
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise OptionError(f"--set '{item}': '{part}' is a value, not a section.")
    target[parts[-1]] = value


def validate(config: dict[str, Any]) -> None:
    """Unknown sections, keys, component names and options fail here, with did-you-mean."""
    for key, value in config.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise OptionError(f"The config has no section [{key}].{did_you_mean(key, SECTIONS)} "
                                  f"Sections: {', '.join(SECTIONS)}.")
        elif key not in TOP_KEYS:
            raise OptionError(f"The config has no top-level key '{key}'.{did_you_mean(key, TOP_KEYS)}")
    for key in config.get("corpus", {}):
        if key not in CORPUS_KEYS:
            raise OptionError(f"[corpus] has no key '{key}'.{did_you_mean(key, CORPUS_KEYS)} Keys: {', '.join(CORPUS_KEYS)}.")
    _validate_task(config.get("task", {}))
    for section, kind in COMPONENT_SECTIONS.items():
        if section in config:
            _validate_component(section, kind, config[section])


def _validate_task(section: dict[str, Any]) -> None:
    from .options import check_options, check_types
    from .tasks import TASK_NAMES, task_class

    if "name" not in section:
        raise UsageError(f"The config's [task] needs a name: {', '.join(TASK_NAMES)}.")
    options = {k: v for k, v in section.items() if k != "name"}
    check_options(task_class(section["name"]), options, f"[task] '{section['name']}'")
    check_types(task_class(section["name"]), options, f"[task] '{section['name']}'")


def _validate_component(section: str, kind: str, values: dict[str, Any]) -> None:
    from .api import names_a_pipeline
    from .options import check_options, check_types
    from .registry import registry

    if "name" not in values:
        raise UsageError(f"The config's [{section}] needs a name: one of {', '.join(registry(kind).names())}.")
    options = {k: v for k, v in values.items() if k != "name"}
    if section == "tokenizer" and names_a_pipeline(values["name"]):
        cls, what = _pipeline_tokenizer_class(values["name"], options)
    else:
        entry = registry(kind).entry(values["name"])
        cls, what = entry.cls, f"[{section}] '{entry.name}'"
    check_options(cls, options, what)
    check_types(cls, options, what)


def _pipeline_tokenizer_class(name: str, options: dict[str, Any]) -> tuple[type, str]:
    """``[tokenizer] name = "zh-cws"`` (or a folder): a segment pipeline as the tokenizer."""
    from .pipeline_tokenizer import PipelineTokenizer

    what = f"[tokenizer] '{name}' (a segment pipeline)"
    if "path" in options:
        raise OptionError(f"{what}: the name is the pipeline; give no 'path' option.")
    return PipelineTokenizer, what


def component_options(config: dict[str, Any], section: str) -> tuple[str, dict[str, Any]]:
    """``(name, options)`` of a component section."""
    values = dict(config[section])
    return values.pop("name"), values
