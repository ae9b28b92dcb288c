"""Encoded sentences that keep their token texts (imports torch, so loaded lazily)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import SequenceData


@dataclass
class TagData(SequenceData):
    """:class:`~nlpkit.data.SequenceData` plus each sentence's token texts, which
    sentence-level metrics need (word segmentation scores words spelled by characters)."""

    tokens: list[list[str]] = field(default_factory=list)
