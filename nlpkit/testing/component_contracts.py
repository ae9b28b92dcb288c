"""What every encoder, neural model and decoder must do: :class:`EncoderContract`,
:class:`ModelContract` and :class:`DecoderContract`, run on a toy task small enough to
learn in a second on a CPU.

Each is subclassed once per configuration worth testing, naming the registered
component and its options; the built-ins' tests use them as a third party would.
torch is imported by the tests, not by this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..errors import OptionError
from ..options import check_options
from ..registry import registry

#: A toy tagging corpus: each word has one tag, so any tagger can learn it exactly.
TAGGED = [
    (["the", "cat", "sat", "on", "the", "mat"], ["D", "N", "V", "P", "D", "N"]),
    (["a", "dog", "ran"], ["D", "N", "V"]),
    (["dogs", "sat"], ["N", "V"]),
    (["the", "dog", "sat", "on", "a", "cat"], ["D", "N", "V", "P", "D", "N"]),
    (["cat"], ["N"]),
    (["a", "mat", "ran", "on", "the", "dogs"], ["D", "N", "V", "P", "D", "N"]),
]
#: A toy classification corpus: the label says whether "not" occurs.
CLASSIFIED = [
    (["good", "film"], "pos"), (["not", "good"], "neg"), (["a", "good", "good", "film"], "pos"),
    (["not", "a", "film"], "neg"), (["film"], "pos"), (["a", "film", "not", "good"], "neg"),
]


def _labels(head: str) -> list[str]:
    if head == "classify":
        return sorted({label for _, label in CLASSIFIED})
    return sorted({tag for _, tags in TAGGED for tag in tags})


def _tokens(head: str) -> list[list[str]]:
    return [list(t) for t, _ in (CLASSIFIED if head == "classify" else TAGGED)]


# -- encoders ------------------------------------------------------------------------------


class EncoderContract:
    """What every encoder must do. Set ``name`` and optionally ``options`` and ``tokens``
    (the training sequences it is fitted on)."""

    name: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    tokens: ClassVar[list[list[str]]] = _tokens("tag")

    @pytest.fixture(scope="class")
    @classmethod
    def encoder(cls) -> Any:
        encoder = registry("encoders").get(cls.name)(**cls.options)
        encoder.fit(cls.tokens)
        return encoder

    def test_registered_under_its_name(self) -> None:
        from ..encoder import Encoder

        entry = registry("encoders").entry(self.name)
        assert issubclass(entry.cls, Encoder), f"{entry.cls!r} does not subclass nlpkit.Encoder"

    def test_training_tokens_get_ids_and_unseen_ones_do_not_fail(self, encoder: Any) -> None:
        for sequence in self.tokens:
            ids = encoder.encode(sequence)
            assert len(ids) == len(sequence) and all(isinstance(i, int) for i in ids), ids
            assert all(0 <= i < len(encoder.fitted) for i in ids), ids
        assert len(encoder.encode(["never-seen-zzz", "qqq"])) == 2

    def test_embedding_maps_a_batch_of_ids_to_vectors(self, encoder: Any) -> None:
        from ..data import SequenceData

        data = SequenceData.encode(encoder, self.tokens)
        batch = data.batch(list(range(len(data))))
        assert set(batch.features) == set(encoder.feature_names), "features() and feature_names disagree"
        vectors = encoder.embedding()(batch.ids, **batch.features)
        assert tuple(vectors.shape) == (*batch.ids.shape, encoder.embedding_dim), tuple(vectors.shape)

    def test_saved_and_loaded_it_encodes_the_same(self, encoder: Any, tmp_path: Path) -> None:
        json.dumps(encoder.config())  # saved pipelines keep it as JSON
        encoder.to_disk(tmp_path)
        loaded = type(encoder)(**encoder.config())
        loaded.from_disk(tmp_path)
        for sequence in [*self.tokens, ["never-seen-zzz"]]:
            assert loaded.encode(sequence) == encoder.encode(sequence), sequence
            assert _plain(loaded.features(sequence)) == _plain(encoder.features(sequence)), sequence

    def test_a_batch_gets_the_features_of_each_sequence(self, encoder: Any) -> None:
        for sequences in (self.tokens, [*self.tokens, ["never-seen-zzz"], []]):
            batched = encoder.features_batch(sequences)
            assert len(batched) == len(sequences)
            for sequence, found in zip(sequences, batched):
                assert _plain(found) == _plain(encoder.features(sequence)), sequence

    def test_unknown_option_is_rejected(self) -> None:
        cls = registry("encoders").get(self.name)
        with pytest.raises(OptionError, match="no option 'no_such_option'"):
            check_options(cls, {**self.options, "no_such_option": 1}, f"Encoder '{self.name}'")


def _plain(features: dict[str, Any]) -> dict[str, Any]:
    return {name: value.tolist() if hasattr(value, "tolist") else value for name, value in features.items()}


# -- models --------------------------------------------------------------------------------


class ModelContract:
    """What every neural model (a :class:`~nlpkit.model.Model`) must do, for one ``head``.
    Set ``name``; optionally ``options``, ``head`` (``tag`` or ``classify``), the
    ``encoder`` and ``encoder_options`` it reads from, and ``steps`` and ``lr`` of the
    training that must teach it the toy task."""

    name: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    head: ClassVar[str] = "tag"
    encoder: ClassVar[str] = "vocab"
    encoder_options: ClassVar[dict[str, Any]] = {"dim": 16}
    steps: ClassVar[int] = 60
    lr: ClassVar[float] = 0.03

    @pytest.fixture(scope="class")
    @classmethod
    def setup(cls) -> Any:
        encoder = registry("encoders").get(cls.encoder)(**cls.encoder_options)
        encoder.fit(_tokens(cls.head))
        return encoder, _labels(cls.head)

    def build(self, setup: Any) -> Any:
        """A fresh model, seeded, with its labels bound."""
        import torch

        encoder, labels = setup
        torch.manual_seed(0)
        model = registry("models").get(self.name).build(encoder, self.head, len(labels), **self.options)
        model.bind_labels(labels)
        return model

    def batch(self, setup: Any) -> Any:
        from ..data import SequenceData

        encoder, labels = setup
        if self.head == "classify":
            targets: list = [labels.index(label) for _, label in CLASSIFIED]
        else:
            targets = [[labels.index(tag) for tag in tags] for _, tags in TAGGED]
        data = SequenceData.encode(encoder, _tokens(self.head), targets)
        return data.batch(list(range(len(data))))

    def test_registered_with_the_head(self) -> None:
        from ..model import Model

        cls = registry("models").get(self.name)
        assert issubclass(cls, Model), f"{cls!r} does not subclass nlpkit.model.Model"
        assert self.head in cls.heads, f"'{self.name}' heads {cls.heads} lack '{self.head}'"

    def test_scores_have_the_shapes_of_the_head(self, setup: Any) -> None:
        model, batch = self.build(setup).eval(), self.batch(setup)
        scores = model(batch)
        rows, steps = batch.ids.shape
        if self.head == "classify":
            assert scores.logits is not None and tuple(scores.logits.shape) == (rows, len(setup[1]))
        else:
            assert scores.emissions is not None and tuple(scores.emissions.shape) == (rows, steps, len(setup[1]))
            assert scores.mask is not None and bool((scores.mask == batch.mask).all())

    def test_padding_changes_nothing(self, setup: Any) -> None:
        """Each sequence scores the same alone as beside longer ones (evaluation mode)."""
        import torch

        model, batch = self.build(setup).eval(), self.batch(setup)
        together = model(batch)
        for row, length in enumerate(batch.mask.sum(dim=1).tolist()):
            alone = model(_row(batch, row, length))
            if self.head == "classify":
                torch.testing.assert_close(alone.logits[0], together.logits[row], atol=1e-5, rtol=1e-4)
            else:
                torch.testing.assert_close(alone.emissions[0], together.emissions[row, :length], atol=1e-5, rtol=1e-4)

    def test_it_learns_the_toy_task(self, setup: Any) -> None:
        """The loss is a finite scalar whose gradient reaches every trainable parameter, and
        ``steps`` of Adam bring the loss to a fifth and the training accuracy to 1."""
        import torch

        model, batch = self.build(setup).train(), self.batch(setup)
        loss = model.loss(model(batch), batch)
        assert loss.dim() == 0 and bool(torch.isfinite(loss)), loss
        loss.backward()
        missing = [n for n, p in model.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.any())]
        assert not missing, f"no gradient reaches {missing}"
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        first = loss.item()
        for _ in range(self.steps):
            optimizer.zero_grad()
            loss = model.loss(model(batch), batch)
            loss.backward()
            optimizer.step()
        assert loss.item() < first / 5, f"loss {first:.3f} -> {loss.item():.3f} after {self.steps} steps"
        assert _accuracy(model.eval()(batch), batch) == 1.0

    def test_config_and_weights_rebuild_the_same_model(self, setup: Any, tmp_path: Path) -> None:
        import torch

        model, batch = self.build(setup).eval(), self.batch(setup)
        config = json.loads(json.dumps(model.config()))  # saved pipelines keep it as JSON
        model.to_disk(tmp_path)
        encoder, labels = setup
        torch.manual_seed(1)  # other initial weights: only the file may make them equal
        rebuilt = registry("models").get(self.name).build(encoder, self.head, len(labels), **config).eval()
        rebuilt.from_disk(tmp_path)
        expected, got = model(batch), rebuilt(batch)
        for field in ("emissions", "logits", "transitions", "start", "end"):
            a, b = getattr(expected, field), getattr(got, field)
            assert (a is None) == (b is None) and (a is None or torch.equal(a, b)), field

    def test_unknown_option_is_rejected(self) -> None:
        cls = registry("models").get(self.name)
        with pytest.raises(OptionError, match="no option 'no_such_option'"):
            check_options(cls, {**self.options, "no_such_option": 1}, f"Model '{self.name}'")


def _row(batch: Any, row: int, length: int) -> Any:
    """Row ``row`` of ``batch`` alone, cut to its ``length``."""
    from ..batch import Batch

    features = {name: value[row : row + 1, :length] for name, value in batch.features.items()}
    labels = None if batch.labels is None else batch.labels[row : row + 1]
    if labels is not None and labels.dim() == 2:
        labels = labels[:, :length]
    return Batch(batch.ids[row : row + 1, :length], batch.mask[row : row + 1, :length], labels, features)


def _accuracy(scores: Any, batch: Any) -> float:
    """Training accuracy, decoded as the model's own scores ask (Viterbi with transitions)."""
    from ..crf import viterbi

    if scores.logits is not None:
        return float((scores.logits.argmax(dim=-1) == batch.labels).float().mean())
    if scores.transitions is not None:
        paths, _ = viterbi(scores.emissions, scores.mask, scores.transitions, scores.start, scores.end)
    else:
        paths = scores.emissions.argmax(dim=-1)
    return float((paths == batch.labels)[batch.mask].float().mean())


# -- decoders ------------------------------------------------------------------------------


class DecoderContract:
    """What every decoder must do. Set ``name``; optionally ``options`` and ``crf`` (True
    for decoders that need a CRF's transition scores, such as ``viterbi``)."""

    name: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    crf: ClassVar[bool] = False

    @pytest.fixture(scope="class")
    @classmethod
    def decoder(cls) -> Any:
        return registry("decoders").get(cls.name)(**cls.options)

    def scores(self, lengths: list[int], peaks: list[list[int]], labels: int = 5) -> Any:
        """Emissions with one label far above the others at each real token (``peaks``)
        and random values under the padding; zero transitions when ``crf``."""
        import torch

        from ..crf import mask_from_lengths
        from ..scores import Scores

        generator = torch.Generator().manual_seed(0)
        emissions = torch.randn(len(lengths), max(lengths), labels, generator=generator)
        for row, tags in enumerate(peaks):
            for t, tag in enumerate(tags):
                emissions[row, t, tag] += 50.0
        extra = {}
        if self.crf:
            extra = {"transitions": torch.zeros(labels, labels), "start": torch.zeros(labels), "end": torch.zeros(labels)}
        return Scores(emissions=emissions, mask=mask_from_lengths(lengths, max(lengths)), **extra)

    def test_registered_under_its_name(self) -> None:
        from ..decoder import Decoder

        entry = registry("decoders").entry(self.name)
        assert issubclass(entry.cls, Decoder), f"{entry.cls!r} does not subclass nlpkit.Decoder"

    def test_one_id_per_real_token_and_the_clear_peaks_win(self, decoder: Any) -> None:
        peaks = [[0, 3, 1, 4], [2], [4, 4, 0]]
        decoded = decoder.decode(self.scores([4, 1, 3], peaks))
        assert decoded == peaks, f"decoded {decoded}, expected {peaks}"

    def test_padding_changes_nothing(self, decoder: Any) -> None:
        import torch

        peaks = [[0, 3, 1, 4], [2], [4, 4, 0]]
        scores = self.scores([4, 1, 3], peaks)
        for row, length in enumerate([4, 1, 3]):
            alone = type(scores)(**{name: getattr(scores, name) for name in ("transitions", "start", "end")},
                                 emissions=scores.emissions[row : row + 1, :length],
                                 mask=torch.ones(1, length, dtype=torch.bool))
            assert decoder.decode(alone) == [decoder.decode(scores)[row]]

    def test_sequence_logits_get_one_label_each(self, decoder: Any) -> None:
        import torch

        from ..scores import Scores

        logits = torch.full((3, 4), -50.0)
        logits[torch.arange(3), torch.tensor([2, 0, 3])] = 50.0
        assert decoder.decode(Scores(logits=logits)) == [2, 0, 3]

    def test_config_rebuilds_the_decoder(self, decoder: Any) -> None:
        config = json.loads(json.dumps(decoder.config()))
        assert type(decoder)(**config).config() == decoder.config()

    def test_unknown_option_is_rejected(self) -> None:
        cls = registry("decoders").get(self.name)
        with pytest.raises(OptionError, match="no option 'no_such_option'"):
            check_options(cls, {**self.options, "no_such_option": 1}, f"Decoder '{self.name}'")
