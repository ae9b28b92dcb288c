"""Recipes the configs' comments give, run as a user on a fresh clone would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_w2v_config_recipe_writes_its_corpus_into_a_folder_that_does_not_exist_yet(tmp_path, corpus_file):
    """configs/ner-conll2003-w2v.toml starts with `bench_word2vec.py --write-corpus runs/english.txt`;
    on a fresh clone runs/ does not exist."""
    corpus_file("conll2003", "train.txt")  # skips without the corpora
    target = tmp_path / "runs" / "english.txt"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_word2vec.py"), "--write-corpus", str(target),
                           "--max-words", "2000"], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert target.is_file() and len(target.read_text(encoding="utf-8").split()) >= 2000
