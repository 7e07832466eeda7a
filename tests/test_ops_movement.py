"""Movement kernels through one-node plans: Identity, Reshape, Flatten, Squeeze,
Unsqueeze, Transpose, Concat, Split, Slice, Gather, Expand, Tile. Results are exact."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from op_harness import run1, run_node

DTYPES = [np.float32, np.int64, np.int32, np.bool_, np.uint8, np.float64]


def i64(*v):
    return np.array(v, np.int64)


def data(rng, shape, dtype=np.float32):
    return (rng.standard_normal(shape) * 10).astype(dtype)


def reference(op, inputs, n_outputs=1, **attrs):
    """Runs `op` on onnx.reference; every input is a graph initializer-free input."""
    names = [f"i{k}" for k in range(len(inputs))]
    node = helper.make_node(op, names, [f"o{j}" for j in range(n_outputs)], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [
            helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
            for n, a in zip(names, inputs)
        ],
        [
            helper.make_tensor_value_info(f"o{j}", onnx.TensorProto.UNDEFINED, None)
            for j in range(n_outputs)
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return ReferenceEvaluator(model).run(None, dict(zip(names, inputs)))


assert numpy_helper  # imported for readers extending these tests


@pytest.mark.parametrize("dtype", DTYPES)
def test_identity(dtype, rng):
    x = data(rng, (3, 4), dtype)
    np.testing.assert_array_equal(run1("Identity", [x], dtype, x.shape), x)


@pytest.mark.parametrize(
    "shape,target,want",
    [
        ((2, 3, 4), (0, -1), (2, 12)),
        ((2, 3, 4), (-1,), (24,)),
        ((2, 3, 4), (4, 0, 2), (4, 3, 2)),
        ((6,), (1, 2, 3), (1, 2, 3)),
        ((1,), (), ()),
        ((0, 3), (3, -1), (3, 0)),
    ],
)
def test_reshape(shape, target, want, rng):
    x = data(rng, shape)
    got = run1("Reshape", [x, i64(*target)], np.float32, want, constants=[1])
    np.testing.assert_array_equal(got, x.reshape(want))


def test_reshape_allowzero(rng):
    x = data(rng, (0, 3))
    got = run1("Reshape", [x, i64(3, 0)], np.float32, (3, 0), {"allowzero": 1}, constants=[1])
    assert got.shape == (3, 0)


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -3])
def test_flatten(axis, rng):
    x = data(rng, (2, 3, 4))
    a = axis + 3 if axis < 0 else axis
    want = x.reshape(int(np.prod(x.shape[:a])), -1)
    np.testing.assert_array_equal(
        run1("Flatten", [x], np.float32, want.shape, {"axis": axis}), want
    )


def test_flatten_empty_dims(rng):
    x = data(rng, (0, 3, 4))
    assert run1("Flatten", [x], np.float32, (0, 12)).shape == (0, 12)
    y = data(rng, (2, 0, 4))
    assert run1("Flatten", [y], np.float32, (2, 0), {"axis": 1}).shape == (2, 0)


def test_squeeze_unsqueeze(rng):
    x = data(rng, (1, 3, 1, 2))
    np.testing.assert_array_equal(run1("Squeeze", [x], np.float32, (3, 2)), x.reshape(3, 2))
    got = run1("Squeeze", [x, i64(-2)], np.float32, (1, 3, 2), constants=[1])
    np.testing.assert_array_equal(got, x.reshape(1, 3, 2))
    got = run1("Squeeze", [x], np.float32, (3, 1, 2), {"axes": [0]})  # opset < 13
    np.testing.assert_array_equal(got, x.reshape(3, 1, 2))
    y = data(rng, (3, 2))
    got = run1("Unsqueeze", [y, i64(0, -1)], np.float32, (1, 3, 2, 1), constants=[1])
    np.testing.assert_array_equal(got, y.reshape(1, 3, 2, 1))
    got = run1("Unsqueeze", [np.float32(5)], np.float32, (1,), {"axes": [0]})
    np.testing.assert_array_equal(got, [5.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape,perm",
    [
        ((2, 5, 3, 8), (0, 2, 1, 3)),  # BERT head split
        ((37, 45), (1, 0)),  # tiled 2-D transpose with ragged tiles
        ((3, 64, 48), (0, 2, 1)),  # last-two-axes swap per batch
        ((2, 3, 4, 5), (3, 1, 0, 2)),
        ((2, 3, 4), None),  # default: reversed axes
        ((1, 4, 1, 3), (2, 3, 0, 1)),
        ((0, 3), (1, 0)),
        ((), ()),
        ((4, 4, 4), (-1, 0, 1)),
    ],
)
def test_transpose(dtype, shape, perm, rng):
    x = data(rng, shape, dtype)
    want = np.transpose(x, perm)
    attrs = {} if perm is None else {"perm": list(perm)}
    np.testing.assert_array_equal(run1("Transpose", [x], dtype, want.shape, attrs), want)


def test_transpose_large_parallel(rng):
    x = data(rng, (4, 128, 12, 64))
    want = x.transpose(0, 2, 1, 3)
    got = run1("Transpose", [x], np.float32, want.shape, {"perm": [0, 2, 1, 3]})
    np.testing.assert_array_equal(got, want)
    y = data(rng, (700, 500))
    np.testing.assert_array_equal(run1("Transpose", [y], np.float32, (500, 700)), y.T)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize(
    "shape,perm",
    [
        ((1, 96, 56, 56), (0, 2, 3, 1)),  # ConvNeXt's NCHW -> NHWC, one image: split by rows
        ((2, 56, 56, 96), (0, 3, 1, 2)),  # and back
        ((5, 33, 47), (0, 2, 1)),  # ragged edges on both axes, many transposes
        ((16, 16), (1, 0)),  # exactly one 16 x 16 block
        ((8, 24), (1, 0)),  # whole 8 x 8 blocks, a ragged 16 x 16 edge
        ((1, 7, 300), (0, 2, 1)),  # fewer rows than a block
        ((3, 17, 9, 31), (0, 1, 3, 2)),
    ],
)
def test_transpose_32bit_every_path(isa, dtype, shape, perm, rng):
    """The per-ISA register transposes (8 x 8 ymm, 16 x 16 zmm) and their scalar edges,
    bit for bit against numpy on every path, NaN payloads included (moved as bits)."""
    x = data(rng, shape, dtype)
    if dtype == np.float32:
        x.reshape(-1)[::7] = np.nan
    want = np.transpose(x, perm)
    got = run1("Transpose", [x], dtype, want.shape, {"perm": list(perm)})
    np.testing.assert_array_equal(got.view(np.uint32), np.ascontiguousarray(want).view(np.uint32))


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concat(dtype, axis, rng):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for k, s in enumerate(shapes):
        s[axis] = k + 1 if k != 1 else 0  # includes an empty input
    xs = [data(rng, s, dtype) for s in shapes]
    want = np.concatenate(xs, axis)
    got = run1("Concat", xs, dtype, want.shape, {"axis": axis})
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_split_sizes_input(axis, rng):
    x = data(rng, (6, 5, 4))
    n = x.shape[axis]
    sizes = i64(1, n - 3, 2)
    want = np.split(x, np.cumsum(sizes)[:-1], axis)
    got = run_node(
        "Split", [x, sizes], [(np.float32, w.shape) for w in want], {"axis": axis}, constants=[1]
    )
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_split_equal_and_attr(rng):
    x = data(rng, (2, 9))
    got = run_node("Split", [x], [(np.float32, (2, 3))] * 3, {"axis": 1})
    for g, w in zip(got, np.split(x, 3, 1)):
        np.testing.assert_array_equal(g, w)
    got = run_node(
        "Split", [x], [(np.float32, (2, 4)), (np.float32, (2, 5))], {"axis": -1, "split": [4, 5]}
    )
    np.testing.assert_array_equal(got[1], x[:, 4:])
    # opset 18 num_outputs: ceil-sized chunks, the last one smaller.
    got = run_node(
        "Split", [x], [(np.float32, (2, 5)), (np.float32, (2, 4))], {"axis": 1, "num_outputs": 2}
    )
    np.testing.assert_array_equal(got[1], x[:, 5:])


SLICES = [
    # starts, ends, axes, steps
    ((1,), (3,), None, None),
    ((0, 1), (2, 100), (0, 2), None),
    ((-1,), (-100,), (1,), (-1,)),  # reverse an axis, end clamped to -1
    ((10,), (0,), (1,), (-2,)),  # start clamped to dim - 1
    ((2,), (1,), (2,), (1,)),  # empty
    ((0, -3), (2**62, -1), (-1, 1), (2, 1)),
    ((1, 0, 0), (2, 5, 5), (0, 1, 2), (1, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_])
@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
def test_slice(dtype, starts, ends, axes, steps, rng):
    x = data(rng, (3, 5, 6), dtype)
    ins = [x, i64(*starts), i64(*ends)]
    if axes is not None or steps is not None:
        ins.append(i64(*(axes if axes is not None else range(len(starts)))))
    if steps is not None:
        ins.append(i64(*steps))
    want = reference("Slice", ins)[0]
    got = run1("Slice", ins, dtype, want.shape, constants=range(1, len(ins)))
    np.testing.assert_array_equal(got, want)


def test_slice_negative_step_start_below_range(rng):
    """The spec clamps start to [0, dim - 1] for negative steps, so this selects element 0.

    (numpy, and so onnx.reference, return an empty slice here; we follow the spec text.)
    """
    x = data(rng, (3, 5))
    ins = [x, i64(-100), i64(-1000), i64(1), i64(-1)]
    got = run1("Slice", ins, np.float32, (3, 1), constants=[1, 2, 3, 4])
    np.testing.assert_array_equal(got, x[:, :1])


def test_slice_int32_params(rng):
    x = data(rng, (4, 4))
    p = [np.array(v, np.int32) for v in ([1], [3], [1], [1])]
    got = run1("Slice", [x, *p], np.float32, (4, 2), constants=[1, 2, 3, 4])
    np.testing.assert_array_equal(got, x[:, 1:3])


@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("const", [False, True])
def test_gather(idx_dtype, axis, const, rng):
    x = data(rng, (5, 6, 7))
    n = x.shape[axis]
    idx = np.array([[0, n - 1, -1], [-n, 2, 1]], idx_dtype)
    want = np.take(x, idx, axis=axis)
    got = run1(
        "Gather", [x, idx], np.float32, want.shape, {"axis": axis}, constants=[1] if const else []
    )
    np.testing.assert_array_equal(got, want)


def test_gather_embedding_and_scalar_index(rng):
    table = data(rng, (1000, 64))
    ids = rng.integers(0, 1000, (8, 128))
    got = run1("Gather", [table, ids], np.float32, (8, 128, 64))
    np.testing.assert_array_equal(got, table[ids])
    got = run1("Gather", [table, np.int64(-1)], np.float32, (64,))
    np.testing.assert_array_equal(got, table[-1])


def test_gather_out_of_range(rng):
    x = data(rng, (4, 3))
    with pytest.raises(IndexError, match=r"^Gather 'n0': index 4 is out of range"):
        run1("Gather", [x, i64(0, 4)], np.float32, (2, 3))
    with pytest.raises(ValueError, match=r"^Gather 'n0': index -5 is out of range"):
        run1("Gather", [x, i64(-5)], np.float32, (1, 3), constants=[1])


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
@pytest.mark.parametrize(
    "shape,target",
    [((3, 1), (2, 3, 4)), ((1,), (5,)), ((), (2, 2)), ((2, 1, 4), (1, 3, 1)), ((4,), (0, 4))],
)
def test_expand(dtype, shape, target, rng):
    x = data(rng, shape, dtype)
    want = x * np.ones(target, dtype)
    got = run1("Expand", [x, i64(*target)], dtype, want.shape, constants=[1])
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("repeats", [(1, 1, 1), (2, 1, 3), (1, 4, 1), (0, 2, 1), (3, 3, 3)])
def test_tile(repeats, rng):
    x = data(rng, (2, 3, 4))
    want = np.tile(x, repeats)
    got = run1("Tile", [x, i64(*repeats)], np.float32, want.shape, constants=[1])
    np.testing.assert_array_equal(got, want)


# --- errors --------------------------------------------------------------------------


def err(op, inputs, dtype, shape, attrs=None, constants=()):
    with pytest.raises(ValueError) as info:
        run1(op, inputs, dtype, shape, attrs, constants)
    msg = str(info.value)
    assert msg.startswith(f"{op} 'n0':"), msg
    return msg


def test_errors(rng):
    x = data(rng, (2, 3))
    assert "cannot reshape" in err("Reshape", [x, i64(4, -1)], np.float32, (4, 2), constants=[1])
    assert "must be a constant" in err("Reshape", [x, i64(3, 2)], np.float32, (3, 2))
    assert "more than one -1" in err("Reshape", [x, i64(-1, -1)], np.float32, (6, 1), constants=[1])
    assert "cannot squeeze axis 1" in err("Squeeze", [x, i64(1)], np.float32, (2,), constants=[1])
    assert "not a permutation" in err("Transpose", [x], np.float32, (2, 3), {"perm": [0, 0]})
    assert "out of range for rank 2" in err("Concat", [x, x], np.float32, (4, 3), {"axis": 2})
    assert "does not match" in err(
        "Concat", [x, data(rng, (3, 3))], np.float32, (5, 3), {"axis": 1}
    )
    assert "do not add up" in err(
        "Split", [x, i64(2)], np.float32, (2, 1), {"axis": 1}, constants=[1]
    )
    assert "steps must not be 0" in err(
        "Slice", [x, i64(0), i64(1), i64(0), i64(0)], np.float32, (1, 3), constants=[1, 2, 3, 4]
    )
    assert "int64, int32" in err("Gather", [x, np.zeros(1, np.float32)], np.float32, (1, 3))
    assert "cannot be expanded" in err("Expand", [x, i64(4, 3)], np.float32, (4, 3), constants=[1])
    assert "one entry per axis" in err("Tile", [x, i64(2)], np.float32, (4, 3), constants=[1])


def test_helper_errors_name_the_node():
    """Limits inside shared helpers still produce messages that start with the node."""
    x = np.zeros((2,) * 18, np.uint8)
    perm = list(range(17, -1, -1))  # no two axes merge: 18 strided dims
    msg = err("Transpose", [x], np.uint8, x.shape, {"perm": perm})
    assert "more than 16 dims" in msg
