"""Where nlpkit keeps files of its own: the user cache directory."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "NLPKIT_CACHE_DIR"


def cache_dir(*parts: str) -> Path:
    """``$NLPKIT_CACHE_DIR`` or the platform's user cache dir for nlpkit, created on demand."""
    root = os.environ.get(CACHE_ENV)
    if not root:
        import platformdirs

        root = platformdirs.user_cache_dir("nlpkit", appauthor=False)
    path = Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
