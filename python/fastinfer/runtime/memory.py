"""Tensor memory: a caching pool of aligned blocks, and a static arena planner.

The pool hands out numpy arrays whose memory is a 64-byte aligned block. When an array (and
every view of it) is gone, its block goes back to the pool's cache and serves the next
request of the same size class, so a model run allocates from the OS only on its first call.
The kernels allocate their outputs and scratch from :func:`default_pool`.

The planner assigns every tensor of a graph an offset in one arena, given the interval of
ops in which the tensor is live, so that tensors alive at the same time never share bytes.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from .. import _core

__all__ = [
    "DEFAULT_MAX_CACHED_BYTES",
    "ArenaPlan",
    "Pool",
    "default_pool",
    "empty",
    "plan_arena",
    "size_class",
    "stats",
    "trim",
]

#: The cache bound of a new :class:`Pool` and of the default pool (256 MiB).
DEFAULT_MAX_CACHED_BYTES = 256 << 20

ShapeLike = Union[int, Sequence[int]]


def _nonnegative_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if n < 0:
        raise ValueError(f"{name} must be >= 0, got {n}")
    if n >= 1 << 63:
        raise ValueError(f"{name} must be < 2**63, got {n}")
    return n


def size_class(nbytes: int) -> int:
    """The block size a request of `nbytes` is served with.

    Four classes per power of two (``2**k`` times 1, 1.25, 1.5, 1.75), rounded up to a
    multiple of 64 bytes, at least 64: at most a quarter of a block is wasted, and requests
    of nearby sizes share cached blocks.
    """
    return int(_core.pool_size_class(_nonnegative_int(nbytes, "nbytes")))


class Pool:
    """A thread-safe caching pool of 64-byte aligned blocks for numpy arrays.

    Parameters
    ----------
    max_cached_bytes : int, optional
        Bound on the bytes of freed blocks kept for reuse. A block freed while the cache is
        full is released to the OS. Settable later through :attr:`max_cached_bytes`.

    Notes
    -----
    An array from :meth:`empty` keeps its block, and the pool's bookkeeping, alive: deleting
    the ``Pool`` while its arrays (or views of them) live is safe.
    """

    __slots__ = ("_pool",)

    def __init__(self, max_cached_bytes: int = DEFAULT_MAX_CACHED_BYTES) -> None:
        self._pool = _core.Pool(_nonnegative_int(max_cached_bytes, "max_cached_bytes"))

    @classmethod
    def _wrap(cls, core_pool: Any) -> Pool:
        self = cls.__new__(cls)
        self._pool = core_pool
        return self

    def empty(self, shape: ShapeLike, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """An uninitialised C-contiguous array whose memory is a block of this pool.

        Parameters
        ----------
        shape : int or sequence of int
            Dimensions, each >= 0.
        dtype : numpy dtype-like, default ``numpy.float32``
            Any dtype that holds no Python objects.

        Returns
        -------
        numpy.ndarray
            Writable, 64-byte aligned. Its block returns to the pool when the array and all
            views of it are gone.

        Raises
        ------
        TypeError
            `shape` is not an int or a sequence of ints, or `dtype` is not a dtype or holds
            Python objects.
        ValueError
            A dimension is negative, or the size in bytes overflows.
        MemoryError
            The OS refuses the memory.
        """
        return self._pool.empty(shape, dtype)

    def stats(self) -> dict[str, int]:
        """Counters of this pool.

        Returns
        -------
        dict
            ``bytes_in_use`` (block bytes held by live arrays), ``peak_bytes`` (its high-water
            mark since creation or :meth:`reset_peak`), ``bytes_cached``, ``cached_blocks``,
            ``max_cached_bytes``, ``allocations`` (= ``hits`` + ``misses``), ``hits`` (served
            from the cache), ``misses`` (served by the OS), ``released`` (blocks given back
            to the OS). Byte counts are of whole blocks (size classes), not of requests.
        """
        return {k: int(v) for k, v in self._pool.stats().items()}

    def trim(self) -> None:
        """Release every cached block to the OS; live arrays are untouched."""
        self._pool.trim()

    def reset_peak(self) -> None:
        """Restart the high-water mark ``peak_bytes`` from the current ``bytes_in_use``."""
        self._pool.reset_peak()

    @property
    def max_cached_bytes(self) -> int:
        """The cache bound in bytes; lowering it releases cached blocks, largest first."""
        return int(self._pool.max_cached_bytes)

    @max_cached_bytes.setter
    def max_cached_bytes(self, value: int) -> None:
        self._pool.max_cached_bytes = _nonnegative_int(value, "max_cached_bytes")

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"Pool(in_use={_format_bytes(s['bytes_in_use'])}, "
            f"cached={_format_bytes(s['bytes_cached'])}, "
            f"max_cached={_format_bytes(s['max_cached_bytes'])})"
        )


_DEFAULT_POOL = Pool._wrap(_core.default_pool())


def default_pool() -> Pool:
    """The process-wide pool the kernels allocate their outputs and scratch from."""
    return _DEFAULT_POOL


def empty(shape: ShapeLike, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """An uninitialised array from the default pool; see :meth:`Pool.empty`."""
    return _DEFAULT_POOL.empty(shape, dtype)


def stats() -> dict[str, int]:
    """Counters of the default pool; see :meth:`Pool.stats`."""
    return _DEFAULT_POOL.stats()


def trim() -> None:
    """Release the default pool's cached blocks to the OS."""
    _DEFAULT_POOL.trim()


def _format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    raise AssertionError("unreachable")


@dataclass(frozen=True, eq=False)
class ArenaPlan:
    """Where each tensor lives in one arena.

    Attributes
    ----------
    offsets : numpy.ndarray
        int64, one per tensor, multiples of the alignment; read-only.
    arena_bytes : int
        Size of the arena the offsets need.
    lower_bound_bytes : int
        The most aligned bytes live at any one op: no plan can use less.
    tensor_bytes : int
        The sum of the tensor sizes, what separate allocations would need.
    """

    offsets: np.ndarray
    arena_bytes: int
    lower_bound_bytes: int
    tensor_bytes: int

    def summary(self) -> str:
        """One line, e.g. ``"arena 1.2 MiB for 3.4 MiB of tensors (lower bound 1.1 MiB)"``."""
        return (
            f"arena {_format_bytes(self.arena_bytes)} for {_format_bytes(self.tensor_bytes)}"
            f" of tensors (lower bound {_format_bytes(self.lower_bound_bytes)})"
        )


def _int64_vector(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size == 0 and arr.ndim == 1:
        return np.zeros(0, dtype=np.int64)  # [] has dtype float64; it holds no non-integer
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name} has values beyond the int64 range")
    return np.ascontiguousarray(arr, dtype=np.int64)


def plan_arena(
    sizes: npt.ArrayLike,
    lifetimes: npt.ArrayLike | None = None,
    *,
    first_use: npt.ArrayLike | None = None,
    last_use: npt.ArrayLike | None = None,
    alignment: int = 64,
) -> ArenaPlan:
    """Place tensors in one arena so that tensors live at the same time never overlap.

    Greedy by size, as TFLite's arena planner: the largest tensors are placed first, each
    at the lowest offset that clears the tensors it is live with.

    Parameters
    ----------
    sizes : array_like of int
        Bytes of each tensor, >= 0.
    lifetimes : array_like of int, shape (n, 2), optional
        ``[first_use, last_use]`` per tensor: inclusive op indices, ``0 <= first <= last``.
    first_use, last_use : array_like of int, shape (n,), optional
        The same, as two arrays; give either these or `lifetimes`.
    alignment : int, default 64
        Every offset is a multiple of it and sizes are rounded up to it; a power of two.

    Returns
    -------
    ArenaPlan

    Raises
    ------
    TypeError
        Non-integer inputs, or lifetimes given both ways or not at all.
    ValueError
        Mismatched lengths, a negative size or op index, ``last_use < first_use`` (the
        message names the tensor), or a bad alignment.
    """
    if lifetimes is not None:
        if first_use is not None or last_use is not None:
            raise TypeError("give lifetimes or first_use/last_use, not both")
        spans = np.asarray(lifetimes)
        if spans.size == 0:
            spans = np.zeros((0, 2), dtype=np.int64)
        if spans.ndim != 2 or spans.shape[1] != 2:
            raise ValueError(f"lifetimes must have shape (n, 2), got {spans.shape}")
        first = _int64_vector(spans[:, 0], "lifetimes")
        last = _int64_vector(spans[:, 1], "lifetimes")
    elif first_use is not None and last_use is not None:
        first = _int64_vector(first_use, "first_use")
        last = _int64_vector(last_use, "last_use")
    else:
        raise TypeError("plan_arena needs lifetimes, or both first_use and last_use")
    size_arr = _int64_vector(sizes, "sizes")
    align = _nonnegative_int(alignment, "alignment")
    out = _core.plan_arena(size_arr, first, last, align)
    offsets = np.asarray(out["offsets"], dtype=np.int64)
    offsets.setflags(write=False)
    return ArenaPlan(
        offsets=offsets,
        arena_bytes=int(out["arena_bytes"]),
        lower_bound_bytes=int(out["lower_bound_bytes"]),
        tensor_bytes=sum(size_arr.tolist()),  # Python ints: exact even where int64 would wrap
    )
