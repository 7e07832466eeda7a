"""fastinfer: fast CPU inference: int8/fp32 GEMM kernels, memory planning, batch packing.

The compiled core, ``fastinfer._core``, is private; this package re-exports a curated API.
"""

from __future__ import annotations

import sys

from . import kernels
from ._core import __version__
from .errors import (
    DeviceError,
    ExecutionError,
    FastInferError,
    InputError,
    InputTypeError,
    InvalidModelError,
    KernelError,
    UnsupportedOpError,
)
from .model import Model, TensorInfo, load
from .runtime import ThreadPool, cpu_info, get_num_threads, kernel_configs, memory, set_num_threads
from .runtime.devices import devices
from .serving import batch

# Public modules that now live in their layer's subpackage keep their top-level names, as
# attributes and for imports (``from fastinfer.memory import Pool``).
sys.modules[f"{__name__}.memory"] = memory
sys.modules[f"{__name__}.batch"] = batch

__all__ = [
    "DeviceError",
    "ExecutionError",
    "FastInferError",
    "InputError",
    "InputTypeError",
    "InvalidModelError",
    "KernelError",
    "Model",
    "TensorInfo",
    "ThreadPool",
    "UnsupportedOpError",
    "devices",
    "load",
    "__version__",
    "batch",
    "kernels",
    "cpu_info",
    "kernel_configs",
    "get_num_threads",
    "memory",
    "set_num_threads",
]
