"""CPU detection and the intra-op thread pool."""

from __future__ import annotations

from typing import Any

from . import _core


def cpu_info() -> dict[str, Any]:
    """Describe this CPU and the kernel path in use.

    Returns
    -------
    dict
        ``isa``: the path chosen at import (``"avx512_vnni"``, ``"avx512"``, ``"avx2"`` or
        ``"scalar"``; forced with ``FASTINFER_ISA``); ``best_isa``; ``supported_isas``;
        ``features``: what cpuid reports, masked by the register state the OS saves
        (``os_saves_ymm``, ``os_saves_zmm``); ``vendor``, ``brand``; ``num_threads``: the
        intra-op pool size; ``available_cores``: cores in this process's affinity mask.
    """
    return dict(_core.cpu_info())


def set_num_threads(n: int) -> None:
    """Set the intra-op thread pool size (the calling thread included).

    The default is the number of cores in the process's affinity mask.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """The intra-op thread pool size."""
    return int(_core.get_num_threads())
