"""word2vec for nlpkit: skip-gram and CBOW with negative sampling, trained with torch.

* :mod:`nlpkit_word2vec.vectors` holds trained vectors (:class:`~nlpkit_word2vec.vectors.WordVectors`):
  nearest neighbours, analogies, the standard word-similarity and analogy evaluations
  (the numbers gensim gives on the same vectors), and the word2vec C text and binary
  formats, so vectors move to and from gensim, fastText and the original tool. It needs
  numpy only.
* :mod:`nlpkit_word2vec.train` trains them (:func:`~nlpkit_word2vec.train.train_word2vec`)
  on a corpus streamed from disk once per epoch, batched on torch tensors, on any device.
* :mod:`nlpkit_word2vec.encoder` is the ``word2vec`` encoder: a model's word embedding
  starts from trained vectors (frozen or fine-tuned).
* :mod:`nlpkit_word2vec.cli` is ``nlpkit word2vec train|similar|analogy|evaluate``.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    from .encoder import Word2VecEncoder

    register(Word2VecEncoder)


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import word2vec

    cli.add_command(word2vec)
