"""The channel-blocked (NCHW16c) conv route and the lowering that chooses it.

Kernel: one FusedConv step with the blocked_x / blocked_y / blocked_r attributes on every
path (the `isa` fixture), its blocked operands made and read back with numpy, against the
float64 reference of test_conv_paths: output widths 1..13 (every tail of the 6-pixel tiles),
output channels 16..80 (every tail of the 4-block groups), taps beyond one pass (8 or 16),
strides 1..3, asymmetric pads, residual in either layout, Relu6, NaN.
Same tolerance as test_conv_paths (rtol 1e-4, atol 1e-4 x the largest output).

Lowering: which convs of a graph keep blocked tensors, and whole graphs against
onnxruntime with the layout on and off (FASTINFER_CONV_LAYOUT=nchw)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer
from fastinfer.compile.conv_layout import blocked_conv_attrs
from nn_helpers import run_node
from test_conv_paths import ACTS, check, conv_ref

B = 16


def to_blocked(a: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    return np.ascontiguousarray(a.reshape(n, c // B, B, h, w).transpose(0, 1, 3, 4, 2))


def from_blocked(a: np.ndarray, shape) -> np.ndarray:
    n, c, h, w = shape
    return a.reshape(n, c // B, h, w, B).transpose(0, 1, 4, 2, 3).reshape(shape)


def run_blocked(x, w, b, strides, pads, act, layouts, res=None, group=1):
    bx, by, br = layouts
    n, _, h, wd = x.shape
    m, _, kh, kw = w.shape
    oh = (h + pads[0] + pads[2] - kh) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - kw) // strides[1] + 1
    shape = (n, m, oh, ow)
    feed_x = to_blocked(x).reshape(x.shape) if bx else x
    inputs = [(feed_x, False), (w, True), (b, True) if b is not None else None]
    if res is not None:
        inputs.append(((to_blocked(res).reshape(res.shape) if br else res), False))
    attrs = {
        "strides": list(strides),
        "pads": list(pads),
        "activation": act,
        "blocked_x": bx,
        "blocked_y": by,
        "blocked_r": br,
        "group": group,
    }
    (got,) = run_node("FusedConv", inputs, [shape], attrs)
    return from_blocked(got, shape) if by else got


LAYOUTS = [(1, 1, 0), (0, 1, 0), (1, 0, 0), (1, 1, 1), (0, 0, 1), (1, 0, 1)]


@pytest.mark.parametrize("out_w", range(1, 14))
def test_every_width(isa, rng, out_w):
    x = rng.standard_normal((1, 32, 3, out_w + 2)).astype(np.float32)
    w = rng.standard_normal((48, 32, 3, 3)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    want = conv_ref(x, w, b)
    for layouts in [(1, 1, 0), (0, 0, 1)]:
        got = run_blocked(x, w, b, (1, 1), (0, 0, 0, 0), "", layouts[:2] + (0,))
        check(got, want)


@pytest.mark.parametrize("out_c", [16, 32, 48, 64, 80, 144])
@pytest.mark.parametrize("layouts", LAYOUTS)
def test_channels_and_layouts(isa, rng, out_c, layouts):
    x = rng.standard_normal((2, 48, 9, 7)).astype(np.float32)
    w = rng.standard_normal((out_c, 48, 3, 3)).astype(np.float32)
    b = rng.standard_normal(out_c).astype(np.float32)
    pads = (1, 0, 2, 1)
    ref = conv_ref(x, w, b, pads=pads)
    res = rng.standard_normal(ref.shape).astype(np.float32)
    got = run_blocked(x, w, b, (1, 1), pads, "relu", layouts, res=res if layouts[2] else None)
    want = ACTS["relu"](ref + (res if layouts[2] else 0))
    check(got, want)


@pytest.mark.parametrize(
    "kernel, strides, pads",
    [
        ((1, 1), (1, 1), (0, 0, 0, 0)),
        ((1, 1), (2, 2), (0, 0, 0, 0)),
        ((3, 3), (2, 2), (1, 1, 1, 1)),
        ((3, 3), (3, 2), (0, 1, 2, 0)),
        ((5, 5), (1, 1), (2, 2, 2, 2)),
        ((7, 1), (1, 1), (3, 0, 3, 0)),
        ((2, 2), (2, 2), (0, 0, 0, 0)),
    ],
)
def test_windows(isa, rng, kernel, strides, pads):
    # 64 input channels: 4 blocks x up to 35 window taps, several passes on every path.
    x = rng.standard_normal((1, 64, 11, 10)).astype(np.float32)
    w = rng.standard_normal((32, 64, *kernel)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    want = np.clip(conv_ref(x, w, b, strides=strides, pads=pads), 0, 6)
    for layouts in [(1, 1, 0), (0, 1, 0), (1, 0, 0)]:
        check(run_blocked(x, w, b, strides, pads, "relu6", layouts), want)


def test_no_bias_and_nan(isa, rng):
    x = rng.standard_normal((1, 16, 5, 5)).astype(np.float32)
    x[0, 3, 2, 2] = np.nan
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    want = ACTS["relu"](conv_ref(x, w, pads=(1, 1, 1, 1)))
    got = run_blocked(x, w, None, (1, 1), (1, 1, 1, 1), "relu", (1, 1, 0))
    assert np.array_equal(np.isnan(got), np.isnan(want))  # the 3x3 window around (2, 2)
    assert np.isnan(got).sum() == 16 * 9
    ok = ~np.isnan(want)
    check(got[ok], want[ok])


# -- depthwise -------------------------------------------------------------------------------


def run_dw(x, w, b, strides, pads, act, layouts, res=None):
    return run_blocked(x, w, b, strides, pads, act, layouts, res=res, group=x.shape[1])


@pytest.mark.parametrize("out_w", range(1, 20))
@pytest.mark.parametrize("stride", [1, 2])
def test_depthwise_every_width(isa, rng, out_w, stride):
    # Widths 1..19 with pad 1: every tail of the 6- and 8-pixel tiles, and rows whose edge
    # pixels are all there is (width 1 and 2: no interior column).
    wd = (out_w - 1) * stride + 1
    x = rng.standard_normal((1, 32, 5, wd)).astype(np.float32)
    w = rng.standard_normal((32, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    pads = (1, 1, 1, 1)
    want = np.clip(conv_ref(x, w, b, strides=(stride,) * 2, pads=pads, group=32), 0, 6)
    for layouts in [(1, 1, 0), (0, 1, 0), (1, 0, 0)]:
        got = run_dw(x, w, b, (stride,) * 2, pads, "relu6", layouts)
        assert got.shape == want.shape
        check(got, want)


@pytest.mark.parametrize(
    "kernel, strides, pads",
    [
        ((3, 3), (1, 1), (0, 0, 0, 0)),
        ((3, 3), (2, 2), (0, 0, 1, 1)),  # the asymmetric pads of TF-style "same"
        ((5, 5), (1, 1), (2, 2, 2, 2)),
        ((5, 5), (2, 2), (1, 2, 2, 1)),
        ((7, 7), (1, 1), (3, 3, 3, 3)),  # ConvNeXt
        ((3, 1), (1, 1), (1, 0, 1, 0)),
        ((1, 1), (1, 1), (0, 0, 0, 0)),
        ((3, 3), (3, 3), (2, 2, 2, 2)),  # windows wholly in the padding
    ],
)
@pytest.mark.parametrize("layouts", LAYOUTS)
def test_depthwise_windows_and_layouts(isa, rng, kernel, strides, pads, layouts):
    x = rng.standard_normal((2, 48, 9, 11)).astype(np.float32)
    w = rng.standard_normal((48, 1, *kernel)).astype(np.float32)
    b = rng.standard_normal(48).astype(np.float32)
    ref = conv_ref(x, w, b, strides=strides, pads=pads, group=48)
    res = rng.standard_normal(ref.shape).astype(np.float32) if layouts[2] else None
    got = run_dw(x, w, b, strides, pads, "relu", layouts, res=res)
    check(got, ACTS["relu"](ref + (res if res is not None else 0)))


def test_depthwise_no_bias_and_nan(isa, rng):
    x = rng.standard_normal((1, 16, 6, 6)).astype(np.float32)
    x[0, 5, 0, 3] = np.nan  # on the top edge: the rows that skip the padding
    w = rng.standard_normal((16, 1, 3, 3)).astype(np.float32)
    want = conv_ref(x, w, pads=(1, 1, 1, 1), group=16)
    got = run_dw(x, w, None, (1, 1), (1, 1, 1, 1), "", (1, 1, 0))
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got).sum() == 6  # 2 rows x 3 columns of channel 5
    ok = ~np.isnan(want)
    check(got[ok], want[ok])


def test_ineligible_conv_is_refused():
    x = np.zeros((1, 32, 4, 4), np.float32)
    w = np.zeros((32, 16, 3, 3), np.float32)
    with pytest.raises(ValueError, match="blocked layout needs a 2-D conv with group 1"):
        run_node(
            "FusedConv", [(x, False), (w, True)], [(1, 32, 2, 2)], {"group": 2, "blocked_y": 1}
        )
    # Depthwise with a channel multiplier (2 outputs per input) has no blocked kernel.
    w = np.zeros((32, 1, 3, 3), np.float32)
    x = np.zeros((1, 16, 4, 4), np.float32)
    with pytest.raises(ValueError, match=r"or depthwise, one output channel per input"):
        run_node(
            "FusedConv", [(x, False), (w, True)], [(1, 32, 2, 2)], {"group": 16, "blocked_x": 1}
        )


# -- lowering -------------------------------------------------------------------------------


def conv_node(name, x, y, cin, cout, k, stride, inits, rng, res=None, relu=True):
    w = (rng.standard_normal((cout, cin, k, k)) * (2.0 / (cin * k * k)) ** 0.5).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    inits += [numpy_helper.from_array(w, f"{name}.w"), numpy_helper.from_array(b, f"{name}.b")]
    nodes = [
        helper.make_node(
            "Conv", [x, f"{name}.w", f"{name}.b"], [f"{name}.c"], kernel_shape=[k, k],
            strides=[stride, stride], pads=[k // 2] * 4, name=name,
        )
    ]  # fmt: skip
    out = f"{name}.c"
    if res is not None:
        nodes.append(helper.make_node("Add", [out, res], [f"{name}.a"]))
        out = f"{name}.a"
    if relu:
        nodes.append(helper.make_node("Relu", [out], [y]))
    elif res is None:
        nodes[0].output[0] = y
    else:
        nodes[-1].output[0] = y
    return nodes


def resnet_like(rng, c=32, side_output=False):
    """Stem (3 channels: stays NCHW) -> MaxPool -> two bottlenecks (a projection shortcut,
    then an identity one) -> a stride-2 3x3 -> GlobalAveragePool; optionally b2a's output
    as a second graph output."""
    inits, nodes = [], []
    nodes += conv_node("stem", "x", "s", 3, c, 3, 1, inits, rng)
    nodes.append(helper.make_node("MaxPool", ["s"], ["p"], kernel_shape=[2, 2], strides=[2, 2]))
    nodes += conv_node("b1a", "p", "b1a", c, c, 1, 1, inits, rng)
    nodes += conv_node("b1b", "b1a", "b1b", c, c, 3, 1, inits, rng)
    nodes += conv_node("b1s", "p", "b1s", c, 2 * c, 1, 1, inits, rng, relu=False)
    nodes += conv_node("b1c", "b1b", "b1", c, 2 * c, 1, 1, inits, rng, res="b1s")
    nodes += conv_node("b2a", "b1", "b2a", 2 * c, c, 1, 1, inits, rng)
    nodes += conv_node("b2b", "b2a", "b2b", c, c, 3, 1, inits, rng)
    nodes += conv_node("b2c", "b2b", "b2", c, 2 * c, 1, 1, inits, rng, res="b1")
    nodes += conv_node("down", "b2", "d", 2 * c, 2 * c, 3, 2, inits, rng)
    nodes.append(helper.make_node("GlobalAveragePool", ["d"], ["y"]))
    graph = helper.make_graph(
        nodes, "resnet_like",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 18, 18])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2 * c, 1, 1])]
        + ([helper.make_tensor_value_info("b2a", TensorProto.FLOAT, ["n", c, 9, 9])]
           if side_output else []),
        initializer=inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def layouts_by_conv(model: fastinfer.Model) -> dict[str, tuple[int, int, int]]:
    graph = model._graph
    attrs = blocked_conv_attrs(graph)
    out = {}
    for n in graph.nodes:
        if id(n) in attrs:
            a = attrs[id(n)]
            out[n.name.split("/")[-1]] = (a["blocked_x"], a["blocked_y"], a["blocked_r"])
    return out


def test_chain_assignment():
    model = fastinfer.load(resnet_like(np.random.default_rng(0)), backend="native")
    # The stem (3 channels) and its MaxPool stay NCHW; the last conv feeds GlobalAveragePool;
    # The residual fusion folds b1's Add into the shortcut conv b1s (adding b1c's blocked
    # output), and b2's into b2c (adding the blocked b1).
    assert layouts_by_conv(model) == {
        "b1a": (0, 1, 0),
        "b1b": (1, 1, 0),
        "b1s": (0, 1, 1),
        "b1c": (1, 1, 0),
        "b2a": (1, 1, 0),
        "b2b": (1, 1, 0),
        "b2c": (1, 1, 1),
        "down": (1, 0, 0),
    }


def test_chain_with_more_ends_than_interior_stays_nchw():
    # b2a's output is also a graph output, so b2a writes NCHW and b2b reads it: 3 interior
    # convs (b1b, b1c, b2c) against 5 at the chain's ends, which would each reorder.
    model = fastinfer.load(resnet_like(np.random.default_rng(0), side_output=True))
    assert layouts_by_conv(model) == {}


def mobilenet_block(rng, mult=1):
    """expand 1x1 -> depthwise 3x3 (mult outputs per input) -> project 1x1 -> expand2 1x1."""
    inits, nodes = [], []
    nodes += conv_node("expand", "x", "e", 16, 96, 1, 1, inits, rng)
    w = rng.standard_normal((96 * mult, 1, 3, 3)).astype(np.float32)
    inits.append(numpy_helper.from_array(w, "dw.w"))
    nodes.append(helper.make_node("Conv", ["e", "dw.w"], ["d"], group=96, pads=[1] * 4, name="dw"))
    nodes += conv_node("project", "d", "p", 96 * mult, 16, 1, 1, inits, rng, relu=False)
    nodes += conv_node("expand2", "p", "e2", 16, 96, 1, 1, inits, rng)
    graph = helper.make_graph(
        nodes, "mbv2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 16, 8, 8])],
        [helper.make_tensor_value_info("e2", TensorProto.FLOAT, ["n", 96, 8, 8])],
        initializer=inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_depthwise_joins_the_chain():
    model = fastinfer.load(mobilenet_block(np.random.default_rng(1)), backend="native")
    assert layouts_by_conv(model) == {
        "expand": (0, 1, 0),
        "dw": (1, 1, 0),
        "project": (1, 1, 0),
        "expand2": (1, 0, 0),
    }


def test_depthwise_with_a_multiplier_breaks_the_chain():
    # 2 outputs per input channel: no blocked kernel, so the chain splits into
    # expand (alone) and project -> expand2, each without interior convs.
    model = fastinfer.load(mobilenet_block(np.random.default_rng(1), mult=2), backend="native")
    assert layouts_by_conv(model) == {}


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("mult", [1, 2])
def test_mobilenet_block_against_onnxruntime(isa, batch, mult, monkeypatch):
    proto = mobilenet_block(np.random.default_rng(4), mult)
    x = np.random.default_rng(5).standard_normal((batch, 16, 8, 8)).astype(np.float32)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = sess.run(None, {"x": x})
    got = fastinfer.load(proto, backend="native").run({"x": x})["e2"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("batch", [1, 3])
def test_graph_against_onnxruntime(isa, batch, monkeypatch):
    proto = resnet_like(np.random.default_rng(2))
    x = np.random.default_rng(3).standard_normal((batch, 3, 18, 18)).astype(np.float32)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (want,) = sess.run(None, {"x": x})
    blocked = fastinfer.load(proto, backend="native")
    assert layouts_by_conv(blocked)  # the chain is blocked
    got = blocked.run({"x": x})["y"]
    monkeypatch.setenv("FASTINFER_CONV_LAYOUT", "nchw")
    plain = fastinfer.load(proto, backend="native")
    assert not layouts_by_conv(plain)
    nchw = plain.run({"x": x})["y"]
    for out in (got, nchw):
        np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    # The two routes sum in different orders: equal to rounding, not bit for bit.
    np.testing.assert_allclose(got, nchw, rtol=1e-5, atol=1e-5 * np.abs(want).max())
