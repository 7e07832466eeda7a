"""Indexing and layout kernels through one-node plans, against numpy: GatherElements,
GatherND, ScatterElements, ScatterND, OneHot, TopK, Trilu, Pad, DepthToSpace, SpaceToDepth,
ReverseSequence. They only move or compare elements, so results are exact.

Indices read at run time are checked before anything is written: an out-of-range one
throws std::out_of_range naming the node, IndexError from a bare _core plan and
fastinfer.KernelError from Model.run."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

import fastinfer
from op_harness import node_error, run1, run_node

DTYPES = [np.float32, np.int64, np.int32, np.bool_, np.uint8, np.float64]


def data(rng, shape, dtype=np.float32):
    return (rng.standard_normal(shape) * 10).astype(dtype)


# -- GatherElements / ScatterElements ------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_gather_elements(dtype, axis, idx_dtype, rng):
    x = data(rng, (4, 5, 6), dtype)
    shape = [3, 4, 5]
    shape[axis] = 7  # the indexed axis may be longer than data's; the others not
    idx = rng.integers(-x.shape[axis], x.shape[axis], shape).astype(idx_dtype)
    coords = list(np.indices(shape))
    coords[axis] = idx.astype(np.int64) % x.shape[axis]
    want = x[tuple(coords)]
    got = run1("GatherElements", [x, idx], dtype, want.shape, {"axis": axis})
    np.testing.assert_array_equal(got, want)


REDUCE = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}


def scatter_reference(data, offsets, updates, reduction):
    """out.flat[offsets[i]] = updates[i] in order (reduction 'none'), or combined."""
    out = data.copy().reshape(-1)
    for off, u in zip(offsets.reshape(-1), updates.reshape(-1)):
        out[off] = u if reduction == "none" else REDUCE[reduction](out[off], u)
    return out.reshape(data.shape)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.float64, np.int8])
def test_scatter_elements(reduction, axis, dtype, rng):
    x = data(rng, (4, 5, 6), dtype)
    shape = [3, 4, 5]
    idx = rng.integers(-x.shape[axis], x.shape[axis], shape)  # duplicates are likely
    upd = data(rng, shape, dtype)
    coords = list(np.indices(shape))
    coords[axis] = idx % x.shape[axis]
    offsets = np.ravel_multi_index(coords, x.shape)
    want = scatter_reference(x, offsets, upd, reduction)
    attrs = {"axis": axis, "reduction": reduction}
    np.testing.assert_array_equal(
        run1("ScatterElements", [x, idx, upd], dtype, x.shape, attrs), want
    )


def test_scatter_elements_bool(rng):
    x = rng.random((3, 4)) < 0.5
    idx = np.array([[1, 0, 2, 1]])
    upd = np.ones((1, 4), bool)
    want = x.copy()
    want[idx[0], np.arange(4)] = True
    np.testing.assert_array_equal(run1("ScatterElements", [x, idx, upd], np.bool_, x.shape), want)


# -- GatherND / ScatterND ------------------------------------------------------------------
@pytest.mark.parametrize(
    "data_shape,idx_shape,batch_dims",
    [
        ((4, 5, 6), (3, 1), 0),
        ((4, 5, 6), (2, 3, 2), 0),
        ((4, 5, 6), (7, 3), 0),
        ((4, 5, 6), (4, 2, 1), 1),
        ((4, 5, 6), (4, 5, 1), 2),
        ((2, 3, 4, 5), (2, 3, 2, 1), 2),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_gather_nd(data_shape, idx_shape, batch_dims, dtype, rng):
    x = data(rng, data_shape, dtype)
    m = idx_shape[-1]
    dims = np.array(data_shape[batch_dims : batch_dims + m])
    idx = rng.integers(-dims, dims, idx_shape)
    batch = int(np.prod(data_shape[:batch_dims]))
    xb = x.reshape(batch, *data_shape[batch_dims:])
    ib = (idx % dims).reshape(batch, -1, m)
    want = np.stack([xb[b][tuple(ib[b].T)] for b in range(batch)])
    want = want.reshape(*idx_shape[:-1], *data_shape[batch_dims + m :])
    got = run1("GatherND", [x, idx], dtype, want.shape, {"batch_dims": batch_dims})
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_scatter_nd(reduction, k, rng):
    x = data(rng, (4, 5, 6))
    dims = np.array(x.shape[:k])
    idx = rng.integers(-dims, dims, (3, 2, k))
    upd = data(rng, (3, 2, *x.shape[k:]))
    # Each tuple addresses a slice of x.shape[k:] contiguous elements.
    slice_size = int(np.prod(x.shape[k:]))
    starts = np.ravel_multi_index(tuple((idx % dims).reshape(-1, k).T), x.shape[:k]) * slice_size
    offsets = starts[:, None] + np.arange(slice_size)
    want = scatter_reference(x, offsets, upd, reduction)
    got = run1("ScatterND", [x, idx, upd], np.float32, x.shape, {"reduction": reduction})
    np.testing.assert_array_equal(got, want)


def test_index_out_of_range_at_run_time(rng):
    x = data(rng, (3, 4))
    with pytest.raises(IndexError, match=r"^GatherElements 'n0': index 3 is out of range"):
        run1("GatherElements", [x, np.array([[0], [3]])], np.float32, (2, 1))
    with pytest.raises(IndexError, match=r"^GatherND 'n0': index -5 is out of range .* size 4"):
        run1("GatherND", [x, np.array([[1, -5]])], np.float32, (1,))
    with pytest.raises(IndexError, match=r"^ScatterElements 'n0': index 4 is out of range"):
        run1("ScatterElements", [x, np.array([[4]]), x[:1, :1]], np.float32, x.shape, {"axis": 1})
    with pytest.raises(IndexError, match=r"^ScatterND 'n0': index 3 is out of range"):
        run1("ScatterND", [x, np.array([[3]]), x[:1]], np.float32, x.shape)


def test_index_error_through_a_loaded_model():
    """The run-time error reaches the caller of Model.run as KernelError naming the node, and
    the model stays usable: its arena went back to the pool."""
    node = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=1, name="pick")
    graph = helper.make_graph(
        [node],
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
            helper.make_tensor_value_info("i", TensorProto.INT64, [2, 2]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
    )
    model = fastinfer.load(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), backend="native"
    )
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.raises(fastinfer.KernelError, match=r"^GatherElements 'pick': index 3 is out") as e:
        model.run({"x": x, "i": np.array([[0, 3], [1, 1]])})
    assert (e.value.op, e.value.node) == ("GatherElements", "pick")
    got = model.run({"x": x, "i": np.array([[0, -1], [1, 1]])})["y"]
    np.testing.assert_array_equal(got, [[0, 2], [4, 4]])


def test_index_errors(rng):
    x = data(rng, (3, 4))
    i = np.zeros((2, 2), np.int64)
    assert "indices int64[2, 5] exceed data float32[3, 4] on axis 1" in node_error(
        "GatherElements", [x, np.zeros((2, 5), np.int64)], [(np.float32, (2, 5))]
    )
    assert "must have the rank of data" in node_error(
        "GatherElements", [x, np.zeros(2, np.int64)], [(np.float32, (2,))]
    )
    assert "float32 input 1 is not supported (int64, int32)" in node_error(
        "GatherND", [x, i.astype(np.float32)], [(np.float32, (2,))]
    )
    assert "last dimension of indices int64[2, 3] must be in [1, 2]" in node_error(
        "GatherND", [x, np.zeros((2, 3), np.int64)], [(np.float32, (2,))]
    )
    assert "batch dimensions of data float32[3, 4] and indices int64[2, 1] differ" in node_error(
        "GatherND", [x, np.zeros((2, 1), np.int64)], [(np.float32, (2,))], {"batch_dims": 1}
    )
    assert "reduction 'sum' is not supported" in node_error(
        "ScatterElements", [x, i, x[:2, :2]], [(np.float32, x.shape)], {"reduction": "sum"}
    )
    assert "updates float32[2] must have the shape [2, 4]" in node_error(
        "ScatterND", [x, np.zeros((2, 1), np.int64), x[0, :2]], [(np.float32, x.shape)]
    )
    assert "inputs 0 and 2 must have the same dtype" in node_error(
        "ScatterND",
        [x, np.zeros((2, 1), np.int64), x[:2].astype(np.float64)],
        [(np.float32, x.shape)],
    )


# -- OneHot --------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 0, 1, 2, -3])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32, np.float32])
@pytest.mark.parametrize("depth_dtype", [np.int64, np.float32])
def test_one_hot(axis, idx_dtype, depth_dtype, rng):
    depth = 5
    idx = rng.integers(-7, 8, (3, 4)).astype(idx_dtype)  # includes out-of-range values
    values = np.array([2, 9], np.int32)
    v = idx.astype(np.int64)
    v = np.where(v < 0, v + depth, v)
    hot = (v[..., None] == np.arange(depth)) & (v[..., None] >= 0)
    want = np.moveaxis(np.where(hot, 9, 2).astype(np.int32), -1, axis)
    got = run1(
        "OneHot",
        [idx, np.array(depth, depth_dtype), values],
        np.int32,
        want.shape,
        {"axis": axis},
        constants=[1],
    )
    np.testing.assert_array_equal(got, want)


def test_one_hot_errors():
    idx, values = np.zeros(3, np.int64), np.array([0.0, 1.0], np.float32)
    assert "depth (input 1) must be a constant" in node_error(
        "OneHot", [idx, np.array(4), values], [(np.float32, (3, 4))]
    )
    assert "depth must be positive, got 0" in node_error(
        "OneHot", [idx, np.array(0), values], [(np.float32, (3, 0))], constants=[1]
    )
    assert "values must hold [off_value, on_value]" in node_error(
        "OneHot", [idx, np.array(4), values[:1]], [(np.float32, (3, 4))], constants=[1]
    )


# -- TopK ----------------------------------------------------------------------------------
def topk_reference(x, k, axis, largest):
    """Stable sort of the keys: ties keep the lower index first."""
    keys = -x.astype(np.float64) if largest else x.astype(np.float64)
    order = np.argsort(keys, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis), idx


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("k", [0, 1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
def test_top_k(axis, largest, k, dtype, rng):
    x = rng.integers(0, 4, (4, 5, 6)).astype(dtype)  # many ties
    values, indices = topk_reference(x, k, axis, largest)
    got = run_node(
        "TopK",
        [x, np.array([k], np.int64)],
        [(dtype, values.shape), (np.int64, values.shape)],
        {"axis": axis, "largest": largest, "sorted": 1},
        constants=[1],
    )
    np.testing.assert_array_equal(got[0], values)
    np.testing.assert_array_equal(got[1], indices)


def test_top_k_nan_and_full_length(rng):
    x = np.array([3.0, np.nan, 1.0, np.nan, 7.0], np.float32)
    k = np.array([5], np.int64)
    out = [(np.float32, (5,)), (np.int64, (5,))]
    values, indices = run_node("TopK", [x, k], out, constants=[1])
    np.testing.assert_array_equal(indices, [1, 3, 4, 0, 2])  # NaN counts as the largest
    values, indices = run_node("TopK", [x, k], out, {"largest": 0}, constants=[1])
    np.testing.assert_array_equal(indices, [2, 0, 4, 1, 3])
    y = rng.standard_normal(1000).astype(np.float32)
    out = [(np.float32, (10,)), (np.int64, (10,))]
    values, indices = run_node("TopK", [y, np.array([10])], out, constants=[1])
    np.testing.assert_array_equal(indices, np.argsort(-y)[:10])


def test_top_k_errors():
    x = np.zeros((2, 3), np.float32)
    out = [(np.float32, (2, 4)), (np.int64, (2, 4))]
    assert "k 4 must be in [0, 3]" in node_error("TopK", [x, np.array([4])], out, constants=[1])
    assert "k (input 1) must be a constant" in node_error("TopK", [x, np.array([4])], out)
    assert "expects 2 outputs, got 1" in node_error(
        "TopK", [x, np.array([1])], out[:1], constants=[1]
    )


# -- Trilu ---------------------------------------------------------------------------------
@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, 0, 1, -2, 7, -9, 2**62])
@pytest.mark.parametrize("shape", [(4, 6), (2, 5, 3), (3, 0, 4), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_trilu(upper, k, shape, dtype, rng):
    x = data(rng, shape, dtype)
    kk = 0 if k is None else k
    want = np.triu(x, kk) if upper else np.tril(x, kk)
    inputs = [x] if k is None else [x, np.array(k, np.int64)]
    np.testing.assert_array_equal(run1("Trilu", inputs, dtype, shape, {"upper": upper}), want)


def test_trilu_errors():
    assert "at least two dimensions" in node_error(
        "Trilu", [np.zeros(3, np.float32)], [(np.float32, (3,))]
    )
    assert "k must be a scalar" in node_error(
        "Trilu", [np.zeros((2, 2), np.float32), np.array([1, 2])], [(np.float32, (2, 2))]
    )


# -- Pad -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize(
    "pads",
    [
        (1, 2, 0, 3, 0, 1),
        (0, 0, 4, 0, 0, 5),  # longer than the axis: reflect/wrap repeat
        (2, 0, 1, 1, 1, 0),
        (0, 0, 0, 0, 0, 0),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
def test_pad(mode, pads, dtype, rng):
    x = data(rng, (3, 4, 2), dtype)
    width = list(zip(pads[:3], pads[3:]))
    kwargs = {"constant_values": 7} if mode == "constant" else {}
    want = np.pad(x, width, mode=mode, **kwargs)
    inputs = [x, np.array(pads, np.int64)]
    if mode == "constant":
        inputs.append(np.array(7, dtype))
    got = run1("Pad", inputs, dtype, want.shape, {"mode": mode}, constants=[1])
    np.testing.assert_array_equal(got, want)


def test_pad_axes_negative_pads_and_default_value(rng):
    x = data(rng, (3, 4, 5))
    pads = np.array([2, -1, -1, 1], np.int64)  # axes (-1, 0): begins, then ends
    want = np.pad(x[1:, :, :-1], [(0, 1), (0, 0), (2, 0)])
    got = run1("Pad", [x, pads, None, np.array([-1, 0])], np.float32, want.shape, constants=[1, 3])
    np.testing.assert_array_equal(got, want)
    s = np.float32(3)
    got = run1("Pad", [s, np.zeros(0, np.int64)], np.float32, (), constants=[1])
    assert got == 3


def test_pad_errors(rng):
    x = data(rng, (3, 4))
    assert "pads [1, 1] must have 2 values per padded axis (2 axes)" in node_error(
        "Pad", [x, np.array([1, 1])], [(np.float32, (3, 4))], constants=[1]
    )
    assert "mode 'symmetric' is not supported" in node_error(
        "Pad", [x, np.zeros(4, np.int64)], [(np.float32, (3, 4))], {"mode": "symmetric"}, [1]
    )
    assert "the padding crops axis 0 of float32[3, 4] below size 0" in node_error(
        "Pad", [x, np.array([-2, 0, -2, 0])], [(np.float32, (0, 4))], constants=[1]
    )
    empty = np.zeros((0, 2), np.float32)
    assert "cannot pad the empty axis 0 in this mode" in node_error(
        "Pad", [empty, np.array([1, 0, 0, 0])], [(np.float32, (1, 2))], {"mode": "edge"}, [1]
    )
    assert "pads (input 1) must be a constant" in node_error(
        "Pad", [x, np.zeros(4, np.int64)], [(np.float32, (3, 4))]
    )


@pytest.mark.parametrize(
    "shape,target,axes",
    [
        ((20, 10, 3), (10, 7, 3), None),  # crop, odd difference
        ((10, 7, 3), (20, 10, 4), None),  # pad
        ((20, 8, 3), (9, 11), [0, -2]),  # crop one axis, pad another
        ((3, 5, 8), (0, 8), [1, 2]),
    ],
)
def test_center_crop_pad(shape, target, axes, rng):
    x = data(rng, shape)
    axes_n = range(len(shape)) if axes is None else [a % len(shape) for a in axes]
    want_shape = list(shape)
    src, dst = [slice(None)] * len(shape), [slice(None)] * len(shape)
    for a, t in zip(axes_n, target):
        n = shape[a]
        want_shape[a] = t
        if t < n:  # the extra element of an odd difference is cut at the end
            src[a] = slice((n - t) // 2, (n - t) // 2 + t)
        else:
            dst[a] = slice((t - n) // 2, (t - n) // 2 + n)
    want = np.zeros(want_shape, np.float32)
    want[tuple(dst)] = x[tuple(src)]
    attrs = {} if axes is None else {"axes": axes}
    got = run1("CenterCropPad", [x, np.array(target)], np.float32, want.shape, attrs, [1])
    np.testing.assert_array_equal(got, want)


def test_center_crop_pad_errors(rng):
    x = data(rng, (3, 4))
    assert "shape [2] must have one entry per axis (2)" in node_error(
        "CenterCropPad", [x, np.array([2])], [(np.float32, (2, 4))], constants=[1]
    )
    assert "axis -1 is repeated" in node_error(
        "CenterCropPad",
        [x, np.array([2, 2])],
        [(np.float32, (3, 2))],
        {"axes": [1, -1]},
        constants=[1],
    )


# -- DepthToSpace / SpaceToDepth -----------------------------------------------------------
def depth_to_space(x, b, mode):
    n, c, h, w = x.shape
    if mode == "DCR":
        t = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        t = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return t.reshape(n, c // (b * b), h * b, w * b)


def space_to_depth(x, b, mode):
    n, c, h, w = x.shape
    t = x.reshape(n, c, h // b, b, w // b, b)
    t = t.transpose(0, 3, 5, 1, 2, 4) if mode == "DCR" else t.transpose(0, 1, 3, 5, 2, 4)
    return t.reshape(n, c * b * b, h // b, w // b)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
@pytest.mark.parametrize("b", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
def test_depth_space(mode, b, dtype, rng):
    x = data(rng, (2, 2 * b * b, 3, 4), dtype)
    want = depth_to_space(x, b, mode)
    attrs = {"blocksize": b, "mode": mode}
    np.testing.assert_array_equal(run1("DepthToSpace", [x], dtype, want.shape, attrs), want)
    back = run1("SpaceToDepth", [want], dtype, x.shape, attrs)
    np.testing.assert_array_equal(back, space_to_depth(want, b, mode))
    np.testing.assert_array_equal(back, x)  # the two are inverses in the same mode


def test_depth_space_errors():
    x = np.zeros((1, 6, 4, 4), np.float32)
    assert "channels 6 are not a multiple of blocksize^2" in node_error(
        "DepthToSpace", [x], [(np.float32, (1, 1, 8, 8))], {"blocksize": 2}
    )
    assert "not multiples of blocksize 3" in node_error(
        "SpaceToDepth", [x], [(np.float32, (1, 54, 1, 1))], {"blocksize": 3}
    )
    assert "mode 'XYZ' is not DCR or CRD" in node_error(
        "DepthToSpace", [x], [(np.float32, (1, 6, 4, 4))], {"blocksize": 1, "mode": "XYZ"}
    )


# -- ReverseSequence -----------------------------------------------------------------------
@pytest.mark.parametrize("time_axis,batch_axis", [(0, 1), (1, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_reverse_sequence(time_axis, batch_axis, dtype, rng):
    x = data(rng, (5, 4, 3) if time_axis == 0 else (4, 5, 3), dtype)
    lens = np.array([5, 0, 1, 3], np.int64)
    want = x.copy()
    for b, n in enumerate(lens):
        sl = [slice(None)] * 3
        sl[batch_axis], sl[time_axis] = b, slice(0, n)
        want[tuple(sl)] = np.flip(x[tuple(sl)], axis=0)
    attrs = {"time_axis": time_axis, "batch_axis": batch_axis}
    np.testing.assert_array_equal(run1("ReverseSequence", [x, lens], dtype, x.shape, attrs), want)


def test_reverse_sequence_errors(rng):
    x = data(rng, (5, 2))
    with pytest.raises(IndexError, match=r"^ReverseSequence 'n0': sequence_lens\[1\] = 6 is"):
        run1("ReverseSequence", [x, np.array([1, 6])], np.float32, x.shape)
    assert "sequence_lens int64[3] must have one entry per batch (2)" in node_error(
        "ReverseSequence", [x, np.array([1, 2, 3])], [(np.float32, x.shape)]
    )
    assert "time_axis and batch_axis must be 0 and 1" in node_error(
        "ReverseSequence", [x, np.array([1, 2])], [(np.float32, x.shape)], {"batch_axis": 0}
    )
