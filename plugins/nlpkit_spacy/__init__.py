"""The ``spacy`` tokenizer: spaCy's rule-based tokenizer for any language it supports.

The other direction, nlpkit inside spaCy, lives in :mod:`nlpkit_spacy.component` (the
``nlpkit`` pipeline component) and :mod:`nlpkit_spacy.spacy_tokenizer` (the
``nlpkit.Tokenizer.v1`` tokenizer); spaCy finds them through its own entry points, and
nlpkit's plugin hooks never import them.
"""

from __future__ import annotations

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

    def tokenize(self, text: str) -> Tokens:
        return self._tokens(text, self._nlp.tokenizer(text))

    def _tokens(self, text: str, doc: Any) -> Tokens:
        # Slicing our own text is cheaper than Token.text, which decodes from spaCy's StringStore.
        keep = self.keep_whitespace
        spans = [(t.idx, t.idx + len(t)) for t in doc if keep or not t.is_space]
        return Tokens(text, [text[s:e] for s, e in spans], [s for s, _ in spans], [e for _, e in spans])


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
