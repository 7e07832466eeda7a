"""Thread pools: one per owner, checked sizes, and core claims that keep processes apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import fastinfer
from fastinfer import _core

# Child processes run on (at most) these two cores, whatever this machine has.
CORES = sorted(os.sched_getaffinity(0))[:2]
FLOAT32 = 1  # ONNX dtype code


def matmul_plan(m: int, k: int, n: int, w: np.ndarray) -> _core.Plan:
    """A one-step MatMul plan (large enough that the GEMM splits over every thread)."""
    p = _core.Plan()
    a = p.add_input(FLOAT32, [m, k], "a")
    b = p.add_constant(w, "w")
    out = p.add_output(FLOAT32, [m, n], "y")
    p.add_step("MatMul", "mm", [a, b], [out], {})
    p.finalize()
    return p


@pytest.fixture
def plan_case(rng):
    w = rng.standard_normal((256, 384)).astype(np.float32)
    x = rng.standard_normal((192, 256)).astype(np.float32)
    return matmul_plan(192, 256, 384, w), x, x.astype(np.float64) @ w


def run_until_all_threads_joined(plan, x, expected, pool: fastinfer.ThreadPool) -> None:
    """Runs until a job ran on every thread of `pool` (a worker woken late can find the
    caller already done on a loaded machine), checking every result."""
    for _ in range(200):
        (y,) = plan.run([x], pool=pool._pool)
        np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-3)
        if pool.stats()["most_threads"] == pool.num_threads:
            return


def test_pools_of_different_sizes_run_concurrently_on_their_own_count(plan_case):
    plan, x, expected = plan_case
    small, big = fastinfer.ThreadPool(1), fastinfer.ThreadPool(len(os.sched_getaffinity(0)))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def caller(pool: fastinfer.ThreadPool) -> None:
        try:
            start.wait()
            run_until_all_threads_joined(plan, x, expected, pool)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=caller, args=(p,)) for p in (small, big)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    s, b = small.stats(), big.stats()
    # The 1-thread pool never hands work out; the big one ran jobs on all its threads.
    assert s["jobs"] > 0 and s["parallel_jobs"] == 0 and s["most_threads"] == 1
    assert b["most_threads"] == big.num_threads
    if big.num_threads > 1:
        assert b["parallel_jobs"] > 0


def test_callers_of_one_pool_take_turns(plan_case):
    plan, x, expected = plan_case
    pool = fastinfer.ThreadPool(len(os.sched_getaffinity(0)))
    errors: list[str] = []

    def caller() -> None:
        for _ in range(5):
            (y,) = plan.run([x], pool=pool._pool)
            if not np.allclose(y, expected, rtol=1e-4, atol=1e-3):
                errors.append("wrong result")

    threads = [threading.Thread(target=caller) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    stats = pool.stats()
    assert stats["jobs"] >= 20
    if pool.num_threads > 1:
        # Each run had the pool to itself: no job fell back to inline for finding it busy.
        assert stats["parallel_jobs"] == stats["jobs"]


def test_default_pool_size_does_not_change_a_pool(plan_case):
    plan, x, expected = plan_case
    original = fastinfer.get_num_threads()
    pool = fastinfer.ThreadPool(1)
    try:
        fastinfer.set_num_threads(len(os.sched_getaffinity(0)))
        for _ in range(3):
            (y,) = plan.run([x], pool=pool._pool)
            np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-3)
    finally:
        fastinfer.set_num_threads(original)
    assert pool.stats()["parallel_jobs"] == 0
    assert pool.num_threads == 1


@pytest.mark.parametrize("make", [fastinfer.ThreadPool, fastinfer.set_num_threads])
def test_bad_thread_counts(make):
    limit = len(os.sched_getaffinity(0))
    name = "num_threads" if make is fastinfer.ThreadPool else "n"
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        make(0)
    with pytest.raises(ValueError, match="num_threads must be >= 1, got -3"):
        make(-3)
    message = rf"num_threads must be <= {limit}, the cores this process may use \(its affinity"
    with pytest.raises(ValueError, match=message):
        make(limit + 1)
    with pytest.raises(ValueError, match=message):
        make(1000)
    for bad in (2.0, "2", True, None):
        with pytest.raises(TypeError, match=f"{name} must be an int, got {type(bad).__name__}"):
            make(bad)


def test_core_binding_checks_counts_too():
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        _core.ThreadPool(0)
    with pytest.raises(ValueError, match="the cores this process may use"):
        _core.ThreadPool(len(os.sched_getaffinity(0)) + 1)


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def test_pools_join_their_workers_when_dropped():
    before = thread_count()
    pools = [fastinfer.ThreadPool(len(os.sched_getaffinity(0))) for _ in range(20)]
    assert thread_count() == before + 20 * (pools[0].num_threads - 1)
    del pools
    assert thread_count() == before


# --- pinning, across real processes --------------------------------------------------

CHILD = """
import json, os, sys
os.sched_setaffinity(0, {cores})
import fastinfer
pools = [fastinfer.ThreadPool(n) for n in {sizes}]
print(json.dumps([dict(cpus=list(p.cpus), caller=p._pool._caller_cpus()) for p in pools]))
sys.stdout.flush()
sys.stdin.readline()  # holds its claims until the test lets it go
"""


@contextmanager
def child(sizes: list[int], lock_dir, **env: str) -> Iterator[tuple[int, list[dict]]]:
    """A process holding pools of `sizes` threads on CORES; yields its pid and, per pool,
    the claimed cores and the caller's affinity while the pool is installed."""
    with subprocess.Popen(
        [sys.executable, "-c", CHILD.format(cores=CORES, sizes=sizes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FASTINFER_CORE_LOCK_DIR": str(lock_dir), **env},
    ) as proc:  # leaving closes its stdin, which lets it exit, and waits for it
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        yield proc.pid, json.loads(line)


def parse_cpu_list(text: str) -> list[int]:
    cpus: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def thread_affinities(pid: int) -> list[list[int]]:
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("Cpus_allowed_list:"):
                    out.append(parse_cpu_list(line.split(":", 1)[1].strip()))
    return out


def test_processes_pin_to_different_cores_and_the_rest_run_unpinned(tmp_path):
    with child([1], tmp_path) as (_, first):
        claimed = [first[0]["cpus"]]
        # The caller is pinned to the claimed core while the pool is installed.
        assert first[0]["caller"] == first[0]["cpus"] and len(first[0]["cpus"]) == 1
        with child([1], tmp_path) as (_, second):
            claimed.append(second[0]["cpus"])
            if len(CORES) == 2:
                assert second[0]["caller"] == second[0]["cpus"]
                assert sorted(claimed[0] + claimed[1]) == CORES
            # Every core is held by another process now: no claim, the caller keeps its mask.
            with child([1], tmp_path) as (_, third):
                assert third[0]["cpus"] == []
                assert third[0]["caller"] == CORES
    # The locks went with the processes.
    with child([len(CORES)], tmp_path) as (_, again):
        assert again[0]["cpus"] == CORES


def test_workers_are_pinned_to_the_claimed_cores(tmp_path):
    with child([len(CORES)], tmp_path) as (pid, pools):
        cpus = pools[0]["cpus"]
        assert cpus == CORES
        pinned = sorted(a[0] for a in thread_affinities(pid) if len(a) == 1)
        # One worker per claimed core other than the caller's (the first, until a job runs).
        assert pinned == cpus[1:]


def test_pools_of_one_process_share_cores_only_when_none_is_free(tmp_path):
    sizes = [1] * len(CORES) + [len(CORES)]
    with child(sizes, tmp_path) as (_, pools):
        singles = [p["cpus"] for p in pools[:-1]]
        assert sorted(c for s in singles for c in s) == CORES
        assert pools[-1]["cpus"] == CORES  # shares this process's cores
        with child([1], tmp_path) as (_, other):
            assert other[0]["cpus"] == []


def test_env_turns_pinning_off(tmp_path):
    with child([len(CORES)], tmp_path, FASTINFER_PIN="0") as (pid, pools):
        assert pools[0]["cpus"] == []
        assert pools[0]["caller"] == CORES
        assert all(a == CORES for a in thread_affinities(pid))


def test_two_models_keep_their_own_thread_counts():
    """Loading model B with other threads never changes model A's; concurrent calls each
    run on their own pool."""
    import threading

    import fastinfer
    from models import bert_inputs, bert_onnx

    data = bert_onnx()
    a = fastinfer.load(data, backend="native", num_threads=1)
    b = fastinfer.load(data, backend="native", num_threads=2)
    assert a._pool.num_threads == 1 and b._pool.num_threads == 2
    want = a(**bert_inputs(2, 64))
    errors = []

    def call(model):
        try:
            for _ in range(5):
                np.testing.assert_allclose(model(**bert_inputs(2, 64)), want, rtol=1e-5, atol=1e-5)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(m,)) for m in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert a._pool.stats()["most_threads"] <= 1
    assert b._pool.stats()["parallel_jobs"] > 0  # b really used its second thread
