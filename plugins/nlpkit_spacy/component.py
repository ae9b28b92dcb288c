"""The ``nlpkit`` spaCy component: an nlpkit pipeline run on each Doc's text.

::

    nlp = spacy.blank("en")
    nlp.add_pipe("nlpkit", config={"pipeline": "en-ner"})
    doc = nlp("Obama visited Paris.")   # doc.ents

spaCy finds the factory through the ``spacy_factories`` entry point of nlpkit's
distribution, so nothing needs importing first. What the component sets depends on the
pipeline's task: ``doc.ents`` (``ner``), ``token.pos_`` or ``token.tag_`` (``tag``),
``doc.cats`` (``classify``). A ``segment`` pipeline finds words, which in spaCy are the
tokens: it belongs in the tokenizer (``nlpkit.Tokenizer.v1``), and is refused here.
"""

import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from nlpkit.errors import UsageError

from . import bundle
from .align import ALIGNMENT_MODES, entity_spans, token_owners
from .forking import one_torch_thread_after_fork

#: Which token attribute a tagger's labels go to: ``auto`` picks ``pos`` when every label
#: is a universal POS tag spaCy knows, else ``tag``.
ATTRS = ("auto", "pos", "tag")
#: The Doc extension listing the entities a ``ner`` pipeline found that did not align.
MISALIGNED = "nlpkit_misaligned"
#: The tasks the component applies, by the kind of annotation they set.
KINDS = ("ner", "tag", "classify")


@Language.factory(
    "nlpkit",
    default_config={"pipeline": None, "batch_size": 64, "alignment_mode": "strict", "device": "cpu", "attr": "auto"},
)
def make_nlpkit_component(
    nlp: Language,
    name: str,
    pipeline: str | None,
    batch_size: int,
    alignment_mode: str,
    device: str,
    attr: str,
) -> "NlpkitComponent":
    """Build the component (spaCy calls this for ``nlp.add_pipe("nlpkit", config=...)``)."""
    return NlpkitComponent(name, pipeline, batch_size=batch_size, alignment_mode=alignment_mode,
                           device=device, attr=attr)


class NlpkitComponent:
    """Runs the nlpkit pipeline ``pipeline`` (a pretrained name or a pipeline folder) on
    each Doc's text and writes its predictions onto the Doc.

    - ``batch_size``: texts per forward pass of the nlpkit model;
    - ``alignment_mode``: ``strict`` (default), ``contract`` or ``expand``, as in
      ``Doc.char_span``: what becomes of an entity whose boundary falls inside a Doc token
      (strict: it is left out, listed in ``doc._.nlpkit_misaligned`` and warned about once);
    - ``device``: where the model runs (``cpu``, ``cuda``, ``cuda:1``, ``auto``);
    - ``attr``: where a tagger's labels go: ``pos``, ``tag``, or ``auto`` (``pos`` when all
      of them are universal POS tags).
    """

    def __init__(self, name: str, pipeline: str | None, *, batch_size: int = 64, alignment_mode: str = "strict",
                 device: str = "cpu", attr: str = "auto") -> None:
        if not pipeline:
            raise UsageError("The nlpkit spaCy component needs a pipeline: nlp.add_pipe('nlpkit', config="
                             "{'pipeline': 'en-ner'}), a pretrained name ('nlpkit models' lists them) or a folder.")
        if alignment_mode not in ALIGNMENT_MODES:
            raise UsageError(f"nlpkit component '{name}': alignment_mode must be one of "
                             f"{', '.join(ALIGNMENT_MODES)}, not {alignment_mode!r}.")
        if attr not in ATTRS:
            raise UsageError(f"nlpkit component '{name}': attr must be one of {', '.join(ATTRS)}, not {attr!r}.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"nlpkit component '{name}': batch_size must be a positive integer, not {batch_size!r}.")
        self.name, self.source = name, str(pipeline)
        self.batch_size, self.alignment_mode, self.device, self.attr = batch_size, alignment_mode, device, attr
        self._pipeline: Any = None
        self._folder: Path | None = None  # the directory the pipeline was read from
        self._kind = self._target = ""
        self._warned = False
        if not Doc.has_extension(MISALIGNED):
            Doc.set_extension(MISALIGNED, default=None)
        folder = bundle.pipeline_folder(self.source)
        if folder is not None:  # else spacy.load is about to give a saved copy to from_disk
            self._load(folder)

    # -- the pipeline --------------------------------------------------------------------

    @property
    def pipeline(self) -> Any:
        """The nlpkit :class:`~nlpkit.Pipeline` this component runs."""
        if self._pipeline is None:
            raise bundle.missing(f"nlpkit component '{self.name}'", self.source)
        return self._pipeline

    @property
    def task(self) -> str:
        """What the component sets: ``ner`` (doc.ents), ``tag`` (token.pos_ or .tag_), ``classify`` (doc.cats)."""
        return self._kind if self.pipeline is not None else ""

    def _load(self, folder: Path) -> None:
        import nlpkit
        from nlpkit.tasks.classify import ClassifyTask
        from nlpkit.tasks.ner import NerTask
        from nlpkit.tasks.segment import SegmentTask
        from nlpkit.tasks.tag import TagTask

        pipeline = nlpkit.load(folder, device=self.device)
        task = pipeline.task
        if isinstance(task, SegmentTask):
            raise UsageError(
                f"'{self.source}' is a word segmentation pipeline: its words are spaCy's tokens, so use it as the "
                f"tokenizer, not as a component: spacy.blank('zh', config={{'nlp': {{'tokenizer': {{'@tokenizers': "
                f"'nlpkit.Tokenizer.v1', 'tokenizer': '{self.source}'}}}}}})")
        kinds = ((NerTask, "ner"), (TagTask, "tag"), (ClassifyTask, "classify"))
        kind = next((k for cls, k in kinds if isinstance(task, cls)), None)
        if kind is None:
            raise UsageError(f"'{self.source}' is a '{task.name}' pipeline; the nlpkit spaCy component runs "
                             "ner, tag and classify pipelines.")
        self._target = self._tag_attr(pipeline) if kind == "tag" else ""
        self._pipeline, self._folder, self._kind = pipeline, folder, kind
        one_torch_thread_after_fork()  # nlp.pipe(n_process=N) forks

    def _tag_attr(self, pipeline: Any) -> str:
        from spacy.parts_of_speech import IDS

        labels = list(pipeline.labels.items) if pipeline.labels is not None else []
        upos = all(label in IDS for label in labels) and "" not in labels
        if self.attr == "pos" and not upos:
            shown = ", ".join(sorted(label for label in labels if label not in IDS)[:5])
            raise UsageError(f"nlpkit component '{self.name}': attr 'pos' takes universal POS tags, and "
                             f"'{self.source}' has other labels ({shown}); use attr 'tag'.")
        return "pos" if self.attr == "pos" or (self.attr == "auto" and upos) else "tag"

    # -- running -------------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        self._annotate(doc, self.pipeline(doc.text))
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 128) -> Iterator[Doc]:
        """Annotate Docs ``batch_size`` at a time (spaCy passes ``nlp.pipe``'s): each batch's
        texts go through the nlpkit pipeline in one ``pipe`` call, in forward passes of the
        component's own ``batch_size``."""
        pipeline = self.pipeline
        for docs in minibatch(stream, size=batch_size):
            results = pipeline.pipe([doc.text for doc in docs], batch_size=self.batch_size)
            for doc, result in zip(docs, results):
                self._annotate(doc, result)
                yield doc

    def _annotate(self, doc: Doc, result: Any) -> None:
        if self._kind == "ner":
            self._set_entities(doc, result.entities)
        elif self._kind == "tag":
            self._set_tags(doc, result.tokens)
        else:
            doc.cats.update(result.probabilities)

    def _set_entities(self, doc: Doc, entities: list[Any]) -> None:
        spans, left_out = entity_spans(doc, entities, self.alignment_mode)
        doc.ents = spans
        doc._.set(MISALIGNED, [{"text": e.text, "label": e.label, "start": e.start, "end": e.end} for e in left_out])
        if left_out and not self._warned:
            self._warned = True
            warnings.warn(
                f"nlpkit component '{self.name}': some entities do not align with the Doc's tokens and were left out "
                f"(alignment_mode '{self.alignment_mode}'); doc._.{MISALIGNED} lists them. alignment_mode 'expand' "
                "or 'contract' keeps them, widened or narrowed to whole tokens.", UserWarning, stacklevel=3)

    def _set_tags(self, doc: Doc, tokens: Any) -> None:
        tags = tokens.tags or []
        if self._target == "pos":
            for token, owner in zip(doc, token_owners(doc, tokens.starts, tokens.ends)):
                if owner is not None:
                    token.pos_ = tags[owner]
        else:
            for token, owner in zip(doc, token_owners(doc, tokens.starts, tokens.ends)):
                if owner is not None:
                    token.tag_ = tags[owner]

    # -- saving --------------------------------------------------------------------------

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save which pipeline this is, and a copy of it when it was given as a folder."""
        loaded = self.pipeline is not None  # without one, the property raises: there is nothing to save
        copy = self._folder if loaded and bundle.names_a_folder(self.source) else None
        bundle.write(Path(path), {"pipeline": self.source}, copy)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "NlpkitComponent":
        """Read the pipeline back from the copy :meth:`to_disk` saved, unless the config names
        another pipeline (then the config wins) or the same files are already loaded."""
        info, copy = bundle.read(Path(path))
        if copy is not None and info.get("pipeline") == self.source:
            if bundle.same_pipeline(self._folder, copy) and self._pipeline is not None:
                self._folder = copy
            else:
                self._load(copy)
        return self
