"""Generator kernels through one-node plans, against numpy: Range, ConstantOfShape and the
window functions (their scalar and shape inputs are plan constants), and EyeLike. Results
are exact (float Range is computed in double and rounded once, as numpy's arange in the
same dtype gives), windows within 1e-6 of a float64 reference."""

from __future__ import annotations

import numpy as np
import pytest

from op_harness import error1, run1


@pytest.mark.parametrize(
    "start,limit,delta",
    [(0, 10, 3), (10, 0, -3), (5, 5, 1), (0, 10, -1), (-7, 8, 2), (1, 2, 5)],
)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_range(start, limit, delta, dtype):
    args = [np.array(v, dtype) for v in (start, limit, delta)]
    want = np.arange(*args, dtype=dtype)
    got = run1("Range", args, dtype, want.shape, constants=[0, 1, 2])
    np.testing.assert_array_equal(got, want)


def test_range_float_fraction():
    args = [np.array(v, np.float32) for v in (0.1, 2.0, 0.3)]
    want = np.arange(0.1, 2.0, 0.3)  # float64 reference
    got = run1("Range", args, np.float32, want.shape, constants=[0, 1, 2])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_range_int64_extremes():
    big = np.iinfo(np.int64)
    args = [np.array(v, np.int64) for v in (big.max - 2, big.max, 1)]
    got = run1("Range", args, np.int64, (2,), constants=[0, 1, 2])
    np.testing.assert_array_equal(got, [big.max - 2, big.max - 1])


@pytest.mark.parametrize(
    "value,dtype",
    [(None, np.float32), (1.5, np.float32), (-3, np.int64), (7, np.int32), (1, np.bool_)],
)
@pytest.mark.parametrize("shape", [(2, 3), (0, 4), ()])
def test_constant_of_shape(value, dtype, shape):
    attrs = {} if value is None else {"value": [value]}  # a 1-element tensor, as lowered
    want = np.full(shape, 0 if value is None else value, dtype)
    got = run1("ConstantOfShape", [np.array(shape, np.int64)], dtype, shape, attrs, [0])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("k", [0, 1, -2, 5, -9])
@pytest.mark.parametrize("shape", [(3, 4), (5, 2), (0, 3)])
@pytest.mark.parametrize("dtype", [None, 1, 7, 9, 11])
def test_eye_like(k, shape, dtype):
    x = np.zeros(shape, np.int32)
    out = {None: np.int32, 1: np.float32, 7: np.int64, 9: np.bool_, 11: np.float64}[dtype]
    attrs = {"k": k} if dtype is None else {"k": k, "dtype": dtype}
    got = run1("EyeLike", [x], out, shape, attrs)
    np.testing.assert_array_equal(got, np.eye(*shape, k=k, dtype=out))


WINDOWS = {
    "HannWindow": lambda c2, c4: 0.5 - 0.5 * c2,
    "HammingWindow": lambda c2, c4: 25 / 46 - 21 / 46 * c2,
    "BlackmanWindow": lambda c2, c4: 0.42 - 0.5 * c2 + 0.08 * c4,
}


@pytest.mark.parametrize("op", sorted(WINDOWS))
@pytest.mark.parametrize("periodic", [0, 1])
@pytest.mark.parametrize("size", [0, 1, 2, 10, 257])
@pytest.mark.parametrize("out", [(1, np.float32), (11, np.float64)])
def test_window(op, periodic, size, out):
    d = size if periodic else size - 1
    n = np.arange(size, dtype=np.float64)
    with np.errstate(all="ignore"):
        want = WINDOWS[op](np.cos(2 * np.pi * n / d), np.cos(4 * np.pi * n / d))
    if d == 0:
        want = np.ones(size)  # one symmetric sample: the peak, as numpy.hanning(1)
    attrs = {"periodic": periodic, "output_datatype": out[0]}
    got = run1(op, [np.array(size, np.int64)], out[1], (size,), attrs, constants=[0])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_errors():
    one = np.array(1, np.int64)
    assert "start (input 0) must be a constant" in error1(
        "Range", [one, one, one], np.int64, (0,), constants=[1, 2]
    )
    assert "delta must not be 0" in error1(
        "Range", [one, one, 0 * one], np.int64, (0,), None, [0, 1, 2]
    )
    assert "inputs 0 and 1 must have the same dtype" in error1(
        "Range", [one, np.float32(2), one], np.int64, (1,), None, [0, 1, 2]
    )
    assert "output 0 is described as int64[3] but the op gives int64[1]" in error1(
        "Range", [0 * one, one, one], np.int64, (3,), None, [0, 1, 2]
    )
    assert "shape (input 0) must be a constant" in error1(
        "ConstantOfShape", [np.array([2])], np.float32, (2,)
    )
    assert "but the shape input is [3]" in error1(
        "ConstantOfShape", [np.array([3])], np.float32, (2,), constants=[0]
    )
    assert "the input must be 2-D" in error1("EyeLike", [np.zeros(3)], np.float64, (3,))
    assert "size must be one non-negative value, got [-1]" in error1(
        "HannWindow", [np.array(-1)], np.float32, (0,), constants=[0]
    )
    assert "dtype code 10" in error1(
        "EyeLike", [np.zeros((2, 2))], np.float32, (2, 2), {"dtype": 10}
    )
