"""Work buffers that one decoding call reuses from step to step.

Why: a Viterbi step's temporaries are arrays of a few hundred KB (states x sentences of
the chunk). Allocated anew every step, each comes back from the C allocator as fresh
pages (glibc returns such blocks to the system when freed), and the page faults cost
as much as the arithmetic: lexicalised UD UPOS decoding spent about 40 % of its pair-score
time on them. One buffer per purpose, grown when needed and sliced to each step's size,
touches its pages once per call.
"""

from __future__ import annotations

import math

import numpy as np


class Scratch:
    """Named flat buffers; :meth:`get` hands out a C-contiguous view of the first elements.

    A view is only valid until the next :meth:`get` of the same name: callers use it
    within the step that asked for it. One instance per decoding call (never shared
    between threads).
    """

    def __init__(self) -> None:
        self._buffers: dict[tuple[str, type], np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        """An uninitialised C-contiguous ``shape`` array of ``dtype`` backed by buffer ``name``."""
        size = math.prod(shape)
        key = (name, np.dtype(dtype).type)
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[key] = np.empty(size, dtype)
        return buffer[:size].reshape(shape)
