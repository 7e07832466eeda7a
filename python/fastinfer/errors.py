"""Exceptions raised by fastinfer. Each subclasses a built-in so callers can catch either."""

from __future__ import annotations


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
