"""Timing and error measures shared by the two halves of the demo."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def best_time(fn: Callable[[], object], min_seconds: float = 0.2) -> float:
    """Best per-call time over several batches of calls (noise only adds time)."""
    fn()
    reps, elapsed = 1, 0.0
    while elapsed < 0.02:
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - start
        reps *= 2
    best, spent = elapsed / (reps // 2), 0.0
    while spent < min_seconds:
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        run = time.perf_counter() - start
        spent += run
        best = min(best, run / reps)
    return best


def relative_error(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(y - ref).max() / (np.abs(ref).max() + 1e-12))
