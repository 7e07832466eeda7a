"""Elementwise kernels through one-node plans: broadcasting arithmetic, comparisons,
logical ops, Where, unary float32 ops, Gelu, Not and Cast, against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from op_harness import run1

# (a shape, b shape): equal, scalar, trailing vector (bias), both sides broadcasting,
# size-1 dims, empty dims, rank-0 with rank-0.
BROADCAST_CASES = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 3, 4), ()),
    ((), (5,)),
    ((4, 7, 16), (16,)),
    ((2, 1, 4), (3, 1)),
    ((1, 5), (6, 1)),
    ((3, 1, 1), (1, 4, 5)),
    ((2, 0, 3), (3,)),
    ((0,), (1,)),
    ((), ()),
    ((2, 3, 1, 5), (1, 3, 4, 1)),
]
BIG = ((64, 129, 33), (129, 1))  # crosses the parallel grain

ARITH = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Max": np.maximum,
    "Min": np.minimum,
}


def rand(rng, shape, dtype):
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    return rng.integers(-50, 50, size=shape).astype(dtype)


@pytest.mark.parametrize("op", sorted(ARITH))
@pytest.mark.parametrize("shapes", [*BROADCAST_CASES, BIG])
def test_arith_float32(op, shapes, rng):
    a, b = (rand(rng, s, np.float32) for s in shapes)
    if op == "Div":
        b = np.where(np.abs(b) < 0.1, np.float32(0.5), b).astype(np.float32)
    want = ARITH[op](a, b)
    got = run1(op, [a, b], np.float32, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)


def trunc_div(a, b):
    """ONNX/C integer division: toward zero; fastinfer defines x / 0 as 0."""
    safe = np.where(b == 0, 1, b)
    q = np.abs(a.astype(np.int64)) // np.abs(safe.astype(np.int64))
    q = np.where((a < 0) != (safe < 0), -q, q)
    return np.where(b == 0, 0, q).astype(a.dtype)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("op", sorted(ARITH))
@pytest.mark.parametrize("shapes", BROADCAST_CASES[:6])
def test_arith_int(op, dtype, shapes, rng):
    a, b = (rand(rng, s, dtype) for s in shapes)
    a, b = np.broadcast_arrays(a, b) if op == "Div" else (a, b)
    want = trunc_div(a, b) if op == "Div" else ARITH[op](a, b)
    got = run1(op, [np.array(a), np.array(b)], dtype, want.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.float64])
@pytest.mark.parametrize("op", sorted(ARITH))
def test_arith_small_ints_and_float64(op, dtype, rng):
    a = rng.integers(0 if dtype == np.uint8 else -100, 100, (3, 4)).astype(dtype)
    b = rng.integers(1, 100, (4,)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        want = ARITH[op](a, b)
    elif op == "Div":
        want = trunc_div(*np.broadcast_arrays(a, b))
    else:  # wrap around in the type, as the kernels do
        want = ARITH[op](a.astype(np.int64), b.astype(np.int64)).astype(dtype)
    got = run1(op, [a, b], dtype, want.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op,ref", [("Max", np.maximum), ("Min", np.minimum)])
def test_max_min_variadic(op, ref, rng):
    xs = [rng.standard_normal(s).astype(np.float32) for s in [(3, 1), (4,), (2, 3, 4), ()]]
    want = ref.reduce(np.broadcast_arrays(*xs))
    np.testing.assert_array_equal(run1(op, xs, np.float32, want.shape), want)
    np.testing.assert_array_equal(run1(op, xs[:1], np.float32, (3, 1)), xs[0])


@pytest.mark.parametrize("base", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("exp", [np.float32, np.int32, np.int64])
def test_pow_mixed_types(base, exp, rng):
    a = rng.integers(1, 6, (3, 4)).astype(base)
    b = rng.integers(0, 4, (4,)).astype(exp)
    want = np.power(a.astype(np.float64), b.astype(np.float64)).astype(base)
    got = run1("Pow", [a, b], base, a.shape)
    assert got.dtype == np.dtype(base)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_int_div_edge_cases():
    a = np.array([7, -7, 7, -7, 5, -(2**31), 0], np.int32)
    b = np.array([2, 2, -2, -2, 0, -1, 0], np.int32)
    got = run1("Div", [a, b], np.int32, a.shape)
    np.testing.assert_array_equal(got, [3, -3, -3, 3, 0, -(2**31), 0])


def test_int_add_wraps():
    a = np.array([2**31 - 1], np.int32)
    got = run1("Add", [a, np.array([1], np.int32)], np.int32, (1,))
    assert got[0] == -(2**31)


@pytest.mark.parametrize("shapes", BROADCAST_CASES[:5])
def test_pow(shapes, rng):
    a = np.abs(rand(rng, shapes[0], np.float32)) + 0.1
    b = rand(rng, shapes[1], np.float32)
    want = np.power(a, b)
    np.testing.assert_allclose(run1("Pow", [a, b], np.float32, want.shape), want, rtol=1e-6)


@pytest.mark.parametrize(
    "exponent",
    [np.float32(2.0), np.float32(0.5), np.float32(-1.5), np.int64(3), np.int32(2)],
)
@pytest.mark.parametrize("shape", [(3, 8), (), (0, 4)])
def test_pow_constant_exponent(exponent, shape, rng):
    a = np.abs(rand(rng, shape, np.float32)) + 0.5
    e = np.array(exponent)
    want = np.power(a.astype(np.float64), float(exponent))
    got = run1("Pow", [a, e], np.float32, a.shape, constants=[1])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    if float(exponent) == 2.0:
        np.testing.assert_array_equal(got, a * a)
    e2 = e.reshape(1, 1)  # a one-element exponent of higher rank broadcasts the output
    out_shape = np.broadcast_shapes(a.shape, (1, 1))
    got = run1("Pow", [a, e2], np.float32, out_shape, constants=[1])
    np.testing.assert_allclose(got, want.reshape(out_shape), rtol=1e-6)


def test_nan_passes_through():
    a = np.array([np.nan, 1.0, np.nan], np.float32)
    b = np.array([1.0, np.nan, 2.0], np.float32)
    for op in ["Add", "Mul", "Max", "Min"]:
        got = run1(op, [a, b], np.float32, (3,))
        assert np.isnan(got).all(), op


CMP = {"Equal": np.equal, "Greater": np.greater, "Less": np.less}
CMP_EXTRA = {"GreaterOrEqual": np.greater_equal, "LessOrEqual": np.less_equal}


@pytest.mark.parametrize("op", sorted({**CMP, **CMP_EXTRA}))
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.int8, np.uint8, np.float64])
@pytest.mark.parametrize("shapes", BROADCAST_CASES)
def test_compare(op, dtype, shapes, rng):
    a, b = (rand(rng, s, dtype) // (10 if dtype != np.float32 else 1) for s in shapes)
    a, b = a.astype(dtype), b.astype(dtype)
    want = {**CMP, **CMP_EXTRA}[op](a, b)
    got = run1(op, [a, b], np.bool_, want.shape)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, want)


def test_compare_nan_is_false():
    a = np.array([np.nan, np.nan], np.float32)
    for op in CMP:
        assert not run1(op, [a, a], np.bool_, (2,)).any()


@pytest.mark.parametrize(
    "op,ref", [("And", np.logical_and), ("Or", np.logical_or), ("Xor", np.logical_xor)]
)
@pytest.mark.parametrize("shapes", BROADCAST_CASES)
def test_logical(op, ref, shapes, rng):
    a, b = (rand(rng, s, np.bool_) for s in shapes)
    want = ref(a, b)
    np.testing.assert_array_equal(run1(op, [a, b], np.bool_, want.shape), want)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.bool_, np.int8, np.float64])
@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 3, 4), (2, 3, 4), (2, 3, 4)),
        ((1, 1, 4, 4), (2, 3, 4, 4), ()),  # attention mask: Where(mask, scores, -inf)
        ((3, 1), (1, 5), (5,)),
        ((), (2, 2), (2, 1)),
        ((0, 3), (3,), (1, 3)),
    ],
)
def test_where(dtype, shapes, rng):
    c = rand(rng, shapes[0], np.bool_)
    x, y = rand(rng, shapes[1], dtype), rand(rng, shapes[2], dtype)
    want = np.where(c, x, y)
    np.testing.assert_array_equal(run1("Where", [c, x, y], dtype, want.shape), want)


verf = np.vectorize(math.erf, otypes=[np.float64])
verfc = np.vectorize(math.erfc, otypes=[np.float64])


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def gelu(x):
    x = x.astype(np.float64)
    return 0.5 * x * verfc(-x / math.sqrt(2.0))  # 1 + erf would cancel in the tail


def gelu_tanh(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


# op -> (reference in float64, input transform, relative tolerance)
UNARY = {
    "Sqrt": (np.sqrt, np.abs, 1e-6),
    "Erf": (verf, None, 1e-6),
    "Tanh": (np.tanh, None, 1e-6),
    "Sigmoid": (sigmoid, None, 1e-6),
    "Relu": (lambda x: np.maximum(x, 0), None, 0),
    "Exp": (np.exp, None, 1e-6),
    "Log": (np.log, lambda x: np.abs(x) + 1e-3, 1e-6),
    "Neg": (np.negative, None, 0),
    "Abs": (np.abs, None, 0),
    "Reciprocal": (np.reciprocal, lambda x: x + np.sign(x) * 0.1, 1e-6),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 5, 33), (70, 1000)])
def test_unary(op, shape, rng, isa):
    ref, transform, rtol = UNARY[op]
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    if transform is not None:
        x = transform(x).astype(np.float32)
    want = ref(x.astype(np.float64))
    got = run1(op, [x], np.float32, x.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-7)


def test_unary_nan_and_extremes(isa):
    x = np.array([np.nan, -np.inf, np.inf, -100.0, 100.0, 0.0], np.float32)
    assert np.isnan(run1("Relu", [x], np.float32, x.shape)[0])
    s = run1("Sigmoid", [x], np.float32, x.shape)
    np.testing.assert_array_equal(s[[1, 2, 4, 5]], [0.0, 1.0, 1.0, 0.5])
    # sigmoid(-100) = exp(-100) / (1 + exp(-100)) ~ 3.8e-44, a denormal, kept on every path.
    np.testing.assert_allclose(s[3], np.exp(-100.0), rtol=0, atol=2e-45)
    e = run1("Erf", [x], np.float32, x.shape)
    assert np.isnan(e[0])
    np.testing.assert_array_equal(e[1:], [-1.0, 1.0, -1.0, 1.0, 0.0])
    ex = run1("Exp", [x], np.float32, x.shape)
    assert np.isnan(ex[0])
    np.testing.assert_array_equal(ex[1:3], [0.0, np.inf])
    # exp(-100) ~ 4e-44 is a denormal: every path keeps it (to the denormal's last place).
    np.testing.assert_allclose(ex[3:], [np.exp(-100.0), np.inf, 1.0], rtol=1e-6, atol=2e-45)
    assert np.isnan(run1("Sigmoid", [x], np.float32, x.shape)[0])
    assert np.isnan(run1("Gelu", [x], np.float32, x.shape)[0])


@pytest.mark.parametrize("approximate,ref", [("none", gelu), ("tanh", gelu_tanh)])
def test_gelu(approximate, ref, rng, isa):
    x = (rng.standard_normal((9, 130)) * 4).astype(np.float32)
    x[0, :6] = [-9.0, -7.0, -5.5, -3.0, 1e-3, -1e-3]  # the tail where 1 + erf cancels
    got = run1("Gelu", [x], np.float32, x.shape, {"approximate": approximate})
    if approximate == "none":  # relative accuracy holds into the deep negative tail
        np.testing.assert_allclose(got, ref(x), rtol=1e-6, atol=1e-30)
    else:
        np.testing.assert_allclose(got, ref(x), rtol=1e-5, atol=1e-7)


def test_gelu_default_is_exact(rng):
    x = rng.standard_normal(100).astype(np.float32)
    np.testing.assert_allclose(
        run1("Gelu", [x], np.float32, x.shape), gelu(x), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("op", ["Exp", "Erf", "Sigmoid", "Tanh", "Gelu"])
def test_vector_math_relative_accuracy_dense(op, isa):
    """The per-ISA array math stays within 1e-6 relative of float64 over [-12, 12]."""
    x = np.linspace(-12.0, 12.0, 200_001).astype(np.float32)
    xd = x.astype(np.float64)
    want = {
        "Exp": np.exp,
        "Erf": verf,
        "Sigmoid": sigmoid,
        "Tanh": np.tanh,
        "Gelu": gelu,
    }[op](xd)
    got = run1(op, [x], np.float32, x.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-37)


def test_not(rng):
    x = rand(rng, (4, 5), np.bool_)
    np.testing.assert_array_equal(run1("Not", [x], np.bool_, x.shape), ~x)


CAST_DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int8, np.uint8, np.bool_]
CODES = {
    np.float32: 1,
    np.uint8: 2,
    np.int8: 3,
    np.int32: 6,
    np.int64: 7,
    np.bool_: 9,
    np.float64: 11,
}


@pytest.mark.parametrize("src", CAST_DTYPES)
@pytest.mark.parametrize("dst", CAST_DTYPES)
def test_cast(src, dst, rng):
    if np.dtype(src).kind == "f":
        # In range for every target, fractional, both signs: truncation toward zero.
        x = (rng.standard_normal(50) * 40).astype(src)
        x[:3] = [0.0, -0.0, 127.9]
        if dst in (np.uint8,):
            x = np.abs(x)
    elif src == np.bool_:
        x = rand(rng, (50,), np.bool_)
    else:
        x = (
            rng.integers(-300, 300, 50).astype(src)
            if src != np.uint8
            else rng.integers(0, 255, 50).astype(np.uint8)
        )
    if np.dtype(src).kind == "f" and np.dtype(dst).kind in "iu":
        want = np.trunc(x).astype(np.int64).astype(dst)
    else:
        want = x.astype(dst)
    got = run1("Cast", [x], dst, x.shape, {"to": CODES[dst]})
    assert got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got, want)


def test_cast_float_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 1e30, 200.7, -1.5], np.float32)
    np.testing.assert_array_equal(run1("Cast", [x], np.bool_, x.shape, {"to": 9}), [1] * 6)
    got = run1("Cast", [x], np.int64, x.shape, {"to": 7})
    np.testing.assert_array_equal(got, [0, 2**63 - 1, -(2**63), 2**63 - 1, 200, -1])
    np.testing.assert_array_equal(run1("Cast", [x[4:]], np.int8, (2,), {"to": 3}), [-56, -1])
    big = np.array([1e300, -1e300], np.float64)
    np.testing.assert_array_equal(
        run1("Cast", [big], np.float32, (2,), {"to": 1}), [np.inf, -np.inf]
    )


# --- errors: the message names the node and what is unsupported ----------------------


def err(op, inputs, dtype, shape, attrs=None, constants=()):
    with pytest.raises(ValueError) as info:
        run1(op, inputs, dtype, shape, attrs, constants)
    msg = str(info.value)
    assert msg.startswith(f"{op} 'n0':"), msg
    return msg


def test_error_bool_add():
    a = np.zeros(3, np.bool_)
    msg = err("Add", [a, a], np.bool_, (3,))
    assert "bool input 0 is not supported (float32, float64, int32, int64, int8, uint8)" in msg


def test_error_shapes_do_not_broadcast():
    a, b = np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)
    assert "do not broadcast" in err("Mul", [a, b], np.float32, (2, 3))


def test_error_mixed_dtypes():
    msg = err("Add", [np.zeros(3, np.float32), np.zeros(3, np.int64)], np.float32, (3,))
    assert "same dtype" in msg


def test_error_wrong_output_desc():
    a = np.zeros((2, 3), np.float32)
    assert "described as float32[3, 2]" in err("Add", [a, a], np.float32, (3, 2))
    assert "gives bool[2, 3]" in err("Less", [a, a], np.float32, (2, 3))


def test_error_unary_and_logical_dtypes():
    assert "int64 input 0" in err("Sqrt", [np.zeros(2, np.int64)], np.int64, (2,))
    assert "float32 input 0" in err("And", [np.zeros(2, np.float32)] * 2, np.bool_, (2,))
    assert "float32 input 0" in err("Not", [np.zeros(2, np.float32)], np.float32, (2,))
    assert "approximate='fast'" in err(
        "Gelu", [np.zeros(2, np.float32)], np.float32, (2,), {"approximate": "fast"}
    )


def test_error_cast_target():
    x = np.zeros(2, np.float32)
    assert "to=10" in err("Cast", [x], np.float32, (2,), {"to": 10})
    assert "to=-1" in err("Cast", [x], np.float32, (2,))


def test_error_where_condition_dtype():
    x = np.zeros(2, np.float32)
    assert "float32 input 0 is not supported (bool)" in err("Where", [x, x, x], np.float32, (2,))


def test_error_variadic_max_shapes():
    x, y = np.zeros(2, np.float32), np.zeros(3, np.float32)
    assert "do not broadcast" in err("Max", [x, x, y], np.float32, (2,))


def test_broadcast_limit_names_the_node():
    a = np.zeros((2, 1) * 9, np.float32)
    b = np.zeros((1, 2) * 9, np.float32)
    assert "more than 16 dims" in err("Add", [a, b], np.float32, (2,) * 18)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float64])
@pytest.mark.parametrize("op", ["Abs", "Neg"])
def test_abs_neg_integers_and_float64(op, dtype):
    info = np.iinfo(dtype) if np.dtype(dtype).kind == "i" else None
    x = np.array([-5, 0, 7, -1] + ([info.min, info.max] if info else [2.5, -0.0]), dtype=dtype)
    fn = np.abs if op == "Abs" else np.negative
    with np.errstate(over="ignore"):
        want = fn(x)  # numpy wraps INT_MIN to itself, as two's complement does
    np.testing.assert_array_equal(run1(op, [x], dtype, x.shape), want)
