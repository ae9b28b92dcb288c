"""The ``spacy`` tokenizer: spaCy's rule-based tokenizer for any language it supports.

The other direction, nlpkit inside spaCy, lives in :mod:`nlpkit_spacy.component` (the
``nlpkit`` pipeline component) and :mod:`nlpkit_spacy.spacy_tokenizer` (the
``nlpkit.Tokenizer.v1`` tokenizer); spaCy finds them through its own entry points, and
nlpkit's plugin hooks never import them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from nlpkit import Tokenizer, Tokens, hookimpl
from nlpkit.errors import MissingDependencyError, OptionError, UsageError, did_you_mean

Segmenter = Literal["char", "jieba", "pkuseg"]


class SpacyTokenizer(Tokenizer):
    """spaCy tokenization: ``spacy.blank(lang)``, or the tokenizer of an installed
    pipeline (``model``: a package name such as ``en_core_web_sm``, or a directory).

    For ``lang=zh``, ``segmenter`` picks spaCy's Chinese segmenter (char, jieba,
    or pkuseg with ``pkuseg_model``). Whitespace tokens are dropped unless
    ``keep_whitespace``.
    """

    name = "spacy"

    def __init__(
        self,
        *,
        lang: str | None = None,
        model: str | None = None,
        segmenter: Segmenter | None = None,
        pkuseg_model: str = "mixed",
        keep_whitespace: bool = False,
    ) -> None:
        self.lang, self.model, self.segmenter = lang, model, segmenter
        self.pkuseg_model, self.keep_whitespace = pkuseg_model, keep_whitespace
        self._nlp = _load_model(model) if model else _blank(lang or "en", segmenter, pkuseg_model)
        if lang and model and self._nlp.lang != lang:
            raise OptionError(f"spaCy pipeline '{model}' is for language '{self._nlp.lang}', not '{lang}'.")
        from .doc_tokens import groupable, tokenize_one

        self._grouped = groupable(self._nlp.tokenizer)
        self._tokenize_one = tokenize_one

    def tokenize(self, text: str) -> Tokens:
        return self._tokenize_one(self._nlp.tokenizer, text, self.keep_whitespace)

    def tokenize_batch(self, texts: list[str]) -> list[Tokens]:
        return list(self._stream(texts))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000, n_process: int = 1) -> Iterator[Tokens]:
        """Tokenize a stream of texts lazily, in input order. In one process the texts go
        through in small groups whatever ``batch_size`` is, with the tokens each text has
        alone (see :mod:`nlpkit_spacy.doc_tokens`)."""
        if n_process > 1:
            return super().pipe(texts, batch_size, n_process)
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, not {batch_size}")
        return self._stream(texts)

    def _stream(self, texts: Iterable[str]) -> Iterator[Tokens]:
        from .doc_tokens import tokenize_stream

        return tokenize_stream(self._nlp.tokenizer, texts, self._grouped, self.keep_whitespace)


def _blank(lang: str, segmenter: str | None, pkuseg_model: str) -> Any:
    import spacy

    config: dict = {}
    if segmenter:
        if lang != "zh":
            raise OptionError(f"Tokenizer 'spacy' option 'segmenter' applies to lang=zh only, not '{lang}'.")
        config = {"nlp": {"tokenizer": {"segmenter": segmenter}}}
    try:
        spacy.util.get_lang_class(lang)
    except ImportError as exc:
        if "[E048]" in str(exc):
            languages = _languages()
            raise UsageError(
                f"spaCy has no language '{lang}'.{did_you_mean(lang, languages)} "
                f"It supports: {', '.join(languages)}."
            ) from None
        raise _missing(lang, exc) from None
    try:
        nlp = spacy.blank(lang, config=config)
        if segmenter == "pkuseg":
            nlp.tokenizer.initialize(pkuseg_model=pkuseg_model)
    except ImportError as exc:
        raise _missing(lang, exc) from None
    return nlp


def _load_model(model: str) -> Any:
    import spacy

    try:
        return spacy.load(model)
    except OSError as exc:
        if "[E050]" in str(exc) or "[E053]" in str(exc):
            raise MissingDependencyError(
                f"spaCy pipeline '{model}' is not installed. "
                f"Install it with: python -m spacy download {model}"
            ) from None
        raise
    except ImportError as exc:
        raise _missing(model, exc) from None


def _missing(what: str, exc: ImportError) -> MissingDependencyError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return MissingDependencyError(
        f"spaCy's '{what}' tokenizer needs a library that is not installed: {first} "
        f"Install it with: pip install 'spacy[{what}]' (see https://spacy.io/usage/models#languages)."
    )


def _languages() -> list[str]:
    import pkgutil

    import spacy.lang

    return sorted(m.name for m in pkgutil.iter_modules(spacy.lang.__path__) if m.ispkg)


@hookimpl
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    register(SpacyTokenizer)
