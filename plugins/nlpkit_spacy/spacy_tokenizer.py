"""``nlpkit.Tokenizer.v1``: any nlpkit tokenizer or word segmenter as a spaCy tokenizer.

::

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {
        "@tokenizers": "nlpkit.Tokenizer.v1", "tokenizer": "zh-cws"}}})
    [t.text for t in nlp("我来到北京清华大学")]

``tokenizer`` is whatever ``nlpkit.get_tokenizer`` takes: a registered tokenizer
(``jieba``, ``char``, ``whitespace``...), a pretrained segmentation pipeline (``zh-cws``)
or the folder of a trained one; ``options`` are its keyword options. spaCy finds this
function through the ``spacy_tokenizers`` entry point, so nothing needs importing first.
The Doc's text is always exactly the input: whitespace between words becomes trailing
spaces and whitespace tokens the way spaCy's own tokenizer makes them.
"""

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from nlpkit import get_tokenizer
from nlpkit.errors import UsageError

from . import bundle
from .align import words_and_spaces
from .forking import one_torch_thread_after_fork


@registry.tokenizers("nlpkit.Tokenizer.v1")
def create_nlpkit_tokenizer(tokenizer: str, options: dict[str, Any] | None = None) -> Callable[[Language], "NlpkitTokenizer"]:
    """The spaCy tokenizer factory for ``[nlp.tokenizer] @tokenizers = "nlpkit.Tokenizer.v1"``."""
    def create(nlp: Language) -> NlpkitTokenizer:
        return NlpkitTokenizer(nlp.vocab, tokenizer, options or {})

    return create


class NlpkitTokenizer:
    """Makes a Doc from the tokens of the nlpkit tokenizer ``tokenizer`` built with ``options``."""

    def __init__(self, vocab: Vocab, tokenizer: str, options: dict[str, Any] | None = None) -> None:
        self.vocab, self.tokenizer, self.options = vocab, str(tokenizer), dict(options or {})
        self._nlpkit: Any = None
        self._folder: Path | None = None  # the segment pipeline's directory, when named by a folder
        if not _missing_folder(self.tokenizer):
            self._build(self.tokenizer)  # else spacy.load is about to give a saved copy to from_disk

    def _build(self, spec: str) -> None:
        if _missing_folder(spec):
            raise bundle.missing(f"nlpkit tokenizer '{self.tokenizer}'", spec)
        built = get_tokenizer(spec, **self.options)
        if built.overlapping:
            raise UsageError(f"nlpkit tokenizer '{self.tokenizer}' with these options returns overlapping tokens "
                             "(jieba's full and search modes do), which a spaCy Doc cannot hold; choose a mode "
                             "that splits the text into consecutive words.")
        self._nlpkit = built
        self._folder = bundle.pipeline_folder(spec) if bundle.names_a_folder(spec) else None
        one_torch_thread_after_fork()  # a segmentation model runs torch, and nlp.pipe(n_process=N) forks

    @property
    def nlpkit_tokenizer(self) -> Any:
        """The :class:`nlpkit.Tokenizer` that finds the words."""
        if self._nlpkit is None:
            raise bundle.missing(f"nlpkit tokenizer '{self.tokenizer}'", self.tokenizer)
        return self._nlpkit

    def __call__(self, text: str) -> Doc:
        return self._doc(text, self.nlpkit_tokenizer(text))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Docs for a stream of texts, tokenized ``batch_size`` at a time (a segmentation
        pipeline then runs one forward pass per batch rather than per text)."""
        for tokens in self.nlpkit_tokenizer.pipe(texts, batch_size=batch_size):
            yield self._doc(tokens.text, tokens)

    def _doc(self, text: str, tokens: Any) -> Doc:
        words, spaces = words_and_spaces(text, tokens.starts, tokens.ends)
        return Doc(self.vocab, words=words, spaces=spaces)

    # -- saving --------------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer, "options": self.options}

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the tokenizer's name and options, and a copy of the segment pipeline when
        it was given as a folder."""
        copy = self._folder if self.nlpkit_tokenizer is not None and bundle.names_a_folder(self.tokenizer) else None
        bundle.write(Path(path), self._info(), copy)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "NlpkitTokenizer":
        """Read the segment pipeline back from the copy :meth:`to_disk` saved (unless the
        config names another tokenizer, or the same files are already loaded)."""
        info, copy = bundle.read(Path(path))
        if copy is not None and info.get("tokenizer") == self.tokenizer:
            if not (self._nlpkit is not None and bundle.same_pipeline(self._folder, copy)):
                self._build(str(copy))
            self._folder = copy
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The tokenizer's name and options (a folder stays a path: only ``to_disk`` copies it)."""
        return srsly.msgpack_dumps(self._info())

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "NlpkitTokenizer":
        info = srsly.msgpack_loads(data)
        if (info["tokenizer"], info["options"]) != (self.tokenizer, self.options) or self._nlpkit is None:
            self.tokenizer, self.options = info["tokenizer"], dict(info["options"])
            self._build(self.tokenizer)
        return self


def _missing_folder(spec: str) -> bool:
    return bundle.names_a_folder(spec) and not Path(spec).expanduser().exists()
