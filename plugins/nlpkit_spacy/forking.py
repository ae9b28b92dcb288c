"""torch on one thread in processes forked from one that holds an nlpkit model.

``nlp.pipe(texts, n_process=2)`` forks worker processes. torch's CPU thread pool does not
survive a fork: a worker that runs the model on the pool the parent had set up can hang
for ever. Each worker therefore runs torch on one thread, as PyTorch's own DataLoader
workers do; with several processes sharing the cores, one thread each is what they
should use anyway.
"""

from __future__ import annotations

import os

_registered = False


def one_torch_thread_after_fork() -> None:
    """Make every process forked from now on run torch on one thread (registered once)."""
    global _registered
    if _registered or not hasattr(os, "register_at_fork"):
        return
    os.register_at_fork(after_in_child=_one_thread)
    _registered = True


def _one_thread() -> None:
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
