"""Many Python threads calling one model: throughput and cores busy, by policy.

    python bench/threads_policy.py [seconds per point]

Runs a small MLP plan (MatMul-Relu-MatMul, 128x512 -> 1024 -> 512) from 1, 2 and 4 Python
threads on a pool of 2, under the two policies:

- ``turns``: a ``ThreadPool(2)`` passed to ``Plan.run(pool=)``. Callers take turns (first
  come, first served), so one run uses the pool at a time, on both its threads.
- ``inline``: the process default pool of 2 (what every call used before pools): a call
  that finds the pool busy runs on its own thread instead, so n callers use up to n + 1
  threads.

"cores busy" is process CPU time over wall time (spinning workers count as busy).
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

import fastinfer
from fastinfer import _core

FLOAT32 = 1  # ONNX dtype code
POOL_THREADS = 2


def mlp_plan(rng: np.random.Generator) -> _core.Plan:
    p = _core.Plan()
    x = p.add_input(FLOAT32, [128, 512], "x")
    w1 = p.add_constant(rng.standard_normal((512, 1024)).astype(np.float32), "w1")
    w2 = p.add_constant(rng.standard_normal((1024, 512)).astype(np.float32), "w2")
    h = p.add_intermediate(FLOAT32, [128, 1024], "h")
    r = p.add_intermediate(FLOAT32, [128, 1024], "r")
    y = p.add_output(FLOAT32, [128, 512], "y")
    p.add_step("MatMul", "mm1", [x, w1], [h])
    p.add_step("Relu", "relu", [h], [r])
    p.add_step("MatMul", "mm2", [r, w2], [y])
    p.finalize()
    return p


def measure(plan: _core.Plan, x: np.ndarray, callers: int, pool, seconds: float) -> dict:
    stop = threading.Event()
    counts = [0] * callers

    def caller(i: int) -> None:
        while not stop.is_set():
            plan.run([x], pool=pool)
            counts[i] += 1

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    return {"runs_per_s": sum(counts) / wall, "cores_busy": cpu / wall}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    if len(os.sched_getaffinity(0)) < POOL_THREADS:
        sys.exit(f"needs {POOL_THREADS} cores in the affinity mask")
    rng = np.random.default_rng(0)
    plan = mlp_plan(rng)
    x = rng.standard_normal((128, 512)).astype(np.float32)
    fastinfer.set_num_threads(POOL_THREADS)
    pool = fastinfer.ThreadPool(POOL_THREADS)
    print(f"pool of {POOL_THREADS}, {len(os.sched_getaffinity(0))} cores in the mask")
    print("| policy | callers | runs/s | cores busy |")
    print("|---|---|---|---|")
    for name, p in (("turns", pool._pool), ("inline", None)):
        for callers in (1, 2, 4):
            r = measure(plan, x, callers, p, seconds)
            print(f"| {name} | {callers} | {r['runs_per_s']:.0f} | {r['cores_busy']:.2f} |")


if __name__ == "__main__":
    main()
