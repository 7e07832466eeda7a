"""Batch packing: round trips against numpy references, bucketing bounds, error messages."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fastinfer import batch
from fastinfer.serving.batch import PaddedBatch, RaggedBatch

DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]
TRAILING = [(), (7,), (3, 4)]
# Lengths that exercise empty and single-row requests next to longer ones.
LENGTH_SETS = [[0], [1], [3, 0, 1, 5], [0, 0, 0], [8, 1, 0, 8, 2, 13, 1]]


def make_requests(rng, lengths, trailing, dtype):
    out = []
    for n in lengths:
        shape = (n, *trailing)
        if dtype == np.bool_:
            out.append(rng.random(shape) < 0.5)
        elif np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            lo, hi = max(info.min, -1000), min(info.max, 1000)
            out.append(rng.integers(lo, hi, size=shape, dtype=dtype))
        else:
            out.append(rng.standard_normal(shape).astype(dtype))
    return out


def padded_reference(requests, pad_value, pad_to):
    rows = [
        np.pad(r, [(0, pad_to - len(r))] + [(0, 0)] * (r.ndim - 1), constant_values=pad_value)
        for r in requests
    ]
    return np.stack(rows)


def pad_for(dtype):
    return True if dtype == np.bool_ else 7 if np.issubdtype(dtype, np.integer) else -1.5


# --- pack_padded / unpack_padded -----------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trailing", TRAILING)
@pytest.mark.parametrize("lengths", LENGTH_SETS)
def test_padded_round_trip(rng, dtype, trailing, lengths):
    requests = make_requests(rng, lengths, trailing, dtype)
    pad = pad_for(dtype)
    packed = batch.pack_padded(requests, pad_value=pad)
    assert isinstance(packed, PaddedBatch)
    longest = max(lengths)
    assert packed.data.shape == (len(lengths), longest, *trailing)
    assert packed.data.dtype == dtype
    np.testing.assert_array_equal(packed.data, padded_reference(requests, pad, longest))
    assert packed.lengths.dtype == np.int64
    np.testing.assert_array_equal(packed.lengths, lengths)
    assert packed.mask.dtype == np.bool_
    expected_mask = np.arange(longest)[None, :] < np.asarray(lengths)[:, None]
    np.testing.assert_array_equal(packed.mask, expected_mask)

    unpacked = batch.unpack_padded(packed.data, packed.lengths)
    assert len(unpacked) == len(requests)
    for got, want in zip(unpacked, requests):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trailing", TRAILING)
@pytest.mark.parametrize("lengths", LENGTH_SETS)
def test_ragged_round_trip(rng, dtype, trailing, lengths):
    requests = make_requests(rng, lengths, trailing, dtype)
    packed = batch.pack_ragged(requests)
    assert isinstance(packed, RaggedBatch)
    np.testing.assert_array_equal(packed.data, np.concatenate(requests))
    assert packed.data.dtype == dtype and packed.data.shape == (sum(lengths), *trailing)
    assert packed.offsets.dtype == np.int64
    np.testing.assert_array_equal(packed.offsets, np.concatenate([[0], np.cumsum(lengths)]))
    for got, want in zip(batch.unpack_ragged(packed.data, packed.offsets), requests):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_default_pad_is_zero(rng):
    requests = make_requests(rng, [2, 5], (3,), np.float32)
    packed = batch.pack_padded(requests)
    assert np.all(packed.data[0, 2:] == 0)
    assert not np.signbit(packed.data[0, 2:]).any()  # +0.0, not -0.0


def test_pad_to(rng):
    requests = make_requests(rng, [2, 5, 0], (4,), np.int32)
    packed = batch.pack_padded(requests, pad_value=-1, pad_to=8)
    assert packed.data.shape == (3, 8, 4)
    np.testing.assert_array_equal(packed.data, padded_reference(requests, -1, 8))
    assert packed.mask.shape == (3, 8)
    np.testing.assert_array_equal(packed.mask.sum(axis=1), [2, 5, 0])
    # pad_to equal to the longest request is allowed, and so is 0 when every request is empty.
    assert batch.pack_padded(requests, pad_to=5).data.shape == (3, 5, 4)
    empty = batch.pack_padded([np.zeros((0, 4), np.int32)] * 2, pad_to=0)
    assert empty.data.shape == (2, 0, 4) and empty.mask.shape == (2, 0)


def test_pad_value_multibyte_pattern(rng):
    # A pad whose bytes differ (not a memset) must be repeated element by element.
    requests = make_requests(rng, [1, 30], (3,), np.float64)
    packed = batch.pack_padded(requests, pad_value=np.pi)
    np.testing.assert_array_equal(packed.data[0, 1:], np.full((29, 3), np.pi))


def test_pad_value_accepts_numpy_scalars(rng):
    requests = make_requests(rng, [1, 3], (), np.uint8)
    for pad in (np.uint8(200), np.int64(200), np.array(200), 200.0):
        np.testing.assert_array_equal(batch.pack_padded(requests, pad_value=pad).data[0, 1:], 200)


def test_unpack_with_different_trailing_dims(rng):
    # The model maps (L, 7) features to (L, 2, 5); only (B, L_pad) is shared.
    lengths = [3, 0, 6, 1]
    requests = make_requests(rng, lengths, (7,), np.float32)
    packed = batch.pack_padded(requests)
    result = rng.standard_normal((4, packed.data.shape[1], 2, 5))
    out = batch.unpack_padded(result, packed.lengths)
    for i, n in enumerate(lengths):
        assert out[i].shape == (n, 2, 5) and out[i].dtype == np.float64
        np.testing.assert_array_equal(out[i], result[i, :n])
    # A per-row scalar output: result (B, L_pad).
    scores = rng.integers(0, 9, size=(4, packed.data.shape[1]))
    for i, got in enumerate(batch.unpack_padded(scores, packed.lengths)):
        np.testing.assert_array_equal(got, scores[i, : lengths[i]])

    ragged = batch.pack_ragged(requests)
    rows = rng.standard_normal((sum(lengths), 3)).astype(np.float32)
    out = batch.unpack_ragged(rows, ragged.offsets)
    for i, n in enumerate(lengths):
        start = sum(lengths[:i])
        np.testing.assert_array_equal(out[i], rows[start : start + n])


def test_unpack_returns_copies(rng):
    requests = make_requests(rng, [2, 3], (2,), np.float32)
    packed = batch.pack_padded(requests)
    out = batch.unpack_padded(packed.data, packed.lengths)
    packed.data[...] = 99
    np.testing.assert_array_equal(out[0], requests[0])


def test_accepts_tuple_and_readonly_requests(rng):
    requests = make_requests(rng, [2, 3], (2,), np.int64)
    for r in requests:
        r.setflags(write=False)
    packed = batch.pack_padded(tuple(requests))
    np.testing.assert_array_equal(packed.data[1], requests[1])


def test_zero_size_trailing(rng):
    requests = [np.zeros((2, 0), np.float32), np.zeros((5, 0), np.float32)]
    packed = batch.pack_padded(requests)
    assert packed.data.shape == (2, 5, 0)
    np.testing.assert_array_equal(packed.mask.sum(axis=1), [2, 5])
    assert [a.shape for a in batch.unpack_padded(packed.data, packed.lengths)] == [(2, 0), (5, 0)]


def test_large_batch_round_trip(rng):
    lengths = rng.integers(0, 513, size=64)
    lengths[0] = 512
    requests = [rng.standard_normal((n, 768), dtype=np.float32) for n in lengths]
    packed = batch.pack_padded(requests, pad_value=0.5)
    assert packed.data.shape == (64, 512, 768)
    for i, n in enumerate(lengths):
        np.testing.assert_array_equal(packed.data[i, :n], requests[i])
        assert np.all(packed.data[i, n:] == 0.5)
    for got, want in zip(batch.unpack_padded(packed.data, packed.lengths), requests):
        np.testing.assert_array_equal(got, want)
    ragged = batch.pack_ragged(requests)
    np.testing.assert_array_equal(ragged.data, np.concatenate(requests))
    for got, want in zip(batch.unpack_ragged(ragged.data, ragged.offsets), requests):
        np.testing.assert_array_equal(got, want)


def test_concurrent_packing_threads(rng):
    # The GIL is released while copying: packing from several threads must stay correct.
    requests = [rng.standard_normal((n, 256), dtype=np.float32) for n in range(0, 400, 7)]
    reference = padded_reference(requests, 0, max(len(r) for r in requests))
    errors = []

    def work():
        for _ in range(5):
            if not np.array_equal(batch.pack_padded(requests).data, reference):
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- bucketing -----------------------------------------------------------------------------


def padding_ratio(lengths):
    padded = max(lengths) * len(lengths)
    return 0.0 if padded == 0 else (padded - sum(lengths)) / padded


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("max_batch_size", [1, 3, 16, 1000])
@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.25, 0.6, 1.0])
def test_bucket_ratio_bounds(seed, max_batch_size, ratio):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 300, size=int(rng.integers(1, 200)))
    groups = batch.bucket_by_length(lengths, max_batch_size=max_batch_size, max_padding_ratio=ratio)
    flat = np.concatenate(groups)
    assert sorted(flat.tolist()) == list(range(len(lengths)))  # every index exactly once
    for g in groups:
        assert g.dtype == np.int64
        assert 1 <= len(g) <= max_batch_size
        assert np.all(np.diff(g) > 0)  # arrival order inside a group
        if len(g) > 1:
            assert padding_ratio(lengths[g].tolist()) <= ratio
    # Shortest groups first, and deterministic.
    maxima = [lengths[g].max() for g in groups]
    assert maxima == sorted(maxima)
    again = batch.bucket_by_length(lengths, max_batch_size=max_batch_size, max_padding_ratio=ratio)
    assert all(np.array_equal(a, b) for a, b in zip(groups, again)) and len(groups) == len(again)


def test_bucket_ratio_example():
    lengths = [5, 1, 3, 100, 4, 0]
    groups = batch.bucket_by_length(lengths, max_batch_size=4, max_padding_ratio=0.25)
    assert [g.tolist() for g in groups] == [[5], [1], [0, 2, 4], [3]]
    # Equal lengths share a group up to max_batch_size, ties kept in arrival order.
    groups = batch.bucket_by_length([4] * 5, max_batch_size=2, max_padding_ratio=0.0)
    assert [g.tolist() for g in groups] == [[0, 1], [2, 3], [4]]
    assert batch.bucket_by_length([]) == []


def test_bucket_boundaries():
    lengths = np.array([5, 33, 64, 65, 0, 256, 1, 40, 31, 32])
    groups = batch.bucket_by_length(lengths, max_batch_size=2, boundaries=[32, 64, 128, 256])
    assert [g.tolist() for g in groups] == [[0, 4], [6, 8], [9], [1, 2], [7], [3], [5]]
    bounds = [32, 64, 128, 256]
    for g in groups:
        k = np.searchsorted(bounds, lengths[g].max())
        low = 0 if k == 0 else bounds[k - 1] + 1
        assert np.all((lengths[g] >= low) & (lengths[g] <= bounds[k]))
    flat = np.concatenate(groups)
    assert sorted(flat.tolist()) == list(range(len(lengths)))


def test_bucket_accepts_integer_dtypes():
    for dt in (np.int32, np.uint16, np.uint64):
        groups = batch.bucket_by_length(np.array([3, 3, 9], dtype=dt), max_padding_ratio=0.0)
        assert [g.tolist() for g in groups] == [[0, 1], [2]]


# --- errors --------------------------------------------------------------------------------


F4 = np.zeros((2, 4), np.float32)


@pytest.mark.parametrize(
    ("requests", "kwargs", "exc", "match"),
    [
        ([], {}, ValueError, "requests is empty"),
        ([F4, [[1.0] * 4]], {}, TypeError, r"request 1 must be a numpy.ndarray, got list"),
        ([F4, np.float32(1.0)], {}, TypeError, r"request 1 must be a numpy.ndarray"),
        ([F4, np.array(1.0, np.float32)], {}, ValueError, "request 1 is 0-dimensional"),
        (
            [F4, F4, F4, np.zeros((2, 5), np.float32)],
            {},
            ValueError,
            r"request 3 has trailing shape \(5,\) but request 0 has \(4,\)",
        ),
        (
            [F4, np.zeros((1, 4, 1), np.float32)],
            {},
            ValueError,
            r"request 1 has trailing shape \(4, 1\) but request 0 has \(4,\)",
        ),
        ([F4, F4.astype(np.float64)], {}, TypeError, "request 1 has dtype float64 but request 0"),
        ([F4, np.zeros((4, 8), np.float32)[:, ::2]], {}, ValueError, "request 1 .*C-contiguous"),
        ([np.zeros((3, 2), object)], {}, TypeError, "request 0 has dtype object"),
        ([F4, np.zeros((5, 4), np.float32)], {"pad_to": 3}, ValueError, r"pad_to=3 .*request 1"),
        ([F4], {"pad_to": -1}, ValueError, "pad_to must be >= 0"),
        ([F4], {"pad_to": 2**63}, ValueError, "overflows"),
        ([F4], {"pad_to": 1.5}, TypeError, "pad_to must be an int"),
        ([np.zeros(2, np.uint8)], {"pad_value": 300}, ValueError, "300 is not representable"),
        ([np.zeros(2, np.uint8)], {"pad_value": -1}, ValueError, "not representable as uint8"),
        ([np.zeros(2, np.int32)], {"pad_value": 1.5}, ValueError, "1.5 is not representable"),
        ([np.zeros(2, np.bool_)], {"pad_value": 2}, ValueError, "not representable as bool"),
        ([np.zeros(2, np.float32)], {"pad_value": 1e39}, ValueError, "overflows float32"),
        ([np.zeros(2, np.float32)], {"pad_value": "x"}, TypeError, "must be a real number"),
        ([F4], {"pad_value": np.zeros(2)}, ValueError, "pad_value must be a scalar"),
    ],
)
def test_pack_padded_errors(requests, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        batch.pack_padded(requests, **kwargs)


def test_pack_errors_shared_by_ragged():
    with pytest.raises(ValueError, match="requests is empty"):
        batch.pack_ragged([])
    with pytest.raises(ValueError, match=r"request 2 has trailing shape \(3,\)"):
        batch.pack_ragged([F4, F4, np.zeros((1, 3), np.float32)])
    with pytest.raises(TypeError, match="requests must be a list or tuple"):
        batch.pack_ragged(F4)


def test_size_overflow_is_an_error():
    # An empty request with 4 GiB rows costs no memory; padding it to 2**40 rows would need
    # 2**72 bytes, which must be refused before anything is allocated.
    empty_wide = np.zeros((0, 2**30), np.float32)
    with pytest.raises(ValueError, match="overflows a 64-bit size"):
        batch.pack_padded([empty_wide], pad_to=2**40)
    assert batch.pack_ragged([empty_wide, empty_wide]).data.shape == (0, 2**30)


@pytest.mark.parametrize(
    ("result", "lengths", "exc", "match"),
    [
        (np.zeros((3, 4)), [1, 2], ValueError, r"lengths has 2 entries but batch has 3 requests"),
        (np.zeros((2, 4)), [1, 5], ValueError, r"lengths\[1\] = 5 is outside \[0, 4\]"),
        (np.zeros((2, 4)), [-1, 0], ValueError, r"lengths\[0\] = -1 is outside"),
        (np.zeros((2, 4)), [1.0, 2.0], TypeError, "lengths must hold integers"),
        (np.zeros(4), [1], ValueError, "batch must have at least 2 dimensions"),
        (np.zeros((4, 2)).T, [1, 1], ValueError, "batch .*not C-contiguous"),
        ([[1, 2]], [1], TypeError, "batch must be a numpy.ndarray"),
        (np.zeros((2, 4)), [[1, 2]], ValueError, "lengths must have 1 dimensions"),
    ],
)
def test_unpack_padded_errors(result, lengths, exc, match):
    with pytest.raises(exc, match=match):
        batch.unpack_padded(result, lengths)


@pytest.mark.parametrize(
    ("rows", "offsets", "match"),
    [
        (np.zeros((5, 2)), [0, 3, 2, 5], r"non-decreasing, but offsets\[2\] = 2 < offsets\[1\]"),
        (np.zeros((5, 2)), [0, 2, 4], r"offsets\[-1\] = 4 but rows has 5 rows"),
        (np.zeros((5, 2)), [1, 2, 5], r"offsets\[0\] must be 0, got 1"),
        (np.zeros((5, 2)), [0, -1, 5], r"non-decreasing"),
        (np.zeros((5, 2)), [], "offsets must have at least one entry"),
        (np.zeros(()), [0], "rows must have at least 1 dimensions"),
    ],
)
def test_unpack_ragged_errors(rows, offsets, match):
    with pytest.raises(ValueError, match=match):
        batch.unpack_ragged(rows, np.asarray(offsets, dtype=np.int64))


def test_unpack_ragged_no_requests():
    assert batch.unpack_ragged(np.zeros((0, 3)), [0]) == []


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lengths": [3, -1]}, ValueError, "request 1 has negative length -1"),
        ({"lengths": [1.5]}, TypeError, "lengths must hold integers"),
        ({"lengths": [1], "max_batch_size": 0}, ValueError, "max_batch_size must be >= 1"),
        ({"lengths": [1], "max_batch_size": True}, TypeError, "max_batch_size must be an int"),
        ({"lengths": [1], "max_padding_ratio": 1.5}, ValueError, r"in \[0, 1\]"),
        ({"lengths": [1], "max_padding_ratio": float("nan")}, ValueError, r"in \[0, 1\]"),
        ({"lengths": [1], "max_padding_ratio": "a"}, TypeError, "must be a float"),
        (
            {"lengths": [3, 300], "boundaries": [32, 256]},
            ValueError,
            "request 1 has length 300, above the last boundary 256",
        ),
        ({"lengths": [3], "boundaries": [64, 32]}, ValueError, "strictly increasing"),
        ({"lengths": [3], "boundaries": [0, 32]}, ValueError, "positive"),
        ({"lengths": [3], "boundaries": []}, ValueError, "boundaries must not be empty"),
        ({"lengths": [[3]]}, ValueError, "lengths must have 1 dimensions"),
    ],
)
def test_bucket_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        batch.bucket_by_length(**kwargs)
