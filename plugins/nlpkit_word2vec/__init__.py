"""word2vec for nlpkit: skip-gram and CBOW with negative sampling, trained with torch.

* :mod:`nlpkit_word2vec.vectors` holds trained vectors (:class:`~nlpkit_word2vec.vectors.WordVectors`):
  nearest neighbours, analogies, the standard word-similarity and analogy evaluations
  (the numbers gensim gives on the same vectors), and the word2vec C text and binary
  formats, so vectors move to and from gensim, fastText and the original tool. It needs
  numpy only.
* :mod:`nlpkit_word2vec.train` trains them (:func:`~nlpkit_word2vec.train.train_word2vec`)
  on a corpus streamed from disk once per epoch, batched on torch tensors, on any device.

The plugin registers no components yet; the word2vec encoder and the CLI command that
use these modules are registered separately.
"""
