"""A numpy reference interpreter for IR graphs, fused ops included.

ONNX ops run through ``onnx.reference.ReferenceEvaluator``; the ops that fastinfer's passes
create (domain ``ai.fastinfer``) are implemented here in plain numpy, written the simple way
so that they can serve as the definition of those ops. Tests compare a graph before and after
a pass with this interpreter to prove that the pass keeps the numerics.
"""

from __future__ import annotations

import math

import numpy as np
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnx.reference.ops.op_conv import Conv as _OnnxConv

from .graph import FUSED_DOMAIN, Graph
from .onnx_io import to_onnx

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    """GELU in float64, cast back to the dtype of `x`."""
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)
        y = 0.5 * x64 * (1.0 + np.tanh(inner))
    else:
        y = 0.5 * x64 * (1.0 + _erf(x64 / math.sqrt(2.0)))
    return y.astype(x.dtype)


def _activate(y: np.ndarray, activation: str) -> np.ndarray:
    if activation in ("", None):
        return y
    if activation == "relu":
        return np.maximum(y, 0).astype(y.dtype)
    if activation == "gelu":
        return _gelu(y, "none")
    if activation == "gelu_tanh":
        return _gelu(y, "tanh")
    raise ValueError(f"unknown fused activation '{activation}'")


class FusedLinear(OpRun):
    """``activation(x @ W + b)``; W is (K, N), b is (N,) or omitted."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, W, b=None, activation=""):  # noqa: N803 (ONNX input names)
        y = np.matmul(x, W)
        if b is not None:
            y = y + b
        return (_activate(y.astype(x.dtype), activation),)


class Gelu(OpRun):
    """GELU, ``approximate`` "none" (erf) or "tanh"; the ONNX opset-20 op for older opsets."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, approximate="none"):
        return (_gelu(x, approximate),)


class LayerNormalization(OpRun):
    """The ONNX opset-17 LayerNormalization (Y output only) for graphs of older opsets."""

    op_domain = FUSED_DOMAIN

    def _run(self, x, scale, bias=None, axis=-1, epsilon=1e-5, stash_type=1):
        axis = axis % x.ndim
        axes = tuple(range(axis, x.ndim))
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=axes, keepdims=True)
        var = ((x64 - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x64 - mean) / np.sqrt(var + epsilon) * scale
        if bias is not None:
            y = y + bias
        return (y.astype(x.dtype),)


class Attention(OpRun):
    """``softmax(q @ k_t * scale + mask, axis=-1) @ v``; mask omitted means no mask.

    The evaluator fills in the defaults of the ONNX op of the same name (opset 23), whose
    attributes this op does not have: they are accepted and ignored.
    """

    op_domain = FUSED_DOMAIN

    def _run(self, q, k_t, v, mask=None, scale=1.0, **_onnx_defaults):
        s = np.matmul(q, k_t).astype(np.float64) * scale
        if mask is not None:
            s = s + mask
        s = s - s.max(axis=-1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=-1, keepdims=True)
        return (np.matmul(p, v.astype(np.float64)).astype(q.dtype),)


class FusedConv(_OnnxConv):
    """ONNX Conv followed by an activation (``activation`` "relu" or "")."""

    op_domain = FUSED_DOMAIN

    def _run(  # noqa: N803 (ONNX input names)
        self,
        X,
        W,
        B=None,
        auto_pad=None,
        dilations=None,
        group=None,
        kernel_shape=None,
        pads=None,
        strides=None,
        activation="",
    ):
        (y,) = super()._run(
            X,
            W,
            B,
            auto_pad=auto_pad,
            dilations=dilations,
            group=1 if group is None else group,
            kernel_shape=kernel_shape,
            pads=pads,
            strides=strides,
        )
        return (_activate(y, activation),)


FUSED_OPS: list[type[OpRun]] = [FusedLinear, Gelu, LayerNormalization, Attention, FusedConv]


def run_reference(graph: Graph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Runs `graph` with the numpy reference interpreter.

    Parameters
    ----------
    graph : Graph
        The graph to run; it may contain fused ops of the domain ``ai.fastinfer``.
    inputs : dict[str, numpy.ndarray]
        One array per graph input, by name.

    Returns
    -------
    dict[str, numpy.ndarray]
        One array per graph output, by name.
    """
    # Value infos are left out: passes may leave stale entries for values they removed, and
    # the evaluator does not need them.
    model = to_onnx(graph, with_value_info=False)
    session = ReferenceEvaluator(model, new_ops=FUSED_OPS)
    results = session.run(None, dict(inputs))
    return dict(zip(graph.output_names, results))
