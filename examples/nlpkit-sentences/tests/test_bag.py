"""The ``bag-of-embeddings`` model: nlpkit's model contract, then a real training run."""

from __future__ import annotations

from nlpkit.testing import ModelContract, train_config


class TestBagOfEmbeddings(ModelContract):
    name = "bag-of-embeddings"
    head = "classify"
    steps = 80
    lr = 0.1


def test_trains_and_predicts_through_nlpkit(tmp_path) -> None:
    """Named in a config like any built-in: trained by the torch trainer, saved, reloaded."""
    import nlpkit

    lines = [f"pos\tgood {w} film" for w in ("nice", "fine", "great", "lovely")] * 5
    lines += [f"neg\tbad {w} film" for w in ("dull", "poor", "awful", "weak")] * 5
    (tmp_path / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = train_config(tmp_path, """
        [task]
        name = "classify"
        [corpus]
        train = "train.tsv"
        format = "label-tab-text"
        split = [0.8, 0.2]
        [tokenizer]
        name = "whitespace"
        [encoder]
        name = "vocab"
        dim = 16
        [model]
        name = "bag-of-embeddings"
        [trainer]
        name = "torch"
        epochs = 30
        batch_size = 8
        lr = 0.05
    """)
    pipeline = nlpkit.load(run, device="cpu")
    assert pipeline.model.name == "bag-of-embeddings"
    assert [r.label for r in pipeline.pipe(["good film", "bad film"])] == ["pos", "neg"]
