"""MatMul, Gemm and FusedLinear kernels against numpy, on every ISA path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_helpers import run_node

RTOL, ATOL = 1e-4, 1e-4


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [
        ((5, 7), (7, 3)),
        ((1, 64), (64, 96)),
        ((3, 17, 33), (33, 40)),  # batched A, 2-D B
        ((7,), (7, 5)),  # 1-D A
        ((4, 7), (7,)),  # 1-D B
        ((7,), (7,)),  # dot product
        ((2, 3, 9, 16), (2, 3, 16, 9)),  # attention-style Q @ K^T
        ((2, 1, 5, 6), (1, 4, 6, 3)),  # broadcast batch dims both ways
        ((5, 6), (3, 6, 2)),  # A broadcast over B's batch
        ((3, 5, 6), (1, 6, 2)),  # B batch of 1
        ((2, 0, 4), (4, 3)),  # empty
        ((2, 3, 0), (0, 4)),  # K = 0: zeros
    ],
)
@pytest.mark.parametrize("b_const", [False, True])
def test_matmul(isa, rng, a_shape, b_shape, b_const):
    a, b = randn(rng, *a_shape), randn(rng, *b_shape)
    want = np.matmul(a, b)
    (got,) = run_node("MatMul", [(a, False), (b, b_const)], [want.shape])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_matmul_many_heads_threads_over_batches(rng):
    a, b = randn(rng, 4, 12, 33, 64), randn(rng, 4, 12, 64, 33)
    (got,) = run_node("MatMul", [(a, False), (b, False)], [(4, 12, 33, 33)])
    np.testing.assert_allclose(got, a @ b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("b_const", [False, True])
@pytest.mark.parametrize("c_shape", [None, (), (1,), (11,), (1, 11), (6, 1), (6, 11)])
@pytest.mark.parametrize("c_const", [False, True])
def test_gemm(isa, rng, trans_a, trans_b, b_const, c_shape, c_const):
    m, k, n, alpha, beta = 6, 13, 11, 0.7, 1.3
    a = randn(rng, *((k, m) if trans_a else (m, k)))
    b = randn(rng, *((n, k) if trans_b else (k, n)))
    want = alpha * ((a.T if trans_a else a) @ (b.T if trans_b else b))
    inputs = [(a, False), (b, b_const)]
    if c_shape is not None:
        c = randn(rng, *c_shape)
        want = want + beta * c
        inputs.append((c, c_const))
    attrs = {"transA": trans_a, "transB": trans_b, "alpha": alpha, "beta": beta}
    (got,) = run_node("Gemm", inputs, [(m, n)], attrs)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def gelu(x, tanh=False):
    if tanh:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


@pytest.mark.parametrize("act", ["", "relu", "gelu", "gelu_tanh"])
@pytest.mark.parametrize("x_shape", [(1, 64), (2, 7, 48), (48,), (100, 48)])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear(isa, rng, act, x_shape, bias):
    x, w, b = randn(rng, *x_shape), randn(rng, x_shape[-1], 40), randn(rng, 40)
    want = x @ w + (b if bias else 0)
    want = {
        "": want,
        "relu": np.maximum(want, 0),
        "gelu": gelu(want),
        "gelu_tanh": gelu(want, True),
    }[act]
    inputs = [(x, False), (w, True)] + ([(b, True)] if bias else [])
    (got,) = run_node("FusedLinear", inputs, [want.shape], {"activation": act})
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_fused_linear_dynamic_weights(rng):
    x, w, b = randn(rng, 9, 20), randn(rng, 20, 33), randn(rng, 33)
    (got,) = run_node("FusedLinear", [(x, False), (w, False), (b, False)], [(9, 33)])
    np.testing.assert_allclose(got, x @ w + b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("op", "shapes", "out", "attrs", "match"),
    [
        ("MatMul", [(3, 4), (5, 6)], (3, 6), {}, r"MatMul 'node': inner dimensions differ"),
        ("MatMul", [(2, 3, 4), (3, 4, 6)], (3, 3, 6), {}, "batch dimensions do not broadcast"),
        (
            "MatMul",
            [(3, 4), (4, 6)],
            (3, 7),
            {},
            r"output 0 has shape \[3, 7\] but the inputs give \[3, 6\]",
        ),
        ("Gemm", [(3, 4, 1), (4, 6)], (3, 6), {}, "A and B must be 2-D"),
        (
            "Gemm",
            [(3, 4), (4, 6), (2, 6)],
            (3, 6),
            {},
            r"C \[2, 6\] does not broadcast to \[3, 6\]",
        ),
        (
            "FusedLinear",
            [(3, 4), (4, 6)],
            (3, 6),
            {"activation": "tanh"},
            "activation 'tanh' is not",
        ),
        ("FusedLinear", [(3, 4), (5, 6)], (3, 6), {}, "disagree on K"),
    ],
)
def test_errors(op, shapes, out, attrs, match):
    inputs = [(np.zeros(s, np.float32), i == 1) for i, s in enumerate(shapes)]
    with pytest.raises(ValueError, match=match):
        run_node(op, inputs, [out], attrs)


def test_wrong_dtype_is_rejected():
    from fastinfer import _core

    p = _core.Plan()
    a = p.add_input(7, [2, 2], "a")
    b = p.add_input(1, [2, 2], "b")
    y = p.add_output(1, [2, 2], "y")
    with pytest.raises(ValueError, match="MatMul 'mm': input 0 must be float32, got int64"):
        p.add_step("MatMul", "mm", [a, b], [y])
