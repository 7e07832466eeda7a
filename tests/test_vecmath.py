"""The vector math (kernels/common/vec_math_*.h through the float-math table): accuracy of
each function against float64 numpy over a dense range with infinities, NaN and denormals;
one implementation per ISA, so a GELU fused into a linear layer's epilogue gives the same
bits as the standalone Gelu op; and the AVX2 and AVX-512 paths agree bit for bit."""

from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import fastinfer
from fastinfer import _core
from int8_reference import gelu_tanh
from nn_helpers import run_node

verf = np.vectorize(math.erf, otypes=[np.float64])
verfc = np.vectorize(math.erfc, otypes=[np.float64])


def sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x < 0, e, 1.0) / (1.0 + e)


REFERENCES = {
    "Exp": np.exp,
    "Erf": verf,
    "Tanh": np.tanh,
    "Sigmoid": sigmoid,
    "Gelu": lambda x: 0.5 * x * verfc(-x / math.sqrt(2.0)),
    "Gelu(tanh)": gelu_tanh,
    "Silu": lambda x: x * sigmoid(x),
}


def run_op(op: str, x: np.ndarray) -> np.ndarray:
    """One of the REFERENCES' ops on x, as a one-step plan."""
    if op == "Gelu(tanh)":
        return run_node("Gelu", [(x, False)], [x.shape], {"approximate": "tanh"})[0]
    return run_node(op, [(x, False)], [x.shape])[0]


def tail_ulps(op: str, x: np.ndarray, scalar: bool) -> np.ndarray:
    """Extra ulps allowed per element, 0 but for SiLU's product and in two tails:
    - the vector tanh GELU computes a = |2u|, its exp's argument, in float32, whose rounding
      costs up to ~2a ulp where x < 0 (measured: within 2.2a, a = 17 at x = -5);
    - SiLU is x times sigmoid's float32 result, which is denormal below x = -87.3: its half
      an ulp of rounding there becomes |x| / 2 ulp of the product (every path, as in the
      Sigmoid and Mul it replaces)."""
    x64 = x.astype(np.float64)
    if op == "Gelu(tanh)" and not scalar:
        with np.errstate(all="ignore"):
            a = 2.0 * math.sqrt(2.0 / math.pi) * np.abs(x64) * (1.0 + 0.044715 * x64 * x64)
        return np.where(x < 0, np.nan_to_num(a, posinf=0.0), 0.0) * 2.5
    if op == "Silu":
        return np.where(x < -87.0, np.abs(x64) * 0.5 + 1.0, 1.0)  # 1: the product's rounding
    return np.zeros(x.shape)


# Largest error in units of the float32 result's last place (denormal results: of the
# smallest denormal), measured: libm within 2.3 ulp, the vector paths within 6.8 (erf's
# rational fit near |x| = 4 and the erfc fit in GELU's tail dominate).
MAX_ULP = {"scalar": 2.5}
VECTOR_MAX_ULP = 7.0

SPECIALS = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40, 1.1754942e-38]
SPECIALS += [3.4e38, -3.4e38, 88.72, 88.73, -87.3, -103.0, -104.0, 20.0, -20.0]


def dense_inputs() -> np.ndarray:
    parts = [
        np.linspace(-20.0, 20.0, 200_001),
        np.linspace(-105.0, 90.0, 50_001),  # exp's whole range: denormal results, overflow
        np.geomspace(1e-44, 1e-30, 2_001),  # denormal and tiny inputs, both signs
        -np.geomspace(1e-44, 1e-30, 2_001),
        np.array(SPECIALS),
    ]
    return np.concatenate(parts).astype(np.float32)


def ulp_errors(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in ulps of want rounded to float32; 0 where want is not a finite float32
    (those are compared exactly)."""
    with np.errstate(over="ignore"):
        w32 = want.astype(np.float32)
    finite = np.isfinite(w32)
    spacing = np.maximum(np.spacing(np.abs(w32)).astype(np.float64), 2.0**-149)
    diff = np.abs(got.astype(np.float64) - np.where(finite, want, 0.0))
    return np.where(finite, diff / spacing, 0.0)


@pytest.mark.parametrize("op", sorted(REFERENCES))
def test_accuracy_against_float64(op, isa):
    x = dense_inputs()
    with np.errstate(all="ignore"):
        want = REFERENCES[op](x.astype(np.float64))
        w32 = want.astype(np.float32)
    got = run_op(op, x)
    scalar = isa in MAX_ULP
    limit = (MAX_ULP[isa] if scalar else VECTOR_MAX_ULP) + tail_ulps(op, x, scalar)
    excess = ulp_errors(got, want) - limit
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, f"{op} at x={x[worst]!r}: {excess[worst]:.2f} ulp over the bound"
    # Infinities, overflow and NaN exactly as float64 numpy rounded to float32.
    special = ~np.isfinite(w32)
    np.testing.assert_array_equal(got[special], w32[special])


def test_specials_exactly(isa):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40], np.float32)
    run = {op: run_op(op, x) for op in REFERENCES}
    np.testing.assert_array_equal(run["Exp"][:4], [np.nan, np.inf, 0.0, 1.0])
    np.testing.assert_array_equal(run["Erf"][:5], [np.nan, 1.0, -1.0, 0.0, -0.0])
    np.testing.assert_array_equal(run["Tanh"][:5], [np.nan, 1.0, -1.0, 0.0, -0.0])
    np.testing.assert_array_equal(run["Sigmoid"][:4], [np.nan, 1.0, 0.0, 0.5])
    # gelu(-inf) = -inf * Phi(-inf) is NaN in float64 numpy too; gelu(inf) = inf.
    np.testing.assert_array_equal(run["Gelu"][:4], [np.nan, np.inf, np.nan, 0.0])
    np.testing.assert_array_equal(run["Gelu(tanh)"][:4], [np.nan, np.inf, np.nan, 0.0])
    np.testing.assert_array_equal(run["Silu"][:4], [np.nan, np.inf, np.nan, 0.0])
    assert run["Tanh"][5] == np.float32(1e-40)  # denormals are not flushed
    assert run["Sigmoid"][5] == 0.5


@pytest.mark.skipif(
    not {"avx2", "avx512"} <= set(_core.supported_isas()), reason="needs AVX2 and AVX-512"
)
@pytest.mark.parametrize("op", sorted(REFERENCES))
def test_avx2_and_avx512_agree_bitwise(op):
    x = dense_inputs()
    original = _core.active_isa()
    got = {}
    try:
        for isa in ("avx2", "avx512"):
            _core._force_isa(isa)
            got[isa] = run_op(op, x)
    finally:
        _core._force_isa(original)
    np.testing.assert_array_equal(got["avx2"].view(np.int32), got["avx512"].view(np.int32))


def linear_gelu_model(w: np.ndarray, b: np.ndarray, approximate: str) -> onnx.ModelProto:
    """x @ W + b then Gelu (opset 20's op), as an exporter writes a transformer MLP."""
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["h"]),
        helper.make_node("Gelu", ["h"], ["y"], approximate=approximate),
    ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["m", w.shape[0]])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["m", w.shape[1]])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize(("m", "k", "n"), [(1, 8, 1), (7, 33, 45), (64, 128, 96)])
def test_fused_gelu_epilogue_equals_gelu_op(isa, rng, m, k, n, approximate):
    """The same bits whether GELU runs in the GEMM epilogue (FusedLinear) or as the Gelu op
    after MatMul and Add (optimisation off); inputs reach GELU's negative tail."""
    w = (rng.standard_normal((k, n)) / math.sqrt(k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    x = (rng.standard_normal((m, k)) * 6).astype(np.float32)
    model = linear_gelu_model(w, b, approximate)
    fused = fastinfer.load(model, backend="native")
    unfused = fastinfer.load(model, backend="native", optimize=False)
    assert [nd.op_type for nd in fused.graph.nodes] == ["FusedLinear"]
    assert [nd.op_type for nd in unfused.graph.nodes] == ["MatMul", "Add", "Gelu"]
    want = fused.run({"x": x})["y"]
    got = unfused.run({"x": x})["y"]
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    # And directly: the epilogue against the Gelu kernel on the epilogue-free result.
    (h,) = run_node("FusedLinear", [(x, False), (w, True), (b, True)], [(m, n)])
    (direct,) = run_node("Gelu", [(h, False)], [(m, n)], {"approximate": approximate})
    np.testing.assert_array_equal(direct.view(np.int32), want.view(np.int32))


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 31, 33, 1000])
def test_softmax_rows_with_nan_and_tails(isa, rng, n):
    """Softmax's vector max and scale: tails of every length, NaN rows stay NaN."""
    x = (rng.standard_normal((3, n)) * 5).astype(np.float32)
    if n:
        x[1, n // 2] = np.nan
        x[2] = -np.inf
        x[2, n - 1] = -3.0  # a row of -inf but one: exact
    (got,) = run_node("Softmax", [(x, False)], [x.shape], {"axis": -1})
    if not n:
        return
    e = np.exp(x[0].astype(np.float64) - x[0].max())
    # x - max rounds: exp(x - max) is only as relative-accurate as |x - max| ulp allows.
    np.testing.assert_allclose(got[0], e / e.sum(), rtol=1e-6, atol=1e-7)
    assert np.isnan(got[1]).all()
    np.testing.assert_array_equal(got[2], np.eye(n, dtype=np.float32)[n - 1])
