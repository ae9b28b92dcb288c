"""word2vec for nlpkit: skip-gram and CBOW with negative sampling, trained with numba or torch.

* :mod:`nlpkit_word2vec.vectors` holds trained vectors (:class:`~nlpkit_word2vec.vectors.WordVectors`):
  nearest neighbours and analogies (:mod:`.ranking`), the standard word-similarity and
  analogy evaluations (:mod:`.evaluate`: the numbers gensim gives on the same vectors), and
  the word2vec C text and binary formats (the core's :mod:`nlpkit.word2vec_format`), so
  vectors move to and from gensim, fastText and the original tool. It needs numpy only.
* :mod:`nlpkit_word2vec.train` trains them (:func:`~nlpkit_word2vec.train.train_word2vec`)
  on a corpus streamed from disk once per epoch: on CPU by word2vec.c's loop compiled with
  numba (:mod:`.numba_trainer`, :mod:`.kernels`; the ``nlpkit[numba]`` extra, imported only
  to train), else batched on torch tensors, on any device.
* A model's word embedding starts from the vectors through the ``vocab`` encoder's
  ``vectors`` option (or encoder ``word2vec``, which requires it): the vocab plugin reads
  the file with :mod:`nlpkit.word2vec_format`, so neither plugin imports the other.
* :mod:`nlpkit_word2vec.cli` is ``nlpkit word2vec train|similar|analogy|evaluate``.
"""

from __future__ import annotations

from nlpkit import hookimpl


@hookimpl
def register_commands(cli):  # type: ignore[no-untyped-def]
    from .cli import word2vec

    cli.add_command(word2vec)
