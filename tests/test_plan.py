"""The compiled plan's core: tensors, aliases, arena placement, runs, errors, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fastinfer import _core

F32, I64 = 1, 7


def chain(n_steps: int, shape=(4, 5)):
    """x -> Copy -> t1 -> Copy -> ... -> y, every intermediate in the arena."""
    p = _core.Plan()
    x = p.add_input(F32, list(shape), "x")
    prev = x
    for i in range(n_steps - 1):
        t = p.add_intermediate(F32, list(shape), f"t{i}")
        p.add_step("Copy", f"copy{i}", [prev], [t])
        prev = t
    y = p.add_output(F32, list(shape), "y")
    p.add_step("Copy", "last", [prev], [y])
    p.finalize()
    return p


def test_chain_runs_and_reuses_arena_memory():
    p = chain(6)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    (y,) = p.run([x])
    np.testing.assert_array_equal(y, x)
    # 5 intermediates of 80 bytes, but only two live at once: the planner overlaps them.
    assert p.intermediate_bytes == 5 * 80
    assert p.arena_lower_bound == 2 * 128  # each aligned to 64 bytes
    assert p.arena_bytes == p.arena_lower_bound
    assert [op for op, _ in p.steps()] == ["Copy"] * 6


def test_alias_and_constant():
    p = _core.Plan()
    c = p.add_constant(np.arange(6, dtype=np.int64).reshape(2, 3), "c")
    a = p.add_alias(c, I64, [3, 2], "c_reshaped")
    y = p.add_output(I64, [3, 2], "y")
    p.add_step("Copy", "out", [a], [y])
    p.finalize()
    (out,) = p.run([])
    np.testing.assert_array_equal(out, np.arange(6).reshape(3, 2))
    assert p.constant_bytes == 48


def test_profile_returns_one_time_per_step():
    p = chain(3)
    outs, seconds = p.run([np.zeros((4, 5), np.float32)], profile=True)
    assert len(seconds) == 3 and all(s >= 0 for s in seconds)


def test_errors_are_clear():
    p = _core.Plan()
    x = p.add_input(F32, [2], "x")
    y = p.add_output(F32, [2], "y")
    with pytest.raises(ValueError, match="no native kernel for op NoSuchOp"):
        p.add_step("NoSuchOp", "n1", [x], [y])
    with pytest.raises(ValueError, match="cannot write to input 'x'"):
        p.add_step("Copy", "bad", [y], [x])
    with pytest.raises(ValueError, match="Copy 'mismatch': input float32\\[2\\] and output"):
        z = p.add_intermediate(F32, [3], "z")
        p.add_step("Copy", "mismatch", [x], [z])
    with pytest.raises(ValueError, match="dtype code 5 is not supported"):
        p.add_input(5, [1], "int16")
    with pytest.raises(ValueError, match="alias 'a' .* must have the size of 'x'"):
        p.add_alias(x, F32, [3], "a")
    p.add_step("Copy", "ok", [x], [y])
    with pytest.raises(RuntimeError, match="before finalize"):
        p.run([np.zeros(2, np.float32)])
    p.finalize()
    with pytest.raises(RuntimeError, match="plan is finalized"):
        p.add_input(F32, [1], "late")
    with pytest.raises(ValueError, match="plan expects 1 inputs, got 0"):
        p.run([])
    with pytest.raises(TypeError, match="input 'x' must have dtype float32, got float64"):
        p.run([np.zeros(2)])
    with pytest.raises(ValueError, match=r"input 'x' must have shape float32\[2\], got \(3,\)"):
        p.run([np.zeros(3, np.float32)])
    with pytest.raises(TypeError, match="input 'x' must be a numpy.ndarray"):
        p.run([[1.0, 2.0]])


def test_non_contiguous_input_is_copied_not_misread():
    p = chain(2, shape=(3, 2))
    x = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]
    (y,) = p.run([x])
    np.testing.assert_array_equal(y, x)


def test_concurrent_runs_get_their_own_arena():
    p = chain(8, shape=(64, 64))
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((64, 64)).astype(np.float32) for _ in range(8)]
    errors = []

    def worker(i):
        for _ in range(200):
            (y,) = p.run([inputs[i]])
            if not np.array_equal(y, inputs[i]):
                errors.append(i)
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert 1 <= p.arenas_allocated <= 8
