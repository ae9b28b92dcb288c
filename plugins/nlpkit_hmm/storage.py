"""An HMM's saved form: every learnt table as a numeric array, ready for safetensors.

Strings (the vocabulary, the unknown-word keys, the lexicalised words) are their UTF-8
bytes back to back plus the offsets that cut them apart; the options are one float64
array led by :data:`FORMAT_VERSION`. Reading checks every array's presence, dtype and
shape against the options and names the first problem.
"""

from __future__ import annotations

import numpy as np

from nlpkit.errors import InputError, OptionError

from .checks import OPTION_NAMES, SMOOTHINGS, UNKNOWNS, check_options

#: Version of the layout :func:`to_arrays` writes; bump it when the layout changes.
FORMAT_VERSION = 2  # 2: options gained lexical and lexical_prior, and the lexical tables


def to_arrays(options: dict, num_tags: int, tables: dict) -> dict[str, np.ndarray]:
    """The arrays of a fitted HMM: its ``options`` (by :data:`.checks.OPTION_NAMES`) and its
    learnt ``tables`` by name, as :func:`.estimate.supervised_tables` returns them."""
    head = [FORMAT_VERSION, num_tags, options["order"], SMOOTHINGS.index(options["smoothing"]),
            UNKNOWNS.index(options["unknown"]), options["k"], options["max_suffix"], options["rare_threshold"],
            options["lexical"], options["lexical_prior"]]
    vocab_bytes, vocab_offsets = _encode_strings(tables["vocab"])
    key_bytes, key_offsets = _encode_strings(tables["unknown_keys"])
    out = {"options": np.array(head, np.float64), "transitions": tables["transitions"],
           "emissions": tables["emissions"], "tag_logprob": tables["tag_logprob"],
           "vocab_bytes": vocab_bytes, "vocab_offsets": vocab_offsets,
           "unknown_keys_bytes": key_bytes, "unknown_keys_offsets": key_offsets,
           "unknown_rows": tables["unknown_rows"]}
    if tables["lambdas"] is not None:
        out["lambdas"] = tables["lambdas"]
    if options["lexical"]:
        out["lexical_words_bytes"], out["lexical_words_offsets"] = _encode_strings(tables["lexical_words"])
        out["lexical_ratios"] = tables["lexical_ratios"]
    return {name: np.ascontiguousarray(a) for name, a in out.items()}


def from_arrays(arrays: dict[str, np.ndarray], given: dict[str, object]) -> tuple[dict, int, dict]:
    """The options, num_tags and tables (as :func:`to_arrays` takes them) of saved ``arrays``,
    checked; OptionError when a ``given`` option differs from the stored one."""
    stored = _stored_options(arrays)
    for name, value in given.items():
        if name not in OPTION_NAMES:
            raise OptionError(f"HMM has no option '{name}'; options are {', '.join(OPTION_NAMES)}")
        if value != stored[name]:
            raise OptionError(f"HMM option {name}={value!r} does not match the saved model's "
                              f"{name}={stored[name]!r}; drop the option or refit")
    num_tags = stored.pop("num_tags")
    tables = _checked_tables(arrays, num_tags, stored["order"], stored["smoothing"] == "tnt")
    tables.update(_checked_lexical(arrays, num_tags, tables["vocab"], stored["lexical"] > 0))
    return stored, num_tags, tables


def _encode_strings(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 bytes of all strings back to back, and the [n+1] offsets that cut them apart."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), np.uint8).copy(), offsets


def _decode_strings(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    """Inverse of :func:`_encode_strings` for ``<name>_bytes`` / ``<name>_offsets``, checked."""
    data = _array(arrays, f"{name}_bytes", ndim=1)
    offsets = _array(arrays, f"{name}_offsets", ndim=1)
    if data.dtype != np.uint8 or not np.issubdtype(offsets.dtype, np.integer):
        raise InputError(f"HMM arrays: '{name}_bytes' must be uint8 and '{name}_offsets' integers")
    if (len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(data) or np.any(np.diff(offsets) < 0)):
        raise InputError(f"HMM arrays: '{name}_offsets' must rise from 0 to {len(data)} (the byte count)")
    raw = data.tobytes()
    try:
        return [raw[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    except UnicodeDecodeError as exc:
        raise InputError(f"HMM arrays: '{name}_bytes' is not valid UTF-8 ({exc.reason})") from None


def _array(arrays: dict[str, np.ndarray], name: str, *, ndim: int | None = None,
           shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``arrays[name]`` as a numeric array of the expected rank or shape, else InputError."""
    if name not in arrays:
        raise InputError(f"HMM arrays: '{name}' is missing (have: {', '.join(sorted(arrays)) or 'none'})")
    a = np.asarray(arrays[name])
    if a.dtype.kind not in "uif":
        raise InputError(f"HMM arrays: '{name}' must be numeric, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise InputError(f"HMM arrays: '{name}' must have {ndim} dimension(s), got shape {a.shape}")
    if shape is not None and a.shape != shape:
        raise InputError(f"HMM arrays: '{name}' has shape {a.shape}, expected {shape}")
    if a.dtype.kind == "f" and np.isnan(a).any():
        raise InputError(f"HMM arrays: '{name}' holds NaN")
    return a


def _stored_options(arrays: dict[str, np.ndarray]) -> dict:
    """The options (and num_tags) saved in ``arrays['options']``, checked."""
    if not isinstance(arrays, dict):
        raise InputError(f"HMM.from_arrays expects a dict of arrays, got {type(arrays).__name__}")
    values = _array(arrays, "options", ndim=1).astype(np.float64).tolist()
    if len(values) == 8 and values[0] == 1:  # version 1 had no lexicalised transitions
        values = [FORMAT_VERSION, *values[1:], 0, 10.0]
    if not values or values[0] != FORMAT_VERSION:
        raise InputError(f"HMM arrays have format version {values[0] if values else 'none'}; this nlpkit reads "
                         f"1 and {FORMAT_VERSION}: refit the model with this nlpkit")
    if len(values) != 10:
        raise InputError(f"HMM arrays: 'options' has {len(values)} values, expected 10 in format {FORMAT_VERSION}")
    _, num_tags, order, smoothing, unknown, k, max_suffix, rare, lexical, prior = values
    ints = (num_tags, order, smoothing, unknown, max_suffix, rare, lexical)
    if any(v != int(v) for v in ints) or num_tags < 1 or smoothing not in (0, 1) or unknown not in (0, 1, 2):
        raise InputError(f"HMM arrays: 'options' holds invalid values {values}")
    stored = {"num_tags": int(num_tags), "order": int(order), "smoothing": SMOOTHINGS[int(smoothing)],
              "k": k, "unknown": UNKNOWNS[int(unknown)], "max_suffix": int(max_suffix), "rare_threshold": int(rare),
              "lexical": int(lexical), "lexical_prior": prior}
    try:
        check_options(*(stored[name] for name in OPTION_NAMES))
    except OptionError as exc:
        raise InputError(f"HMM arrays: 'options' is invalid: {exc}") from None
    return stored


def _checked_tables(arrays: dict[str, np.ndarray], k: int, order: int, tnt: bool) -> dict:
    """The learnt tables of ``arrays``, each checked against num_tags, order and the vocabulary."""
    vocab = _decode_strings(arrays, "vocab")
    keys = _decode_strings(arrays, "unknown_keys")
    if len(set(vocab)) != len(vocab):
        raise InputError("HMM arrays: the vocabulary holds a word twice")
    f64 = np.float64
    return {
        "transitions": _array(arrays, "transitions", shape=(k + 1,) * (order + 1)).astype(f64),
        "emissions": _array(arrays, "emissions", shape=(len(vocab), k)).astype(f64),
        "vocab": vocab,
        "tag_logprob": _array(arrays, "tag_logprob", shape=(k,)).astype(f64),
        "unknown_keys": keys,
        "unknown_rows": _array(arrays, "unknown_rows", shape=(len(keys), k)).astype(f64),
        "lambdas": _array(arrays, "lambdas", shape=(order + 1,)).astype(f64) if tnt else None,
    }


def _checked_lexical(arrays: dict[str, np.ndarray], k: int, vocab: list[str], stored: bool) -> dict:
    """The lexicalised-transition words and log ratios of ``arrays`` (none when the option is 0)."""
    if not stored:
        return {"lexical_words": [], "lexical_ratios": None}
    words = _decode_strings(arrays, "lexical_words")
    unknown = set(words) - set(vocab)
    if unknown or len(set(words)) != len(words):
        raise InputError("HMM arrays: 'lexical_words' must be distinct vocabulary words"
                         + (f"; not in the vocabulary: {sorted(unknown)[:5]}" if unknown else ""))
    ratios = _array(arrays, "lexical_ratios", shape=(len(words), k, k + 1)).astype(np.float64)
    if not np.isfinite(ratios).all():
        raise InputError("HMM arrays: 'lexical_ratios' must be finite")
    return {"lexical_words": words, "lexical_ratios": ratios}
