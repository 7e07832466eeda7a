"""fastinfer: fast CPU inference: int8/fp32 GEMM kernels, memory planning, batch packing.

The compiled core, ``fastinfer._core``, is private; this package re-exports a curated API.
"""

from __future__ import annotations

from . import batch, kernels, memory
from ._core import __version__
from .devices import devices
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
from .runtime import ThreadPool, cpu_info, get_num_threads, set_num_threads

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
    "get_num_threads",
    "memory",
    "set_num_threads",
]
