"""Where files are: nlpkit's own user cache directory, and data files inside installed packages."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import UsageError

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


def package_file(spec: str) -> Path:
    """``PACKAGE/FILE`` (``jieba/dict.txt``): a data file shipped inside an installed Python
    package, found without importing the package."""
    package, _, file = spec.partition("/")
    if not package or not file:
        raise UsageError(f"'package:{spec}' needs the form package:PACKAGE/FILE, e.g. package:jieba/dict.txt.")
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise UsageError(f"'package:{spec}': no installed Python package '{package}'; install it first.")
    for folder in found.submodule_search_locations:
        path = Path(folder, file)
        if path.is_file():
            return path
    raise UsageError(f"'package:{spec}': package '{package}' has no file '{file}'.")
