"""The caching tensor pool: reuse, size classes, alignment, bounds, lifetimes, threads."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

from fastinfer import _core, memory
from fastinfer.runtime.memory import Pool


def address(arr: np.ndarray) -> int:
    return int(arr.__array_interface__["data"][0])


def test_empty_shape_dtype_and_default_dtype():
    pool = Pool()
    a = pool.empty((3, 5), np.int16)
    assert a.shape == (3, 5) and a.dtype == np.int16
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert pool.empty(7).dtype == np.float32
    assert pool.empty([2, np.int64(3)], "float64").shape == (2, 3)
    assert pool.empty((), np.float32).shape == ()
    assert pool.empty((0, 4), np.float32).size == 0


def test_free_then_same_size_is_a_hit_at_the_same_address():
    pool = Pool()
    a = pool.empty(1000, np.float32)
    addr = address(a)
    del a
    assert pool.stats()["bytes_cached"] == memory.size_class(4000)
    b = pool.empty(1000, np.float32)
    s = pool.stats()
    assert address(b) == addr
    assert (s["allocations"], s["hits"], s["misses"]) == (2, 1, 1)
    assert s["bytes_cached"] == 0


def test_size_classes():
    assert [memory.size_class(n) for n in (0, 1, 64, 65, 128, 129, 200, 257)] == [
        64,
        64,
        64,
        128,
        128,
        192,
        256,
        320,
    ]
    # Four classes per octave above 256 B: 1024, 1280, 1536, 1792, 2048.
    assert [memory.size_class(n) for n in (1000, 1025, 1281, 1537, 1793)] == [
        1024,
        1280,
        1536,
        1792,
        2048,
    ]
    for n in np.random.default_rng(0).integers(1, 1 << 30, size=1000):
        c = memory.size_class(int(n))
        assert c >= n and c % 64 == 0 and c <= max(64, 1.25 * n + 64)

    pool = Pool()
    a = pool.empty(1000, np.uint8)
    addr = address(a)
    del a
    same_class = pool.empty(1020, np.uint8)  # also 1024: served by the cached block
    assert address(same_class) == addr and pool.stats()["hits"] == 1
    bigger = pool.empty(1100, np.uint8)  # class 1280: a miss even though 1024 is free
    assert pool.stats()["misses"] == 2 and address(bigger) != addr
    del same_class
    smaller = pool.empty(10, np.uint8)  # class 64 is not served by the cached 1024 block
    assert address(smaller) != addr and pool.stats()["cached_blocks"] == 1


def test_blocks_are_64_byte_aligned():
    pool = Pool()
    arrays = [pool.empty(int(n), np.uint8) for n in range(1, 3000, 37)]
    assert all(address(a) % 64 == 0 for a in arrays)
    assert all(address(memory.empty(n, np.float64)) % 64 == 0 for n in (1, 9, 1000))


def test_stats_after_allocations_and_frees():
    pool = Pool()
    a = pool.empty(100, np.float32)  # 400 B -> 448
    b = pool.empty(1024, np.uint8)  # 1024
    s = pool.stats()
    assert s["bytes_in_use"] == 448 + 1024 == s["peak_bytes"]
    assert (s["allocations"], s["misses"], s["hits"]) == (2, 2, 0)
    del a
    s = pool.stats()
    assert (s["bytes_in_use"], s["bytes_cached"], s["cached_blocks"]) == (1024, 448, 1)
    assert s["peak_bytes"] == 1472
    pool.reset_peak()
    assert pool.stats()["peak_bytes"] == 1024
    del b
    s = pool.stats()
    assert (s["bytes_in_use"], s["bytes_cached"], s["peak_bytes"]) == (0, 1472, 1024)


def test_bounded_cache_releases_blocks_beyond_the_bound():
    pool = Pool(max_cached_bytes=4096)
    arrays = [pool.empty(1024, np.uint8) for _ in range(6)]
    addrs = [address(a) for a in arrays]
    del arrays
    s = pool.stats()
    assert (s["bytes_cached"], s["cached_blocks"], s["released"]) == (4096, 4, 2)
    # Only the four cached blocks come back; the other two were given to the OS.
    again = [pool.empty(1024, np.uint8) for _ in range(4)]
    assert pool.stats()["hits"] == 4 and set(map(address, again)) <= set(addrs)
    del again
    # Lowering the bound evicts; a block larger than the bound is never cached.
    pool.max_cached_bytes = 1024
    assert pool.max_cached_bytes == 1024 and pool.stats()["bytes_cached"] == 1024
    big = pool.empty(4096, np.uint8)
    del big
    assert pool.stats()["bytes_cached"] == 1024


def test_trim_empties_the_cache():
    pool = Pool()
    arrays = [pool.empty(n, np.uint8) for n in (10, 1000, 100_000)]
    del arrays
    assert pool.stats()["cached_blocks"] == 3
    pool.trim()
    s = pool.stats()
    assert (s["bytes_cached"], s["cached_blocks"], s["released"]) == (0, 0, 3)
    pool.empty(1000, np.uint8)
    assert pool.stats()["hits"] == 0


def test_views_keep_the_block_alive():
    pool = Pool()
    a = pool.empty(1024, np.float32)
    addr = address(a)
    a[:] = np.arange(1024, dtype=np.float32)
    view = a[512:].reshape(16, 32)
    del a
    gc.collect()
    assert pool.stats()["bytes_in_use"] == 4096
    view *= 2  # write through the view: the block is still ours
    # The same size class must not hand out the block the view still uses.
    b = pool.empty(1024, np.float32)
    assert address(b) != addr
    b[:] = -1
    np.testing.assert_array_equal(view.ravel(), 2 * np.arange(512, 1024, dtype=np.float32))
    del b, view
    s = pool.stats()
    assert (s["bytes_in_use"], s["cached_blocks"]) == (0, 2)


def test_view_chain_address_reused_only_after_last_view():
    pool = Pool()
    a = pool.empty(256, np.uint8)
    addr = address(a)
    v = a[::2][1:]
    del a
    assert address(pool.empty(256, np.uint8)) != addr  # temporary freed at once: cached
    del v
    # Now two blocks of the class are cached; the most recently freed comes back first.
    assert address(pool.empty(256, np.uint8)) == addr


def test_deleting_the_pool_while_arrays_live_is_safe():
    pool = Pool()
    a = pool.empty((64, 64), np.float64)
    v = a[10:20]
    cached = pool.empty(1000, np.uint8)
    del cached  # leaves a block in the cache of the pool being deleted
    del pool
    gc.collect()
    a[:] = 3.0
    assert float(v.sum()) == 3.0 * 10 * 64
    del a
    v[:] = 1.0
    assert float(v.sum()) == 640.0
    del v  # the last owner: the block and the pool's state go now


def test_default_pool_and_module_helpers():
    assert memory.default_pool() is memory.default_pool()
    memory.trim()
    before = memory.stats()
    a = memory.empty((10, 10))
    assert a.dtype == np.float32
    after = memory.stats()
    assert after["allocations"] == before["allocations"] + 1
    assert after["bytes_in_use"] == before["bytes_in_use"] + memory.size_class(400)
    del a
    assert memory.stats()["bytes_cached"] >= memory.size_class(400)
    memory.trim()
    assert memory.stats()["bytes_cached"] == 0


def test_python_threads_allocate_and_free_concurrently():
    pool = Pool(max_cached_bytes=1 << 20)
    errors: list[str] = []
    iterations = 400

    def worker(seed: int) -> None:
        rng = np.random.default_rng(seed)
        held: list[np.ndarray] = []
        for i in range(iterations):
            a = pool.empty(int(rng.integers(1, 20_000)), np.uint8)
            a.fill(seed)
            held.append(a)
            if len(held) > 3:
                old = held.pop(int(rng.integers(0, len(held))))
                if not (old == seed).all():
                    errors.append(f"thread {seed} iteration {i}: block overwritten")
        for a in held:
            if not (a == seed).all():
                errors.append(f"thread {seed}: block overwritten at the end")

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = pool.stats()
    assert errors == []
    assert s["bytes_in_use"] == 0
    assert s["allocations"] == 8 * iterations == s["hits"] + s["misses"]
    assert s["bytes_cached"] <= 1 << 20


def test_cpp_threads_stress_without_the_gil():
    pool = Pool(max_cached_bytes=1 << 20)
    errors = _core._pool_stress(pool._pool, threads=8, iterations=20_000, max_bytes=65_536, seed=7)
    s = pool.stats()
    assert errors == 0
    assert s["bytes_in_use"] == 0
    assert s["allocations"] == 8 * 20_000 == s["hits"] + s["misses"]
    assert s["hits"] > 0 and s["bytes_cached"] <= 1 << 20
    # What came from the OS either sits in the cache or went back: nothing leaked.
    assert s["misses"] == s["cached_blocks"] + s["released"]


@pytest.mark.parametrize(
    ("shape", "dtype", "error", "match"),
    [
        ((-1, 3), np.float32, ValueError, r"shape\[0\] must be >= 0"),
        ((2, 1.5), np.float32, TypeError, r"shape\[1\] must be an int"),
        ("ab", np.float32, TypeError, "shape must be an int or a sequence"),
        (None, np.float32, TypeError, "shape must be an int or a sequence"),
        ((True,), np.float32, TypeError, r"shape\[0\] must be an int, got bool"),
        (3, "not-a-dtype", TypeError, "dtype must be"),
        (3, object, TypeError, "holds Python objects"),
        ((1 << 40, 1 << 40), np.float32, ValueError, "overflows a 64-bit size"),
        ((1 << 61,), np.uint8, ValueError, "exceeds the largest block"),
        ((1,) * 33, np.uint8, ValueError, "at most 32"),
    ],
)
def test_bad_arguments(shape, dtype, error, match):
    with pytest.raises(error, match=match):
        Pool().empty(shape, dtype)


def test_allocation_the_os_refuses_is_a_memory_error():
    pool = Pool()
    with pytest.raises(MemoryError, match="cannot allocate"):
        pool.empty(1 << 57, np.uint8)  # 128 PiB: more than any address space maps
    assert pool.stats()["bytes_in_use"] == 0


def test_max_cached_bytes_validation():
    with pytest.raises(ValueError, match="max_cached_bytes must be >= 0"):
        Pool(max_cached_bytes=-1)
    with pytest.raises(TypeError, match="max_cached_bytes must be an int"):
        Pool(max_cached_bytes=1.5)
    pool = Pool()
    with pytest.raises(TypeError, match="got bool"):
        pool.max_cached_bytes = True
