"""Benchmark settings. Thread count for every library comes from FASTINFER_BENCH_THREADS
(default 1); it must be set before numpy loads OpenBLAS, hence here, at collection."""

from __future__ import annotations

import os

THREADS = int(os.environ.get("FASTINFER_BENCH_THREADS", "1"))
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import fastinfer  # noqa: E402

fastinfer.set_num_threads(THREADS)
