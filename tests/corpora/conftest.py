"""Fixtures for the corpus manifest tests: the real shared corpora, and an isolated environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


#: ``$NLPKIT_CORPORA`` or ``../shared/corpora`` beside the checkout, read before any test changes the environment.
SHARED = Path(os.environ.get("NLPKIT_CORPORA") or REPO.parent / "shared" / "corpora")


@pytest.fixture
def shared() -> Path:
    """The real corpora folder; tests that need it are skipped when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real corpora not found at {SHARED}; set NLPKIT_CORPORA to the shared corpora folder")
    return SHARED


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep downloads and lookups out of the user's cache and away from $NLPKIT_CORPORA."""
    monkeypatch.setenv("NLPKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NLPKIT_CORPORA", raising=False)
