"""The second set of elementwise kernels through one-node plans, against numpy: libm math
(trigonometric, hyperbolic, rounding), Sign, IsNaN/IsInf, activations, PRelu, Clip, Mod,
bitwise ops and BitShift, Sum/Mean, Hardmax, CastLike, float64 Exp/Log.

Tolerances: float32 results are compared with a float64 numpy reference of the same
inputs at rtol 2e-6 / atol 1e-6 (libm's float functions are within an ulp or two; the
reference is exact to float32 rounding), float64 at rtol 1e-12. Integer, bool and
selection ops (Sign, Clip, Mod, bitwise, Hardmax) must be exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from op_harness import run1
from test_ops_elementwise import BROADCAST_CASES, err, rand

TOL = {np.float32: (2e-6, 1e-6), np.float64: (1e-12, 1e-14)}
FLOATS = [np.float32, np.float64]
INTS = [np.int8, np.uint8, np.int32, np.int64]
NUMERIC = FLOATS + INTS
SHAPES = [(3, 4, 5), (), (0, 3), (70000,)]  # the last crosses the parallel grain


def close(got, want, dtype):
    rtol, atol = TOL[dtype]
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want.astype(dtype), rtol=rtol, atol=atol)


def check_unary(op, x, want, attrs=None):
    got = run1(op, [x], x.dtype, x.shape, attrs)
    close(got, np.asarray(want), x.dtype.type)


# op -> (numpy reference in float64, input range)
MATH = {
    "Sin": (np.sin, (-10, 10)),
    "Cos": (np.cos, (-10, 10)),
    "Tan": (np.tan, (-1.5, 1.5)),
    "Asin": (np.arcsin, (-1, 1)),
    "Acos": (np.arccos, (-1, 1)),
    "Atan": (np.arctan, (-10, 10)),
    "Sinh": (np.sinh, (-5, 5)),
    "Cosh": (np.cosh, (-5, 5)),
    "Asinh": (np.arcsinh, (-10, 10)),
    "Acosh": (np.arccosh, (1, 10)),
    "Atanh": (np.arctanh, (-0.99, 0.99)),
    "Ceil": (np.ceil, (-5, 5)),
    "Floor": (np.floor, (-5, 5)),
    "Round": (np.round, (-5, 5)),
    "Exp": (np.exp, (-5, 5)),
    "Log": (np.log, (0.01, 10)),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(MATH))
def test_math(op, dtype, shape, rng):
    fn, (lo, hi) = MATH[op]
    x = rng.uniform(lo, hi, shape).astype(dtype)
    check_unary(op, x, fn(x.astype(np.float64)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_math_special_values(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 2.0, -2.0, 0.5, 0.0], dtype)
    with np.errstate(all="ignore"):
        for op, (fn, _) in MATH.items():
            check_unary(op, x, fn(x.astype(np.float64)))  # NaN out of domain, like numpy


@pytest.mark.parametrize("dtype", FLOATS)
def test_round_half_to_even(dtype):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 1e8 + 0.5, -0.0], dtype)
    got = run1("Round", [x], dtype, x.shape)
    np.testing.assert_array_equal(got, np.round(x))
    assert list(got[:6]) == [0, 2, 2, -0.0, -2, -2]


@pytest.mark.parametrize("dtype", NUMERIC)
def test_sign(dtype, rng):
    x = rand(rng, (4, 33), dtype)
    x.flat[:3] = 0
    np.testing.assert_array_equal(run1("Sign", [x], dtype, x.shape), np.sign(x))


def test_sign_nan():
    x = np.array([np.nan, -np.inf, np.inf, -0.0, 3.0], np.float32)
    np.testing.assert_array_equal(run1("Sign", [x], np.float32, (5,)), np.sign(x))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_isnan_isinf(dtype, shape, rng):
    x = rng.standard_normal(shape).astype(dtype)
    special = np.array([np.nan, np.inf, -np.inf, 0.0], dtype)
    if x.size:
        x.flat[rng.integers(0, x.size, x.size // 3)] = rng.choice(special, x.size // 3)
    np.testing.assert_array_equal(run1("IsNaN", [x], np.bool_, shape), np.isnan(x))
    np.testing.assert_array_equal(run1("IsInf", [x], np.bool_, shape), np.isinf(x))
    for pos, neg in [(1, 0), (0, 1), (0, 0)]:
        want = (np.isposinf(x) & bool(pos)) | (np.isneginf(x) & bool(neg))
        attrs = {"detect_positive": pos, "detect_negative": neg}
        np.testing.assert_array_equal(run1("IsInf", [x], np.bool_, shape, attrs), want)


# --- activations --------------------------------------------------------------------
def _selu(x, alpha=1.67326319217681884765625, gamma=1.05070102214813232421875):
    return np.where(x > 0, gamma * x, gamma * alpha * (np.exp(x) - 1))


def _softplus(x):
    return np.logaddexp(0, x)


def _hardsigmoid(x, alpha=0.2, beta=0.5):
    return np.clip(alpha * x + beta, 0, 1)


# op -> [(attrs, numpy reference in float64)]: defaults, then given attributes.
ACTIVATIONS = {
    "Elu": [({}, lambda x: np.where(x >= 0, x, np.expm1(x))),
            ({"alpha": 0.3}, lambda x: np.where(x >= 0, x, 0.3 * np.expm1(x)))],
    "Selu": [({}, _selu),
             ({"alpha": 2.0, "gamma": 0.5}, lambda x: _selu(x, 2.0, 0.5))],
    "Celu": [({}, lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(x))),
             ({"alpha": 2.0}, lambda x: np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(x / 2)))],
    "LeakyRelu": [({}, lambda x: np.where(x < 0, 0.01 * x, x)),
                  ({"alpha": 0.5}, lambda x: np.where(x < 0, 0.5 * x, x))],
    "ThresholdedRelu": [({}, lambda x: np.where(x > 1, x, 0)),
                        ({"alpha": -0.5}, lambda x: np.where(x > -0.5, x, 0))],
    "HardSigmoid": [({}, _hardsigmoid),
                    ({"alpha": 0.5, "beta": 0.1}, lambda x: _hardsigmoid(x, 0.5, 0.1))],
    "HardSwish": [({}, lambda x: x * _hardsigmoid(x, 1 / 6, 0.5))],
    "Softplus": [({}, _softplus)],
    "Softsign": [({}, lambda x: x / (1 + np.abs(x)))],
    "Mish": [({}, lambda x: x * np.tanh(_softplus(x)))],
    "Shrink": [({}, lambda x: np.where(x < -0.5, x, np.where(x > 0.5, x, 0))),
               ({"lambd": 1.0, "bias": 0.25},
                lambda x: np.where(x < -1, x + 0.25, np.where(x > 1, x - 0.25, 0)))],
}  # fmt: skip


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_activation(op, dtype, shape, rng):
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    for attrs, fn in ACTIVATIONS[op]:
        check_unary(op, x, fn(x.astype(np.float64)), attrs)


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_activation_special_values(op):
    x = np.array([np.nan, np.inf, -np.inf, 100.0, -100.0, 0.0], np.float32)
    with np.errstate(all="ignore"):
        for attrs, fn in ACTIVATIONS[op]:
            # As the formula in numpy: HardSwish(-inf) is -inf * 0 = NaN, Softsign(inf) NaN.
            check_unary(op, x, fn(x.astype(np.float64)), attrs)


def test_softplus_large_inputs_do_not_overflow():
    x = np.array([100.0, 1000.0, -1000.0], np.float32)
    np.testing.assert_allclose(run1("Softplus", [x], np.float32, (3,)), [100, 1000, 0])


@pytest.mark.parametrize("dtype", INTS)
def test_shrink_integers(dtype):
    info = np.iinfo(dtype)
    x = np.array([v for v in (info.min, -3, -1, 0, 1, 3, info.max) if v >= info.min], dtype)
    attrs = {"lambd": 1.5, "bias": -20.0}
    # Exact in Python ints; the kernel saturates instead of wrapping.
    want = [v - 20 if v < -1.5 else v + 20 if v > 1.5 else 0 for v in x.tolist()]
    want = np.array([min(max(v, info.min), info.max) for v in want], dtype)
    np.testing.assert_array_equal(run1("Shrink", [x], dtype, x.shape, attrs), want)


PRELU_SHAPES = [((3, 4, 5), (3, 4, 5)), ((3, 4, 5), (5,)), ((2, 3, 4), (3, 1)), ((2, 3), ()),
                ((0, 3), (3,)), ((64, 1100), (1100,))]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shapes", PRELU_SHAPES)
def test_prelu(shapes, dtype, rng):
    x, slope = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    want = np.where(x < 0, slope * x, x)
    np.testing.assert_array_equal(run1("PRelu", [x, slope], dtype, x.shape), want)


# --- Clip -----------------------------------------------------------------------------
@pytest.mark.parametrize("constants", [(), (1, 2)])
@pytest.mark.parametrize("dtype", NUMERIC)
def test_clip(dtype, constants, rng):
    x = rand(rng, (5, 70), dtype)
    lo, hi = np.array(-10, dtype) if dtype != np.uint8 else np.array(3, dtype), np.array(20, dtype)
    got = run1("Clip", [x, lo, hi], dtype, x.shape, constants=constants)
    np.testing.assert_array_equal(got, np.clip(x, lo, hi))
    # One bound omitted (None) or absent.
    np.testing.assert_array_equal(
        run1("Clip", [x, None, hi], dtype, x.shape, constants=constants[1:]), np.minimum(x, hi)
    )
    np.testing.assert_array_equal(
        run1("Clip", [x, lo], dtype, x.shape, constants=constants[:1]), np.maximum(x, lo)
    )
    np.testing.assert_array_equal(run1("Clip", [x], dtype, x.shape), x)


def test_clip_float_edge_cases():
    x = np.array([np.nan, np.inf, -np.inf, -1.0, 0.5, 7.0], np.float32)
    lo, hi = np.float32(0), np.float32(6)  # Relu6
    got = run1("Clip", [x, np.array(lo), np.array(hi)], np.float32, x.shape)
    np.testing.assert_array_equal(got, [np.nan, 6, 0, 0, 0.5, 6])
    # Unbounded keeps infinities; min > max gives max everywhere, as numpy.clip does.
    np.testing.assert_array_equal(run1("Clip", [x], np.float32, x.shape), x)
    got = run1("Clip", [x[1:], np.array([2.0], np.float32), np.array(1.0, np.float32)],
               np.float32, (5,))  # fmt: skip
    np.testing.assert_array_equal(got, np.clip(x[1:], 2.0, 1.0))
    empty = np.zeros((0, 4), np.float32)
    assert run1("Clip", [empty, np.array(lo)], np.float32, (0, 4)).shape == (0, 4)


def test_clip_attribute_form():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    got = run1("Clip", [x], np.float32, x.shape, {"min": -1.0, "max": 2.0})
    np.testing.assert_array_equal(got, np.clip(x, -1, 2))
    np.testing.assert_array_equal(run1("Clip", [x], np.float32, x.shape, {"max": 0.5}),
                                  np.minimum(x, 0.5))  # fmt: skip


# --- Mod ------------------------------------------------------------------------------
def mod_reference(a, b, fmod):
    """numpy's mod (fmod=0) or fmod, with integer x % 0 defined as 0."""
    if a.dtype.kind == "f":
        return (np.fmod if fmod else np.mod)(a, b)
    a, b = np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))
    safe = np.where(b == 0, 1, b)
    r = np.fmod(a, safe) if fmod else np.mod(a, safe)
    return np.where(b == 0, 0, r)


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("shapes", BROADCAST_CASES[:8])
def test_mod(shapes, dtype, fmod, rng):
    a, b = rand(rng, shapes[0], dtype), rand(rng, shapes[1], dtype)
    if dtype in FLOATS:
        a, b = a * 10, np.where(np.abs(b) < 0.1, 0.5, b).astype(dtype)
    want = mod_reference(a, b, fmod).astype(dtype)
    got = run1("Mod", [a, b], dtype, want.shape, {"fmod": fmod})
    if dtype in FLOATS:
        close(got, want, dtype)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", FLOATS)
def test_mod_float_edge_cases(dtype):
    a = np.array([0, -0.0, -3, 3, -1, 1, np.inf, 1, np.nan, 1, 5], dtype)
    b = np.array([-2, 2, np.inf, np.inf, -np.inf, -np.inf, 2, 0, 2, np.nan, -3], dtype)
    with np.errstate(all="ignore"):
        for fmod in (0, 1):
            got = run1("Mod", [a, b], dtype, a.shape, {"fmod": fmod})
            want = mod_reference(a, b, fmod)
            np.testing.assert_array_equal(got, want)
            number = ~np.isnan(want)  # -0 vs 0 (a NaN's sign bit is not specified)
            np.testing.assert_array_equal(np.signbit(got[number]), np.signbit(want[number]))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_mod_integer_edge_cases(dtype):
    lo = np.iinfo(dtype).min
    a = np.array([lo, lo, 7, -7, 0, 5], dtype)
    b = np.array([-1, 3, 0, 0, -3, lo], dtype)
    for fmod in (0, 1):
        got = run1("Mod", [a, b], dtype, a.shape, {"fmod": fmod})
        np.testing.assert_array_equal(got, mod_reference(a, b, fmod).astype(dtype))


# --- bitwise --------------------------------------------------------------------------
BITWISE = {"BitwiseAnd": np.bitwise_and, "BitwiseOr": np.bitwise_or,
           "BitwiseXor": np.bitwise_xor}  # fmt: skip


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", sorted(BITWISE))
@pytest.mark.parametrize("shapes", [*BROADCAST_CASES[:8], ((3, 4, 5, 6), (4, 5, 6))])
def test_bitwise(op, dtype, shapes, rng):
    info = np.iinfo(dtype)
    a, b = (rng.integers(info.min, info.max, s, dtype=dtype, endpoint=True) for s in shapes)
    want = BITWISE[op](a, b)
    np.testing.assert_array_equal(run1(op, [a, b], dtype, want.shape), want)


@pytest.mark.parametrize("dtype", INTS)
def test_bitwise_not(dtype, rng):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (3, 70000 // 3), dtype=dtype, endpoint=True)
    np.testing.assert_array_equal(run1("BitwiseNot", [x], dtype, x.shape), np.invert(x))


def shift_reference(x, s, left):
    """Shifts with every bit shifted out for amounts < 0 or >= the width."""
    bits = x.dtype.itemsize * 8
    x, s = np.broadcast_arrays(x, s)
    out_of_range = (s.astype(np.int64) < 0) | (s.astype(np.int64) >= bits)
    n = np.where(out_of_range, 0, s).astype(x.dtype)
    shifted = np.left_shift(x, n) if left else np.right_shift(x, n)
    spilled = np.zeros_like(x) if left else np.where(x < 0, -1, 0).astype(x.dtype)
    return np.where(out_of_range, spilled, shifted)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", INTS)
def test_bitshift(dtype, direction, rng):
    info, bits = np.iinfo(dtype), np.dtype(dtype).itemsize * 8
    x = rng.integers(info.min, info.max, (4, 50), dtype=dtype, endpoint=True)
    s = rng.integers(max(info.min, -3), min(info.max, bits + 3), (50,), endpoint=True)
    s = s.astype(dtype)
    got = run1("BitShift", [x, s], dtype, x.shape, {"direction": direction})
    np.testing.assert_array_equal(got, shift_reference(x, s, direction == "LEFT"))


def test_bitshift_examples():
    x = np.array([64, 1, -64, -8, -1, 16], np.int8)
    s = np.array([1, 7, 1, 1, 9, -1], np.int8)
    left = run1("BitShift", [x, s], np.int8, (6,), {"direction": "LEFT"})
    right = run1("BitShift", [x, s], np.int8, (6,), {"direction": "RIGHT"})
    np.testing.assert_array_equal(left, [-128, -128, -128, -16, 0, 0])  # wraps; shifted out
    np.testing.assert_array_equal(right, [32, 0, -32, -4, -1, 0])  # arithmetic


# --- Sum, Mean ------------------------------------------------------------------------
VARIADIC_SHAPES = [[(3,)], [(2, 3), (3,)], [(2, 1, 4), (3, 1), ()], [(5,)] * 4,
                   [(0, 3), (3,), (1, 3)], [(40, 1, 33), (1, 50, 33), (33,)]]  # fmt: skip


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", VARIADIC_SHAPES)
def test_sum_mean(shapes, dtype, rng):
    xs = [rand(rng, s, dtype) for s in shapes]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    got = run1("Sum", xs, dtype, total.shape)
    close(got, total, dtype)
    close(run1("Mean", xs, dtype, total.shape), total / len(xs), dtype)


def test_sum_nan_and_constants():
    a = np.array([1.0, np.nan, np.inf], np.float32)
    b = np.array([2.0, 1.0, -np.inf], np.float32)
    got = run1("Sum", [a, b, a], np.float32, (3,), constants=(1,))
    np.testing.assert_array_equal(got, [4.0, np.nan, np.nan])


# --- Hardmax --------------------------------------------------------------------------
def hardmax_reference(x, axis):
    idx = np.expand_dims(np.argmax(x, axis=axis), axis)
    out = np.zeros_like(x)
    np.put_along_axis(out, idx, 1, axis=axis)
    return out


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", [((3, 4, 5), -1), ((3, 4, 5), 0), ((3, 4, 5), 1),
                                        ((7,), 0), ((300, 200), 1), ((2, 300, 70), 1)])  # fmt: skip
def test_hardmax(shape, axis, dtype, rng):
    x = rng.integers(-3, 4, shape).astype(dtype)  # many ties: the first maximum wins
    want = hardmax_reference(x, axis)
    got = run1("Hardmax", [x], dtype, shape, {"axis": axis})
    np.testing.assert_array_equal(got, want)


def test_hardmax_default_axis_nan_and_empty():
    x = np.array([[1, np.nan, 3, np.nan], [-np.inf, -np.inf, -np.inf, -np.inf]], np.float32)
    got = run1("Hardmax", [x], np.float32, x.shape)
    np.testing.assert_array_equal(got, [[0, 1, 0, 0], [1, 0, 0, 0]])  # numpy.argmax's picks
    for shape in [(0, 4), (4, 0)]:
        empty = np.zeros(shape, np.float32)
        assert run1("Hardmax", [empty], np.float32, shape).shape == shape


# --- CastLike -------------------------------------------------------------------------
@pytest.mark.parametrize("to", [np.float32, np.float64, np.int64, np.int32, np.int8,
                                np.uint8, np.bool_])  # fmt: skip
def test_castlike(to, rng):
    x = (rng.standard_normal((3, 50)) * 50).astype(np.float64)
    like = np.zeros((0,), to)
    got = run1("CastLike", [x, like], to, x.shape)
    want = x.astype(np.int64).astype(to) if np.dtype(to).kind in "iu" else x.astype(to)
    np.testing.assert_array_equal(got, want)


# --- errors: one per family, the message names the node and the problem ---------------
def test_error_unary_math_dtype():
    msg = err("Sin", [np.zeros(2, np.int32)], np.int32, (2,))
    assert "int32 input 0 is not supported (float32, float64)" in msg
    msg = err("IsNaN", [np.zeros(2, np.float32)], np.float32, (2,))
    assert "output 0 is described as float32[2] but the op gives bool[2]" in msg


def test_error_activation():
    msg = err("Elu", [np.zeros(2, np.int64)], np.int64, (2,))
    assert "int64 input 0 is not supported (float32, float64)" in msg
    assert "alpha must not be 0" in err(
        "Celu", [np.zeros(2, np.float32)], np.float32, (2,), {"alpha": 0.0}
    )
    x, slope = np.zeros((3, 1), np.float32), np.zeros((3, 4), np.float32)
    assert "slope [3, 4] does not broadcast to X [3, 1]" in err("PRelu", [x, slope], np.float32,
                                                                (3, 4))  # fmt: skip


def test_error_clip():
    x = np.zeros(4, np.float32)
    msg = err("Clip", [x, np.zeros(2, np.float32)], np.float32, (4,))
    assert "min must have one element, got input 1 (float32[2])" in msg
    msg = err("Clip", [x, None, np.zeros((), np.int32)], np.float32, (4,))
    assert "inputs 0 and 2 must have the same dtype" in msg
    msg = err("Clip", [np.zeros(4, np.int32)], np.int32, (4,), {"min": 0.0})
    assert "min/max attributes (opset < 11) are only supported" in msg
    assert "bool input 0" in err("Clip", [np.zeros(2, np.bool_)], np.bool_, (2,))


def test_error_mod_and_bitwise():
    x = np.zeros(3, np.int32)
    assert "fmod must be 0 or 1, got 2" in err("Mod", [x, x], np.int32, (3,), {"fmod": 2})
    msg = err("BitShift", [x, x], np.int32, (3,), {"direction": "UP"})
    assert "direction must be 'LEFT' or 'RIGHT', got 'UP'" in msg
    f = np.zeros(3, np.float32)
    msg = err("BitwiseAnd", [f, f], np.float32, (3,))
    assert "float32 input 0 is not supported (int32, int64, int8, uint8)" in msg
    assert "float32 input 0" in err("BitwiseNot", [f], np.float32, (3,))


def test_error_variadic_and_hardmax():
    a, b = np.zeros(2, np.float32), np.zeros(3, np.float32)
    assert "do not broadcast" in err("Sum", [a, a, b], np.float32, (2,))
    assert "do not broadcast" in err("Mean", [a, b], np.float32, (2,))
    msg = err("Mean", [np.zeros(2, np.int32)] * 3, np.int32, (2,))
    assert "int32 input 0 is not supported (float32, float64)" in msg
    scalar = np.zeros((), np.float32)
    assert "at least one dimension" in err("Hardmax", [scalar], np.float32, ())
    assert "axis 2 is out of range for rank 2" in err(
        "Hardmax", [np.zeros((2, 2), np.float32)], np.float32, (2, 2), {"axis": 2}
    )
    msg = err("CastLike", [a, np.zeros(1, np.int32)], np.float32, (2,))
    assert "described as float32[2] but the op gives int32[2]" in msg
