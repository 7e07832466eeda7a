"""One-node timings of the nn kernels (Conv, MatMul, Attention) against onnxruntime.

Run: PYTHONPATH=python:tests python bench/nn_ops_vs_ort.py
"""

from __future__ import annotations

import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from fastinfer import _core


def best_of(fn, reps=30):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def ort_session(nodes, inputs, consts, out_name, threads):
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, a.shape)
            for n, a in inputs.items()
        ],
        [helper.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT, None)],
        [numpy_helper.from_array(a, n) for n, a in consts.items()],
    )
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def plan_of(op, inputs, consts, out_shape, attrs):
    p = _core.Plan()
    ids = [p.add_input(1, list(a.shape), n) for n, a in inputs.items()]
    ids += [p.add_constant(a, n) for n, a in consts.items()]
    y = p.add_output(1, list(out_shape), "y")
    p.add_step(op, "node", ids, [y], attrs)
    p.finalize()
    return p


def compare(label, op, inputs, consts, attrs, ort_nodes, threads, plan_consts=None):
    sess = ort_session(ort_nodes, inputs, consts, "y", threads)
    want = sess.run(None, inputs)[0]
    p = plan_of(op, inputs, consts if plan_consts is None else plan_consts, want.shape, attrs)
    feeds = list(inputs.values())
    got = p.run(feeds)[0]
    err = float(np.abs(got - want).max())
    t_ours = best_of(lambda: p.run(feeds))
    t_ort = best_of(lambda: sess.run(None, inputs))
    print(
        f"{label:44s} fastinfer {t_ours:8.3f} ms  ort {t_ort:8.3f} ms  "
        f"x{t_ort / t_ours:5.2f}  maxerr {err:.1e}"
    )


def main():
    rng = np.random.default_rng(0)
    threads = _core.get_num_threads()

    def r(*s):
        return rng.standard_normal(s).astype(np.float32)

    print(f"threads: {threads}, isa: {_core.active_isa()}")
    for n, c, hw, m, k, stride, group in [
        (1, 64, 56, 64, 3, 1, 1),
        (1, 64, 56, 256, 1, 1, 1),
        (1, 3, 224, 64, 7, 2, 1),
        (1, 128, 28, 128, 3, 2, 1),
        (1, 256, 14, 256, 3, 1, 256),
        (8, 32, 56, 32, 3, 1, 32),
    ]:
        pad = k // 2
        attrs = {"strides": [stride] * 2, "pads": [pad] * 4, "group": group}
        x, w, b = r(n, c, hw, hw), r(m, c // group, k, k), r(m)
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)
        compare(
            f"Conv n{n} c{c} {hw}x{hw} m{m} k{k} s{stride} g{group}",
            "Conv",
            {"x": x},
            {"w": w, "b": b},
            attrs,
            [node],
            threads,
        )
    for a_shape, b_shape, const in [
        ((128, 768), (768, 768), True),
        ((1, 12, 128, 64), (1, 12, 64, 128), False),
    ]:
        a, bm = r(*a_shape), r(*b_shape)
        node = helper.make_node("MatMul", ["a", "b"], ["y"])
        inputs, consts = ({"a": a}, {"b": bm}) if const else ({"a": a, "b": bm}, {})
        compare(f"MatMul {a_shape} @ {b_shape}", "MatMul", inputs, consts, {}, [node], threads)
    for b_, h, s, d in [(1, 12, 128, 64), (4, 12, 128, 64), (1, 8, 512, 64)]:
        q, kt, v = r(b_, h, s, d), r(b_, h, d, s), r(b_, h, s, d)
        scale = np.array(1 / np.sqrt(d), np.float32)
        nodes = [
            helper.make_node("MatMul", ["q", "kt"], ["s0"]),
            helper.make_node("Mul", ["s0", "scale"], ["s1"]),
            helper.make_node("Softmax", ["s1"], ["p"], axis=-1),
            helper.make_node("MatMul", ["p", "v"], ["y"]),
        ]
        compare(
            f"Attention B{b_} H{h} S{s} D{d} (ort: 4 nodes)",
            "Attention",
            {"q": q, "kt": kt, "v": v},
            {"scale": scale},
            {"scale": float(scale)},
            nodes,
            threads,
            plan_consts={},
        )


if __name__ == "__main__":
    main()
