"""Exceptions raised by fastinfer. Each subclasses a built-in so callers can catch either."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager


class FastInferError(Exception):
    """Base class of every fastinfer-specific error."""


class InvalidModelError(FastInferError, ValueError):
    """The model cannot be read or is not valid ONNX (corrupt, truncated, wrong format,
    unsafe external data location, opset too old, inconsistent graph)."""


class UnsupportedOpError(FastInferError, NotImplementedError):
    """The native backend has no kernel for some ops of the model.

    ``ops`` lists every unsupported op type (with the nodes using them)."""

    def __init__(self, message: str, ops: list[str] | None = None) -> None:
        super().__init__(message)
        self.ops = list(ops or [])


class InputError(FastInferError, ValueError):
    """Inputs given to a model do not match it: missing, extra, wrong rank or a dim that
    contradicts the model. Wrong dtypes raise :class:`InputTypeError`."""


class InputTypeError(FastInferError, TypeError):
    """An input has the wrong type or dtype for the model."""


class DeviceError(FastInferError, RuntimeError):
    """The requested device is not available (never a silent fall back to another one)."""


class KernelError(FastInferError, ValueError):
    """A native kernel refused a node while building or running a plan: sizes, dtypes or
    attributes it cannot handle, or input values out of range (an index past the end).
    ``node`` names the node and ``op`` its type."""

    def __init__(self, message: str, node: str = "", op: str = "") -> None:
        super().__init__(message)
        self.node, self.op = node, op


class ExecutionError(FastInferError, RuntimeError):
    """A native step failed at run time for a reason other than its inputs."""

    def __init__(self, message: str, node: str = "", op: str = "") -> None:
        super().__init__(message)
        self.node, self.op = node, op


_WHERE = re.compile(r"^(?P<op>[A-Za-z0-9_.]+) '(?P<node>[^']*)': ")


# The exceptions pybind11 makes of the core's std::invalid_argument, std::out_of_range and
# std::runtime_error; callers catch these and pass them to translate_native().
NATIVE_EXCEPTIONS = (ValueError, IndexError, RuntimeError)


def translate_native(exc: Exception) -> Exception:
    """The one place where errors of the C++ side become the package's exceptions.

    The core throws std::invalid_argument / std::out_of_range / std::runtime_error whose
    message starts with the step ("MatMul 'mm1': ..."); pybind11 turns them into
    ValueError / IndexError / RuntimeError. They become KernelError (a ValueError) or
    ExecutionError (a RuntimeError) with ``node`` and ``op`` set; the package's own errors
    are returned unchanged. Use as ``except NATIVE_EXCEPTIONS as e: raise
    translate_native(e) from e`` (a plain try costs nothing on the hot path).
    """
    if isinstance(exc, FastInferError) or not isinstance(exc, NATIVE_EXCEPTIONS):
        return exc
    m = _WHERE.match(str(exc))
    node, op = (m["node"], m["op"]) if m else ("", "")
    cls = ExecutionError if isinstance(exc, RuntimeError) else KernelError
    return cls(str(exc), node=node, op=op)


@contextmanager
def native_errors() -> Iterator[None]:
    """translate_native() as a context manager, for code off the hot path."""
    try:
        yield
    except NATIVE_EXCEPTIONS as exc:
        translated = translate_native(exc)
        if translated is exc:
            raise
        raise translated from exc
