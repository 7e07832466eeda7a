"""Batch packing for variable-length inference requests.

A request is a C-contiguous array of shape ``(L_i, *trailing)``: all requests of a batch
share ``trailing`` and the dtype, while the leading (sequence) length ``L_i`` varies and
may be 0. A dynamic batcher groups queued requests with :func:`bucket_by_length`, packs
each group with :func:`pack_padded` or :func:`pack_ragged`, runs the model, and splits
the result back per request with :func:`unpack_padded` or :func:`unpack_ragged`.

Copies are whole-row ``memcpy`` in the native core with the GIL released, so any
fixed-size dtype works (float, int, bool, ...). Arrays holding Python objects are
rejected, and non-contiguous arrays raise ``ValueError`` rather than being copied
silently: pass ``numpy.ascontiguousarray(x)`` if a view is what you have.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .. import _core

__all__ = [
    "PaddedBatch",
    "RaggedBatch",
    "bucket_by_length",
    "pack_padded",
    "pack_ragged",
    "unpack_padded",
    "unpack_ragged",
]

_INT64_MAX = int(np.iinfo(np.int64).max)


# eq=False: the fields are arrays, for which dataclass equality would be ambiguous.
@dataclass(frozen=True, eq=False)
class PaddedBatch:
    """Requests packed into one padded array.

    Attributes
    ----------
    data : numpy.ndarray
        ``(B, L_pad, *trailing)``, the requests' dtype; rows past a request's length hold
        the pad value.
    lengths : numpy.ndarray
        ``(B,)`` int64, the length ``L_i`` of each request.
    mask : numpy.ndarray
        ``(B, L_pad)`` bool, True where ``data`` holds a real row.
    """

    data: np.ndarray
    lengths: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True, eq=False)
class RaggedBatch:
    """Requests packed as concatenated rows.

    Attributes
    ----------
    data : numpy.ndarray
        ``(sum L_i, *trailing)``, the requests' rows back to back.
    offsets : numpy.ndarray
        ``(B + 1,)`` int64; request ``i`` is ``data[offsets[i]:offsets[i + 1]]``.
    """

    data: np.ndarray
    offsets: np.ndarray


def _check_requests(requests: Sequence[np.ndarray]) -> None:
    # A single ndarray is iterable too, but packing its rows is never what was meant.
    if not isinstance(requests, Sequence) or isinstance(requests, (str, bytes)):
        raise TypeError(
            f"requests must be a list or tuple of numpy arrays, got {type(requests).__name__}"
        )


def _to_pad_scalar(value: object, dtype: np.dtype) -> np.ndarray:
    """``value`` as a 0-d array of ``dtype``, or an error if it is not representable."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"pad_value must be a scalar, got an array of shape {value.shape}")
        value = value.reshape(()).item()
    elif isinstance(value, np.generic):
        value = value.item()
    kind = dtype.kind
    if kind in "biuf" and not isinstance(value, (bool, int, float)):
        raise TypeError(f"pad_value must be a real number for dtype {dtype}, got {value!r}")
    if kind == "b":
        if isinstance(value, float) or value not in (0, 1):
            raise ValueError(f"pad_value {value!r} is not representable as {dtype}")
        return np.array(bool(value), dtype=dtype)
    if kind in "iu":
        if isinstance(value, float):
            if not (math.isfinite(value) and value.is_integer()):
                raise ValueError(f"pad_value {value!r} is not representable as {dtype}")
            value = int(value)
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise ValueError(
                f"pad_value {value!r} is not representable as {dtype} "
                f"(range [{info.min}, {info.max}])"
            )
        return np.array(value, dtype=dtype)
    if kind == "f":
        try:
            value = float(value)
        except OverflowError:
            raise ValueError(f"pad_value {value!r} overflows {dtype}") from None
        with np.errstate(over="ignore"):
            out = np.array(value, dtype=dtype)
        if math.isfinite(value) and not np.isfinite(out):
            raise ValueError(f"pad_value {value!r} overflows {dtype}")
        return out
    try:
        return np.array(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"pad_value {value!r} cannot be converted to {dtype}: {exc}") from exc


def _as_int64(values: npt.ArrayLike, name: str) -> np.ndarray:
    """Integer array-like -> C-contiguous int64 (1-D checks are left to the core)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu" and not (arr.size == 0 and arr.dtype.kind == "f"):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > _INT64_MAX:
        raise ValueError(f"{name} has a value above the int64 maximum")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _as_count(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None


def pack_padded(
    requests: Sequence[np.ndarray],
    pad_value: object = 0,
    pad_to: int | None = None,
) -> PaddedBatch:
    """Pack requests into one padded batch.

    Parameters
    ----------
    requests : sequence of numpy.ndarray
        ``B >= 1`` C-contiguous arrays of shape ``(L_i, *trailing)``, all with the same
        ``trailing`` shape and dtype.
    pad_value : scalar, default 0
        Value of the padded elements, converted to the requests' dtype. A value the dtype
        cannot hold exactly (300 for uint8, 1.5 for an integer dtype, 2 for bool, 1e39 for
        float32) raises ``ValueError``; float dtypes round as numpy does.
    pad_to : int, optional
        Padded length ``L_pad``; defaults to the longest request. Fixed lengths (bucket
        boundaries) keep the model's input shapes few.

    Returns
    -------
    PaddedBatch
        ``data`` ``(B, L_pad, *trailing)``, ``lengths`` int64 ``(B,)``, ``mask`` bool
        ``(B, L_pad)``.

    Raises
    ------
    TypeError
        A request is not an ndarray, dtypes differ, or ``pad_value`` has the wrong kind.
    ValueError
        Empty ``requests``; a 0-d or non-contiguous request; trailing shapes differ;
        ``pad_to`` below the longest request; sizes overflow 64 bits. Messages name the
        offending request index.
    """
    _check_requests(requests)
    pad: np.ndarray | None = None
    if len(requests) and isinstance(requests[0], np.ndarray):
        pad = _to_pad_scalar(pad_value, requests[0].dtype)
    if pad_to is not None:
        pad_to = _as_count(pad_to, "pad_to")
        if pad_to < 0:
            raise ValueError(f"pad_to must be >= 0, got {pad_to}")
        if pad_to > _INT64_MAX:
            raise ValueError(f"pad_to={pad_to} overflows a 64-bit size")
    data, lengths, mask = _core.pack_padded(list(requests), pad, pad_to)
    return PaddedBatch(data=data, lengths=lengths, mask=mask)


def pack_ragged(requests: Sequence[np.ndarray]) -> RaggedBatch:
    """Pack requests as their rows concatenated, with offsets.

    Parameters
    ----------
    requests : sequence of numpy.ndarray
        As for :func:`pack_padded`.

    Returns
    -------
    RaggedBatch
        ``data`` ``(sum L_i, *trailing)`` and ``offsets`` int64 ``(B + 1,)``.

    Raises
    ------
    TypeError, ValueError
        As for :func:`pack_padded`.
    """
    _check_requests(requests)
    data, offsets = _core.pack_ragged(list(requests))
    return RaggedBatch(data=data, offsets=offsets)


def unpack_padded(batch_result: np.ndarray, lengths: npt.ArrayLike) -> list[np.ndarray]:
    """Split a padded model result back into one array per request.

    Parameters
    ----------
    batch_result : numpy.ndarray
        C-contiguous ``(B, L_pad, *out_trailing)``. ``out_trailing`` may differ from the
        inputs' trailing shape: only the leading ``(B, L_pad)`` structure is shared.
    lengths : array-like of int
        ``(B,)``, each in ``[0, L_pad]``; usually ``PaddedBatch.lengths``.

    Returns
    -------
    list of numpy.ndarray
        ``B`` new arrays (copies, so they do not pin the batch) of shape
        ``(L_i, *out_trailing)``.

    Raises
    ------
    TypeError
        ``batch_result`` is not an ndarray, or ``lengths`` is not integer.
    ValueError
        ``batch_result`` has fewer than 2 dims or is not contiguous, or ``lengths`` does
        not match it (wrong count, negative, longer than ``L_pad``).
    """
    return list(_core.unpack_padded(batch_result, _as_int64(lengths, "lengths")))


def unpack_ragged(rows: np.ndarray, offsets: npt.ArrayLike) -> list[np.ndarray]:
    """Split a ragged model result back into one array per request.

    Parameters
    ----------
    rows : numpy.ndarray
        C-contiguous ``(N, *out_trailing)``; ``out_trailing`` may differ from the inputs'.
    offsets : array-like of int
        ``(B + 1,)``, starting at 0, non-decreasing, ending at ``N``; usually
        ``RaggedBatch.offsets``.

    Returns
    -------
    list of numpy.ndarray
        ``B`` new arrays ``rows[offsets[i]:offsets[i + 1]]`` (copies).

    Raises
    ------
    TypeError
        ``rows`` is not an ndarray, or ``offsets`` is not integer.
    ValueError
        ``rows`` is 0-d or not contiguous, or ``offsets`` is malformed.
    """
    return list(_core.unpack_ragged(rows, _as_int64(offsets, "offsets")))


def bucket_by_length(
    lengths: npt.ArrayLike,
    max_batch_size: int = 32,
    max_padding_ratio: float = 0.25,
    boundaries: npt.ArrayLike | None = None,
) -> list[np.ndarray]:
    """Group request indices into batches that keep padding bounded.

    Without ``boundaries``, requests are ordered by length (ties by index) and a group is
    closed when adding the next request would make the padded-away elements exceed
    ``max_padding_ratio`` of the group's ``len(group) * max_length`` elements, or when the
    group holds ``max_batch_size`` requests. With ``boundaries`` (e.g. ``[32, 64, 128]``),
    bucket ``k`` holds lengths in ``(boundaries[k-1], boundaries[k]]`` (pack it with
    ``pad_to=boundaries[k]``), split into chunks of ``max_batch_size`` in arrival order;
    ``max_padding_ratio`` is not used.

    Parameters
    ----------
    lengths : array-like of int
        ``(N,)`` non-negative request lengths.
    max_batch_size : int, default 32
        At most this many requests per group (>= 1).
    max_padding_ratio : float, default 0.25
        In ``[0, 1]``; 0 groups only equal lengths, 1 disables the bound.
    boundaries : array-like of int, optional
        Positive, strictly increasing bucket upper bounds.

    Returns
    -------
    list of numpy.ndarray
        int64 index arrays; every index appears in exactly one. Groups come shortest
        first; indices inside a group are ascending (arrival order). Deterministic.

    Raises
    ------
    TypeError
        Non-integer ``lengths``, ``boundaries`` or ``max_batch_size``.
    ValueError
        A negative length, a length above the last boundary (naming the request), bad
        ``boundaries``, ``max_batch_size < 1`` or ``max_padding_ratio`` outside ``[0, 1]``.
    """
    max_batch_size = _as_count(max_batch_size, "max_batch_size")
    if not 1 <= max_batch_size <= _INT64_MAX:
        raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
    if isinstance(max_padding_ratio, bool) or not isinstance(
        max_padding_ratio, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"max_padding_ratio must be a float, got {type(max_padding_ratio).__name__}"
        )
    ratio = float(max_padding_ratio)
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"max_padding_ratio must be in [0, 1], got {max_padding_ratio!r}")
    bounds = None if boundaries is None else _as_int64(boundaries, "boundaries")
    return list(
        _core.bucket_by_length(_as_int64(lengths, "lengths"), max_batch_size, ratio, bounds)
    )
