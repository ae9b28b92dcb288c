"""Shared fixtures: the real corpora (checked against the manifest), and a clean plugin state."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from nlpkit import plugins
from nlpkit.errors import InputError


@pytest.fixture(scope="session")
def corpus_file() -> Callable[[str, str], Path]:
    """``corpus_file("chnsenticorp", "dev")``: the verified path of a real corpus file.

    Skips when the corpora are absent (users without ../shared); a damaged file fails.
    """
    from nlpkit_corpora import corpus_path

    def find(name: str, file: str) -> Path:
        try:
            return corpus_path(name, file)
        except InputError as exc:
            if "not found" in str(exc):
                pytest.skip(str(exc))
            raise

    return find


@pytest.fixture
def fresh_plugins():
    """Reload plugins from entry points before and after the test (env vars re-read)."""
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for the module: tiny models run faster, and runs are repeatable."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def samples():  # type: ignore[no-untyped-def]
    """tests/tagging_samples.py: tiny NER and segmentation corpora written for the tests
    (loaded by path: the tests run with --import-mode=importlib, so it is no package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tagging_samples", Path(__file__).with_name("tagging_samples.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The run folder of a one-step classifier: any pipeline that is not a tagger or a
    language model, for the errors that other pipelines get."""
    from nlpkit.testing import train_config

    folder = tmp_path_factory.mktemp("tiny-classifier")
    (folder / "train.tsv").write_text("a\tx y\nb\ty z\n" * 4, encoding="utf-8")
    return train_config(folder, """
        [task]
        name = "classify"
        [corpus]
        train = "train.tsv"
        format = "label-tab-text"
        split = [0.5, 0.5]
        [tokenizer]
        name = "whitespace"
        [model]
        name = "gru"
        hidden_size = 4
        [trainer]
        name = "torch"
        max_steps = 1
    """)


@pytest.fixture(scope="session")
def repo_config() -> Callable[[str], dict]:
    """``repo_config("ner-conll2003.toml")``: a config of the repository's configs/ folder,
    loaded and validated; skips when the corpora it names are absent."""
    from nlpkit.config import load_config

    def load(name: str) -> dict:
        try:
            return load_config(Path(__file__).resolve().parents[1] / "configs" / name)
        except InputError as exc:
            if "not found" in str(exc):
                pytest.skip(str(exc))
            raise

    return load


@pytest.fixture(scope="session")
def local_ray():  # type: ignore[no-untyped-def]
    """A local Ray instance (2 CPUs, a small object store) for the tests of the Ray engine."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, object_store_memory=100 * 1024**2, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def pipelines():  # type: ignore[no-untyped-def]
    """``pipelines(name)``: a pretrained pipeline on the CPU, loaded once for the whole test run."""
    import nlpkit

    loaded: dict[str, object] = {}

    def get(name: str):  # type: ignore[no-untyped-def]
        if name not in loaded:
            loaded[name] = nlpkit.load(name, device="cpu")
        return loaded[name]

    return get
