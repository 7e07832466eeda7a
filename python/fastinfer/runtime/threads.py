"""CPU detection and the intra-op thread pools."""

from __future__ import annotations

import logging
from typing import Any

from .. import _core

_log = logging.getLogger("fastinfer.kernels")


def cpu_info() -> dict[str, Any]:
    """Describe this CPU and the kernel path in use.

    Returns
    -------
    dict
        ``isa``: the path chosen at import (``"avx512_vnni"``, ``"avx512"``, ``"avx2"`` or
        ``"scalar"``; forced with ``FASTINFER_ISA``); ``best_isa``; ``supported_isas``;
        ``features``: what cpuid reports, masked by the register state the OS saves
        (``os_saves_ymm``, ``os_saves_zmm``); ``vendor``, ``brand``; ``num_threads``: the
        process default pool's size; ``available_cores``: cores in this process's affinity
        mask; ``kernels``: the kernels each family's configuration table chose for the
        path in use (see :func:`kernel_configs`).
    """
    info = dict(_core.cpu_info())
    info["kernels"] = kernel_configs()
    return info


def kernel_configs() -> dict[str, str]:
    """The kernel each family (``gemm_f32``, ``gemm_u8s8``, ...) uses on the active path.

    Each family fills its table once when the module loads, from ``FASTINFER_ISA`` or
    cpuid; the choice is also logged at debug level on the ``fastinfer.kernels`` logger.
    """
    return dict(_core.kernel_configs())


def _log_kernel_configs() -> None:
    if _log.isEnabledFor(logging.DEBUG):
        _log.debug(
            "kernel path %s: %s",
            _core.active_isa(),
            ", ".join(f"{k}={v}" for k, v in kernel_configs().items()),
        )


_log_kernel_configs()


def _check_count(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__}")
    return n


def set_num_threads(n: int) -> None:
    """Set the process default pool's size (the calling thread included).

    The default pool runs everything not given its own :class:`ThreadPool`. The default
    size is the number of cores in the process's affinity mask, which is also the limit:
    ``ValueError`` for ``n < 1`` or more threads than cores this process may use.
    """
    _core.set_num_threads(_check_count("n", n))


def get_num_threads() -> int:
    """The process default pool's size."""
    return int(_core.get_num_threads())


class ThreadPool:
    """An intra-op thread pool of ``num_threads`` threads, the calling thread included.

    Work run on it (``_core.Plan.run(..., pool=pool._pool)``) uses exactly these threads,
    whatever other pools or :func:`set_num_threads` say. One run uses the pool at a time:
    other Python threads calling with the same pool wait their turn (first come, first
    served), so it keeps at most ``num_threads`` cores busy.

    Its threads are pinned to ``num_threads`` cores it claims machine-wide (one lock file per
    core), so processes on one machine never pin to the same cores; when it cannot claim that
    many, or ``FASTINFER_PIN=0``, the OS places them. Pools of one process may share cores
    once no unclaimed core is left. The workers stop when the pool is garbage collected.

    Raises
    ------
    TypeError
        ``num_threads`` is not an int.
    ValueError
        ``num_threads < 1``, or more than the cores in this process's affinity mask.
    """

    def __init__(self, num_threads: int) -> None:
        self._pool = _core.ThreadPool(_check_count("num_threads", num_threads))

    @property
    def num_threads(self) -> int:
        """Threads in the pool, the caller included."""
        return int(self._pool.num_threads)

    @property
    def cpus(self) -> tuple[int, ...]:
        """The cores the pool claimed and pins its threads to; empty when unpinned."""
        return tuple(self._pool.cpus)

    def stats(self) -> dict[str, int]:
        """``jobs``: parallel sections run on the pool; ``parallel_jobs``: those handed to
        the workers; ``most_threads``: most threads that ran tasks of one section."""
        return dict(self._pool.stats())

    def __repr__(self) -> str:
        return f"ThreadPool(num_threads={self.num_threads}, cpus={self.cpus})"
