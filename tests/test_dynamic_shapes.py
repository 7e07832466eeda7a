"""Shape-polymorphic plans: one compile per shape class, new shapes bound in C++.

Results at many shapes must equal those of a plan compiled for that one shape (the
per-shape path, specialize + lower), memory must stay bounded over hundreds of shapes, and
the LRU of bound plans must evict and rebuild correctly.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import fastinfer
from fastinfer import _core
from fastinfer.compile.lower import lower
from fastinfer.compile.specialize import specialize
from fastinfer.compile.symbolic import ExprTable, NotStatic, concrete, evaluate
from models import bert_inputs, bert_onnx, cnn_inputs, cnn_onnx, ort_session

RTOL, ATOL = 1e-4, 1e-5  # fp32, different summation orders


def per_shape_reference(model: fastinfer.Model, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """The output of a static plan compiled for exactly these shapes."""
    static = specialize(model._materialized(), {k: v.shape for k, v in feeds.items()})
    plan = lower(static)
    return next(iter(plan.run(feeds).values()))


@pytest.fixture(scope="module")
def bert():
    data = bert_onnx()
    return data, fastinfer.load(data, backend="native")


def test_many_shapes_equal_per_shape_plans(bert):
    _, model = bert
    for batch, seq in [(1, 5), (1, 6), (3, 17), (2, 1), (1, 1), (4, 33), (1, 64), (2, 9)]:
        feeds = bert_inputs(batch, seq, seed=batch * 100 + seq)
        got = model(**feeds)
        want = per_shape_reference(model, feeds)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{batch}x{seq}")
    mem = model.memory()
    assert not mem["per_shape_plans"], "every shape ran through a shape class"
    assert 1 <= len(mem["shape_classes"]) <= 4


def test_bert_matches_onnxruntime_across_lengths(bert):
    data, model = bert
    sess = ort_session(data)
    for seq in range(8, 40, 3):
        feeds = bert_inputs(2, seq, seed=seq)
        np.testing.assert_allclose(
            model(**feeds), sess.run(None, feeds)[0], rtol=RTOL, atol=1e-4, err_msg=f"seq {seq}"
        )


def test_a_new_length_binds_without_compiling(bert):
    _, model = bert
    model.run(bert_inputs(1, 20))
    classes_before = len(model.memory()["shape_classes"])
    for seq in range(21, 31):
        model.run(bert_inputs(1, seq))
    mem = model.memory()
    assert len(mem["shape_classes"]) == classes_before  # no new compile
    cls = next(c for c in mem["shape_classes"] if c["misses"] >= 10)
    assert cls["bind_seconds"] < 1.0  # ~0.1 ms a shape; a loose bound, not a timing test


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_memory_bounded_over_200_shapes():
    data = bert_onnx(hidden=64, layers=2)
    model = fastinfer.load(data, backend="native", plan_cache_size=16)
    model.run(bert_inputs(1, 128))  # the largest arena first
    gc.collect()
    after_first = rss_mib()
    arena_after_first = model.memory()["arena_bytes"]
    for i in range(200):
        batch, seq = 1 + i % 4, 1 + (i * 7) % 128
        model.run(bert_inputs(batch, seq))
    gc.collect()
    mem = model.memory()
    assert mem["plans_cached"] <= 16 * len(mem["shape_classes"])
    assert sum(c["evictions"] for c in mem["shape_classes"]) > 0
    # Arenas are shared by all plans: one buffer (runs are sequential here), grown to the
    # largest arena seen (batch 4 x 128 > batch 1 x 128).
    assert mem["arena_buffers"] == 1
    assert mem["arena_bytes"] <= 8 * arena_after_first
    grown = rss_mib() - after_first
    assert grown < 40, f"RSS grew {grown:.1f} MiB over 200 shapes"


def test_lru_evicts_and_rebuilds_correctly():
    data = bert_onnx()
    model = fastinfer.load(data, backend="native", plan_cache_size=2)
    sess = ort_session(data)
    lengths = [10, 11, 12, 13, 10, 11]
    for seq in lengths:
        feeds = bert_inputs(2, seq, seed=seq)
        np.testing.assert_allclose(
            model(**feeds), sess.run(None, feeds)[0], rtol=RTOL, atol=1e-4, err_msg=f"seq {seq}"
        )
    (cls,) = model.memory()["shape_classes"]
    assert cls["cached"] == 2
    assert cls["misses"] == len(lengths)  # 10 and 11 were evicted, then rebuilt
    assert cls["evictions"] == len(lengths) - 2


def test_cnn_batches_share_a_class():
    model = fastinfer.load(cnn_onnx(), backend="native")
    sess = ort_session(cnn_onnx())
    for batch in (2, 3, 5):
        feeds = cnn_inputs(batch)
        np.testing.assert_allclose(model(**feeds), sess.run(None, feeds)[0], rtol=RTOL, atol=1e-4)
    assert [c["cached"] for c in model.memory()["shape_classes"]] == [3]


def test_plan_cache_size_is_validated():
    with pytest.raises(ValueError, match="plan_cache_size must be >= 1, got 0"):
        fastinfer.load(bert_onnx(), plan_cache_size=0)
    with pytest.raises(TypeError, match="plan_cache_size must be an int"):
        fastinfer.load(bert_onnx(), plan_cache_size=2.5)


# -- the symbolic layer ----------------------------------------------------------------------
def test_symint_arithmetic_and_guards():
    t = ExprTable()
    s = t.symbol(8)
    e = (s * 3 + 4) // 2 - s % 3
    assert e.hint == (8 * 3 + 4) // 2 - 8 % 3
    assert evaluate(t, [5])[e.expr] == (5 * 3 + 4) // 2 - 5 % 3
    assert (s == 1) is False and (s > 4) is True and max(s, 3) is s
    # Three guards: s != 1, s - 4 > 0 and s - 3 > 0 (from max).
    assert len(t.guards) == 3
    with pytest.raises(NotStatic):
        int(s)
    assert concrete(s) == 8  # pins s with a fourth guard
    assert len(t.guards) == 4


def test_guards_reject_shapes_outside_the_class():
    t = ExprTable()
    s = t.symbol(8)
    _ = s > 4  # the class holds for s > 4 only
    arenas = _core.ArenaPool()
    p = _core.PolyPlan(arenas, 4)
    p.set_exprs(t.nodes, t.num_symbols)
    for expr, kind in t.guards:
        p.add_guard(expr, kind)
    x = p.add_input(1, [s.expr], "x")
    y = p.add_output(1, [s.expr], "y")
    p.add_step("Relu", "r", [x], [y])
    got = p.run([np.array([-1.0] * 6, np.float32)])
    np.testing.assert_array_equal(got[0], np.zeros(6, np.float32))
    assert p.run([np.ones(3, np.float32)]) is None  # 3 > 4 fails
    assert p.stats()["guard_misses"] == 1


def test_scalar_constant_index_keeps_rank_zero():
    """ViT takes the class token with Gather(x, 0-d index): the index must stay rank 0."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Gather", ["x", "i"], ["y"], axis=1, name="cls")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        initializer=[numpy_helper.from_array(np.array(1, np.int64), "i")],
    )
    model = fastinfer.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    for batch in (1, 5):
        x = np.random.default_rng(batch).standard_normal((batch, 3, 4)).astype(np.float32)
        np.testing.assert_array_equal(model(x), x[:, 1])


def test_shapes_that_contradict_the_graph_name_the_node():
    """A sequence longer than a model's position table: a KernelError naming the Add."""
    from onnx import TensorProto, helper, numpy_helper

    pos = np.zeros((1, 8, 4), np.float32)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "pos"], ["y"], name="add_positions")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", 4])],
        initializer=[numpy_helper.from_array(pos, "pos")],
    )
    model = fastinfer.load(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    model(np.ones((2, 8, 4), np.float32))
    with pytest.raises(
        fastinfer.KernelError, match=r"Add 'add_positions': shapes .*\(1, 8, 4\).* do not broadcast"
    ) as e:
        model(np.ones((2, 9, 4), np.float32))
    assert e.value.node == "add_positions"
