"""Conv / FusedConv, pools and BatchNormalization against the ONNX reference evaluator."""

from __future__ import annotations

import numpy as np
import pytest

from nn_helpers import I64, onnx_reference, ort_reference, run_node

RTOL, ATOL = 1e-4, 1e-4


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


CONV_CASES = [
    # (x shape, out channels, kernel, attrs)
    ((1, 3, 8, 8), 4, (3, 3), {}),
    ((3, 4, 9, 7), 6, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 4, 11, 10), 8, (3, 3), {"strides": [2, 2], "pads": [1, 0, 1, 2]}),
    ((1, 16, 7, 7), 24, (1, 1), {}),  # pointwise
    ((2, 8, 6, 5), 4, (1, 1), {"strides": [2, 2]}),
    ((1, 4, 12, 12), 6, (3, 3), {"dilations": [2, 2], "pads": [2, 2, 2, 2]}),
    ((2, 4, 9, 9), 6, (3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ((3, 6, 10, 9), 6, (3, 3), {"group": 6, "pads": [1, 1, 1, 1]}),  # depthwise
    ((1, 4, 10, 10), 8, (3, 3), {"group": 4, "strides": [2, 2]}),  # multiplier 2
    ((1, 5, 9, 8), 5, (5, 3), {"group": 5, "dilations": [2, 1], "auto_pad": "SAME_UPPER"}),
    ((1, 3, 9, 8), 4, (4, 4), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 3, 9, 8), 4, (4, 4), {"auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    ((2, 3, 9, 8), 4, (2, 3), {"auto_pad": "VALID", "strides": [1, 2]}),
    ((2, 3, 17), 5, (3,), {"pads": [1, 1]}),  # 1-D
    ((1, 3, 40, 40), 33, (7, 7), {"strides": [2, 2], "pads": [3, 3, 3, 3]}),
    # stride 1 (the direct path on AVX-512): rows wider than a panel, asymmetric and no
    # padding, output channels past one 12-row tile, a 3-channel stem
    ((2, 5, 13, 37), 26, (3, 3), {"pads": [0, 2, 1, 0]}),
    ((1, 16, 8, 8), 64, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 3, 33, 33), 16, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((1, 6, 5, 9), 13, (2, 4), {}),
    ((1, 8, 6, 6), 12, (1, 1), {"pads": [1, 0, 0, 1]}),
    # output width a multiple of 8 (the row-run direct path): two rows per vector with an
    # 8-pixel tail, 16-wide rows with a 16-pixel tail, runs of one vector in two rows,
    # strided (phase-split input) 3x3 and 1x1
    ((2, 6, 5, 8), 14, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((1, 4, 3, 16), 7, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((1, 5, 6, 24), 9, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 8, 15, 16), 20, (3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 8, 16, 16), 16, (1, 1), {"strides": [2, 2]}),
    # stride 3: the phase split's gather path
    ((1, 4, 14, 13), 5, (3, 3), {"strides": [3, 3], "pads": [1, 2, 0, 1]}),
    # output planes of at most 16 pixels with batch > 1 (several images per panel): a
    # partial last panel (3 images of 16), 9 and 5 pixels, K past one 256-row block,
    # strided 3x3 and 1x1
    ((3, 32, 4, 4), 20, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((5, 6, 8, 8), 7, (3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((4, 3, 3, 3), 13, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((2, 5, 1, 5), 4, (1, 3), {"pads": [0, 1, 0, 1]}),
    ((7, 8, 8, 8), 16, (1, 1), {"strides": [2, 2]}),
    # ... and at batch 1 (the patches as a dense grid for the direct kernel): 4x4, 3x3
    # strided, 5 pixels of a 1-row output
    ((1, 32, 4, 4), 26, (3, 3), {"pads": [1, 1, 1, 1]}),
    ((1, 16, 6, 6), 13, (3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 8, 6, 6), 12, (1, 1), {"strides": [2, 2]}),
    ((1, 5, 1, 5), 4, (1, 3), {"pads": [0, 1, 0, 1]}),
    # input planes of 33..64 floats (two register pairs) and past 64 (memory gathers)
    ((2, 4, 7, 7), 9, (3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((2, 4, 11, 11), 5, (3, 3), {"strides": [3, 3]}),
]


@pytest.mark.parametrize(("x_shape", "m", "kernel", "attrs"), CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv(isa, rng, x_shape, m, kernel, attrs, bias):
    group = attrs.get("group", 1)
    x = randn(rng, *x_shape)
    w = randn(rng, m, x_shape[1] // group, *kernel)
    b = randn(rng, m) if bias else None
    (want,) = onnx_reference("Conv", [x, w, b] if bias else [x, w], **attrs)
    inputs = [(x, False), (w, True)] + ([(b, True)] if bias else [])
    (got,) = run_node("Conv", inputs, [want.shape], attrs)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    (fused,) = run_node("FusedConv", inputs, [want.shape], {**attrs, "activation": "relu"})
    np.testing.assert_allclose(fused, np.maximum(want, 0), rtol=RTOL, atol=ATOL)
    # The residual input (4th) is added before the activation.
    r = randn(rng, *want.shape)
    res_inputs = inputs + ([] if bias else [None]) + [(r, False)]
    for act, expect in [("relu", np.maximum(want + r, 0)), ("", want + r)]:
        (got,) = run_node("FusedConv", res_inputs, [want.shape], {**attrs, "activation": act})
        np.testing.assert_allclose(got, expect, rtol=RTOL, atol=ATOL)


POOL_CASES = [
    ((1, 3, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((2, 4, 9, 7), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 9, 9), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    (
        (1, 2, 10, 10),
        {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1},
    ),
    ((3, 2, 7, 8), {"kernel_shape": [3, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 2, 7, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"}),
    ((1, 2, 7, 8), {"kernel_shape": [2, 3], "auto_pad": "VALID"}),
    ((2, 3, 15), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),  # 1-D
]


@pytest.mark.parametrize(("x_shape", "attrs"), POOL_CASES)
def test_max_pool(isa, rng, x_shape, attrs):
    x = randn(rng, *x_shape)
    want = ort_reference("MaxPool", [x], out_types=(1, I64), **attrs)
    got = run_node("MaxPool", [(x, False)], [want[0].shape] * 2, attrs, out_dtypes=[1, I64])
    np.testing.assert_allclose(got[0], want[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(got[1], want[1])


@pytest.mark.parametrize("x_shape", [(2, 3, 10, 18), (1, 2, 9, 11), (1, 1, 4, 6)])
def test_max_pool_2x2_stride2_values_only(isa, rng, x_shape):
    # Y alone takes the no-padding fast path (vectorised rows for 2x2 stride 2); widths
    # cover whole vectors of 4 outputs, a scalar tail and an odd column dropped by floor.
    x = randn(rng, *x_shape)
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2]}
    (want,) = ort_reference("MaxPool", [x], **attrs)
    (got,) = run_node("MaxPool", [(x, False)], [want.shape], attrs)
    np.testing.assert_array_equal(got, want)


def test_max_pool_dilation(rng):
    x = randn(rng, 2, 3, 11, 10)
    attrs = {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [1, 1, 1, 1]}
    (want,) = onnx_reference("MaxPool", [x], **attrs)
    (got,) = run_node("MaxPool", [(x, False)], [want.shape], attrs)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("x_shape", "attrs"), POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool(isa, rng, x_shape, attrs, count_include_pad):
    x = randn(rng, *x_shape)
    attrs = {**attrs, "count_include_pad": count_include_pad}
    (want,) = onnx_reference("AveragePool", [x], **attrs)
    (got,) = run_node("AveragePool", [(x, False)], [want.shape], attrs)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("x_shape", [(1, 3, 7, 7), (2, 5, 1, 1), (2, 4, 13), (1, 2, 3, 4, 5)])
def test_global_pool(isa, rng, op, x_shape):
    x = randn(rng, *x_shape)
    axes = tuple(range(2, x.ndim))  # numpy: onnx.reference's GlobalMaxPool mis-shapes 3-D/5-D
    want = x.mean(axes, keepdims=True) if op == "GlobalAveragePool" else x.max(axes, keepdims=True)
    (got,) = run_node(op, [(x, False)], [want.shape])
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("x_shape", [(2, 3, 5, 4), (3, 6), (1, 4, 9)])
@pytest.mark.parametrize("const", [True, False])
def test_batch_norm(isa, rng, x_shape, const):
    c = x_shape[1]
    x = randn(rng, *x_shape)
    scale, bias, mean = randn(rng, c), randn(rng, c), randn(rng, c)
    var = rng.uniform(0.1, 2.0, c).astype(np.float32)
    (want,) = onnx_reference("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-3)
    inputs = [(x, False)] + [(p, const) for p in (scale, bias, mean, var)]
    (got,) = run_node("BatchNormalization", inputs, [x_shape], {"epsilon": 1e-3})
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("op", "shapes", "out", "attrs", "match"),
    [
        (
            "Conv",
            [(1, 3, 8, 8), (4, 3, 3, 3)],
            (1, 4, 6, 6),
            {"auto_pad": "FOO"},
            "Conv 'node': auto_pad 'FOO' is not supported",
        ),
        ("Conv", [(1, 4, 8, 8), (4, 3, 3, 3)], (1, 4, 6, 6), {"group": 3}, "group 3 must divide"),
        (
            "Conv",
            [(1, 4, 8, 8), (4, 3, 3, 3)],
            (1, 4, 6, 6),
            {},
            "needs 4 input channels per group",
        ),
        (
            "Conv",
            [(1, 3, 8, 8), (4, 3, 3, 3)],
            (1, 4, 8, 8),
            {},
            r"output 0 has shape \[1, 4, 8, 8\] but the inputs give \[1, 4, 6, 6\]",
        ),
        ("Conv", [(1, 3, 2, 2), (4, 3, 3, 3)], (1, 4, 1, 1), {}, "larger than the padded input"),
        (
            "Conv",
            [(1, 3, 4, 4, 4), (4, 3, 1, 1, 1)],
            (1, 4, 4, 4, 4),
            {},
            "only 1-D and 2-D convolutions",
        ),
        (
            "Conv",
            [(1, 3, 8, 8), (4, 3, 3, 3)],
            (1, 4, 6, 6),
            {"strides": [0, 1]},
            "must be positive",
        ),
        (
            "Conv",
            [(1, 3, 8, 8), (4, 3, 3, 3)],
            (1, 4, 6, 6),
            {"kernel_shape": [2, 2]},
            "does not match the weights",
        ),
        (
            "FusedConv",
            [(1, 3, 8, 8), (4, 3, 3, 3)],
            (1, 4, 6, 6),
            {"activation": "gelu"},
            "activation 'gelu' is not supported",
        ),
        ("MaxPool", [(1, 3, 8, 8)], (1, 3, 4, 4), {}, "kernel_shape is required"),
        (
            "MaxPool",
            [(1, 3, 8, 8)],
            (1, 3, 4, 4),
            {"kernel_shape": [2, 2], "pads": [1, 1]},
            "pads must have 4 values",
        ),
        (
            "AveragePool",
            [(1, 3, 8, 8)],
            (1, 3, 4, 4),
            {"kernel_shape": [2, 2]},
            r"but the inputs give \[1, 3, 7, 7\]",
        ),
        (
            "BatchNormalization",
            [(2, 3, 4), (3,), (3,), (3,), (4,)],
            (2, 3, 4),
            {},
            r"input 4 must have shape \[3\]",
        ),
        (
            "BatchNormalization",
            [(2, 3, 4), (3,), (3,), (3,), (3,)],
            (2, 3, 4),
            {"training_mode": 1},
            "training_mode=1",
        ),
        ("GlobalAveragePool", [(2, 3)], (2, 3), {}, "rank >= 3"),
    ],
)
def test_errors(op, shapes, out, attrs, match):
    inputs = [(np.zeros(s, np.float32), i > 0) for i, s in enumerate(shapes)]
    with pytest.raises(ValueError, match=match):
        run_node(op, inputs, [out], attrs)


def test_conv_weights_must_be_constant():
    x, w = np.zeros((1, 3, 4, 4), np.float32), np.zeros((2, 3, 1, 1), np.float32)
    with pytest.raises(ValueError, match="Conv 'node': W must be a constant initializer"):
        run_node("Conv", [(x, False), (w, False)], [(1, 2, 4, 4)])


@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool_window_larger_than_input_with_ceil_mode(count_include_pad):
    """HF EfficientNet pools a 1x1 map with a 320x320 window, stride 320, ceil_mode=1:
    one output, the mean of the input the window covers (as onnxruntime computes it)."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    import fastinfer

    node = helper.make_node(
        "AveragePool",
        ["x"],
        ["y"],
        kernel_shape=[320, 320],
        strides=[320, 320],
        ceil_mode=1,
        count_include_pad=count_include_pad,
    )
    graph = helper.make_graph(
        [node],
        "pool",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 8, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 8, 1, 1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = np.random.default_rng(0).random((2, 8, 1, 1), dtype=np.float32)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = fastinfer.load(model, backend="native")(x)
    np.testing.assert_allclose(got, sess.run(None, {"x": x})[0], rtol=1e-6, atol=0)
