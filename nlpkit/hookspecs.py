"""The hooks a plugin can implement. Every hook is documented in docs/plugins.md.

A plugin is a module registered under the ``nlpkit`` entry-point group::

    from nlpkit import hookimpl

    @hookimpl
    def register_tokenizers(register):
        register(MyTokenizer, aliases=("mine",))

Every ``register_*`` callback is ``register(cls, aliases=(), name=None)``. ``cls`` may
also be an import path, ``"package.module:ClassName"`` with ``name=`` given: the module
is imported, and the class checked, only when the component is first looked up (for
components whose module imports torch or another heavy library).
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("nlpkit")
hookimpl = pluggy.HookimplMarker("nlpkit")


@hookspec
def register_tokenizers(register):  # type: ignore[no-untyped-def]
    """Register tokenizer classes: ``register(cls, aliases=())``."""


@hookspec
def register_encoders(register):  # type: ignore[no-untyped-def]
    """Register encoder classes (vocab, one-hot, word2vec): ``register(cls, aliases=())``."""


@hookspec
def register_models(register):  # type: ignore[no-untyped-def]
    """Register model classes (rnn, gru, lstm, bilstm-crf, hmm): ``register(cls, aliases=())``."""


@hookspec
def register_decoders(register):  # type: ignore[no-untyped-def]
    """Register decoder classes (argmax, viterbi, gumbel): ``register(cls, aliases=())``."""


@hookspec
def register_trainers(register):  # type: ignore[no-untyped-def]
    """Register trainer classes: ``register(cls, aliases=())``."""


@hookspec
def register_commands(cli):  # type: ignore[no-untyped-def]
    """Add click commands to the ``nlpkit`` command group ``cli``."""


@hookspec
def register_corpus_formats(register):  # type: ignore[no-untyped-def]
    """Name the corpus formats this plugin's ``read_corpus`` reads: ``register(name,
    description)``. ``train``, ``evaluate --format`` and ``nlpkit plugins`` know a format from here."""


@hookspec(firstresult=True)
def read_corpus(path, format):  # type: ignore[no-untyped-def]
    """Read the corpus at ``path`` in ``format``; return an iterable of examples,
    or None if this plugin does not understand the format (the next plugin is tried)."""


@hookspec
def register_pipelines(register):  # type: ignore[no-untyped-def]
    """Register named pretrained pipelines shipped as package data:
    ``register(name, path, *, task, language, description, aliases=(), scores=None, data="",
    licence="")``, ``path`` the pipeline directory (``importlib.resources.files(__package__) / "x"``).
    ``register(**nlpkit.pretrained.read_card(path))`` takes the facts from the directory's card."""


@hookspec(firstresult=True)
def resolve_data_path(reference):  # type: ignore[no-untyped-def]
    """Return the path that the data reference ``reference`` names (``corpus:NAME/FILE``,
    ``corpus:NAME``, ``sample:NAME``: a string ``SCHEME:REST``), or None when the scheme is not
    this plugin's (the next plugin is tried). Raise ``nlpkit.errors.UsageError`` or ``InputError``
    when the scheme is yours but the reference is wrong or its file is missing."""


@hookspec(firstresult=True)
def portable_data_name(path):  # type: ignore[no-untyped-def]
    """Return the data reference naming the file or folder at ``path`` (a ``pathlib.Path``) on any
    machine, such as ``corpus:NAME/FILE`` or ``sample:NAME``, or None when ``path`` is not data this
    plugin knows. Shipped pipelines record their training corpora this way."""
