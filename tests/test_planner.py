"""The static arena planner: no live overlap, alignment, quality against the lower bound."""

from __future__ import annotations

import numpy as np
import pytest

from fastinfer.runtime.memory import ArenaPlan, plan_arena


def aligned(sizes: np.ndarray, alignment: int = 64) -> np.ndarray:
    return (sizes + alignment - 1) // alignment * alignment


def check_plan(plan: ArenaPlan, sizes, first, last, alignment: int = 64) -> None:
    """Asserts every property a plan promises, pairwise with numpy."""
    sizes, first, last = (np.asarray(x, dtype=np.int64) for x in (sizes, first, last))
    off = plan.offsets
    assert off.dtype == np.int64 and off.shape == sizes.shape
    assert (off % alignment == 0).all() and (off >= 0).all()
    s = aligned(sizes, alignment)
    assert (off + s <= plan.arena_bytes).all()
    live_together = (first[:, None] <= last[None, :]) & (first[None, :] <= last[:, None])
    starts_below_end = off[:, None] < off[None, :] + s[None, :]
    share_bytes = starts_below_end & starts_below_end.T
    clash = live_together & share_bytes
    np.fill_diagonal(clash, False)
    assert not clash.any(), f"tensors {np.argwhere(clash)[0]} are live together and overlap"
    # The lower bound, recomputed by brute force over op indices.
    if len(s):
        ops = np.arange(last.max() + 1)
        live = (first[None, :] <= ops[:, None]) & (ops[:, None] <= last[None, :])
        assert plan.lower_bound_bytes == int((live * s).sum(axis=1).max())
    else:
        assert plan.lower_bound_bytes == 0
    assert plan.arena_bytes >= plan.lower_bound_bytes
    assert plan.tensor_bytes == int(sizes.sum())


def network_like(rng: np.random.Generator):
    """Mostly short-lived activations, plus ~10% long-lived ones (skip connections)."""
    n = int(rng.integers(1, 301))
    sizes = rng.integers(1, 1 << 20, size=n, endpoint=True)
    first = rng.integers(0, n, size=n)
    span = rng.geometric(0.3, size=n) - 1
    long_lived = rng.random(n) < 0.1
    span[long_lived] = rng.integers(0, n, size=int(long_lived.sum()))
    return sizes, first, first + span


def test_random_problems_are_valid_and_close_to_the_lower_bound():
    rng = np.random.default_rng(20240601)
    ratios = []
    for _ in range(200):
        sizes, first, last = network_like(rng)
        plan = plan_arena(sizes, first_use=first, last_use=last)
        check_plan(plan, sizes, first, last)
        ratios.append(plan.arena_bytes / plan.lower_bound_bytes)
    ratios = np.array(ratios)
    # Measured with this seed: mean 1.038, 95th percentile 1.11, worst 1.237.
    assert ratios.mean() <= 1.15
    assert ratios.max() <= 1.25, f"worst arena / lower bound {ratios.max():.3f}"


def test_random_lifetimes_as_pairs_and_other_alignments():
    rng = np.random.default_rng(7)
    for alignment in (1, 16, 4096):
        sizes = rng.integers(0, 50_000, size=120)
        first = rng.integers(0, 60, size=120)
        last = first + rng.integers(0, 30, size=120)
        plan = plan_arena(sizes, np.stack([first, last], axis=1), alignment=alignment)
        check_plan(plan, sizes, first, last, alignment)


def test_large_input_releases_the_gil_and_stays_valid():
    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 1 << 16, size=2000)
    first = rng.integers(0, 3000, size=2000)
    last = first + rng.integers(0, 200, size=2000)
    plan = plan_arena(sizes, first_use=first, last_use=last)
    check_plan(plan, sizes, first, last)


def test_empty_input():
    plan = plan_arena([], first_use=[], last_use=[])
    assert plan.offsets.shape == (0,) and plan.arena_bytes == plan.lower_bound_bytes == 0
    assert plan.summary() == "arena 0 B for 0 B of tensors (lower bound 0 B)"
    assert plan_arena([], []).arena_bytes == 0


def test_one_tensor():
    plan = plan_arena([100], [(3, 5)])
    assert plan.offsets.tolist() == [0]
    assert plan.arena_bytes == plan.lower_bound_bytes == 128


def test_disjoint_lifetimes_share_everything():
    sizes = [1000, 5000, 300, 4096]
    plan = plan_arena(sizes, [(i, i) for i in range(4)])
    assert plan.offsets.tolist() == [0, 0, 0, 0]
    assert plan.arena_bytes == plan.lower_bound_bytes == int(aligned(np.array([5000]))[0])


def test_overlapping_lifetimes_need_the_sum():
    sizes = np.array([1000, 5000, 300, 4096])
    plan = plan_arena(sizes, [(0, 9)] * 4)
    check_plan(plan, sizes, [0] * 4, [9] * 4)
    assert plan.arena_bytes == plan.lower_bound_bytes == int(aligned(sizes).sum())
    assert sorted(plan.offsets.tolist()) == [0, 5056, 5056 + 4096, 5056 + 4096 + 1024]


def test_zero_sized_tensors_take_no_space():
    plan = plan_arena([0, 64, 0], [(0, 2)] * 3)
    assert plan.arena_bytes == 64 and plan.offsets.tolist() == [0, 0, 0]


def test_ends_and_starts_at_adjacent_ops_reuse_memory():
    # Tensor 0 dies after op 1; tensor 1 is born at op 2: they may share bytes.
    plan = plan_arena([4096, 4096], [(0, 1), (2, 3)])
    assert plan.arena_bytes == plan.lower_bound_bytes == 4096


def test_summary_and_plan_is_frozen():
    mib = 1 << 20
    plan = plan_arena([mib, 3 * mib, mib // 2], [(0, 1), (1, 2), (2, 3)])
    assert plan.summary() == "arena 4.0 MiB for 4.5 MiB of tensors (lower bound 4.0 MiB)"
    with pytest.raises(AttributeError):
        plan.arena_bytes = 0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        plan.offsets[0] = 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sizes": [1, -5], "lifetimes": [(0, 1), (0, 1)]}, ValueError, "tensor 1: size"),
        ({"sizes": [1, 2], "lifetimes": [(0, 1), (3, 2)]}, ValueError, r"tensor 1: last_use \(2\)"),
        ({"sizes": [1], "lifetimes": [(-1, 2)]}, ValueError, "tensor 0: first_use must be >= 0"),
        ({"sizes": [1, 2], "lifetimes": [(0, 1)]}, ValueError, "same length"),
        ({"sizes": [1.5], "lifetimes": [(0, 1)]}, TypeError, "sizes must hold integers"),
        ({"sizes": [[1]], "lifetimes": [(0, 1)]}, ValueError, "sizes must be one-dimensional"),
        ({"sizes": [1], "lifetimes": [(0, 1, 2)]}, ValueError, r"shape \(n, 2\)"),
        ({"sizes": [1]}, TypeError, "needs lifetimes"),
        ({"sizes": [1], "lifetimes": [(0, 1)], "first_use": [0]}, TypeError, "not both"),
        ({"sizes": [1], "lifetimes": [(0, 1)], "alignment": 48}, ValueError, "power of two"),
        ({"sizes": [1], "lifetimes": [(0, 1)], "alignment": 0}, ValueError, "power of two"),
        ({"sizes": [2**63 - 10], "lifetimes": [(0, 1)]}, ValueError, "overflows when aligned"),
        (
            {"sizes": [2**62, 2**62], "lifetimes": [(0, 1), (0, 1)]},
            OverflowError,
            "overflows a 64-bit",
        ),
    ],
)
def test_invalid_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plan_arena(**kwargs)


def test_the_checker_catches_an_overlap():
    # Guards the test itself: a plan that stacks two live tensors must be rejected.
    good = plan_arena([100, 100], [(0, 1), (1, 2)])
    bad = ArenaPlan(np.zeros(2, dtype=np.int64), 128, 256, 200)
    check_plan(good, [100, 100], [0, 1], [1, 2])
    with pytest.raises(AssertionError, match="live together and overlap"):
        check_plan(bad, [100, 100], [0, 1], [1, 2])
