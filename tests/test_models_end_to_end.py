"""Real models (torch exports, see tests/models.py) on the native backend against
onnxruntime on the same ONNX bytes.

Nothing is skipped: a model that needs an op the native backend lacks fails here with the
UnsupportedOpError message naming it, which is the point of these tests.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import onnxruntime as ort
import pytest

import fastinfer
from models import MODELS, assert_close, bert_inputs, mlp_inputs, ort_run, ort_session

# (model, batch, sequence); the sequence only matters to the encoder. 7 is odd and below
# every vector width, 16 is one AVX-512 register of fp32, 128 is BERT's usual length.
CASES = [(name, b, 0) for name in ("mlp", "cnn") for b in (1, 3, 8)] + [
    ("bert", b, s) for b in (1, 3, 8) for s in (7, 16, 128)
]
NAMES = ["mlp", "cnn", "bert"]


def build(name: str) -> bytes:
    return MODELS[name][0]()


def feeds_for(name: str, batch: int, seq: int = 16) -> dict[str, np.ndarray]:
    return MODELS[name][1](batch, seq)


def load_native(data: bytes | str) -> fastinfer.Model:
    return fastinfer.load(data, backend="native")


@pytest.mark.parametrize("name,batch,seq", CASES, ids=[f"{n}-b{b}-s{s}" for n, b, s in CASES])
def test_matches_onnxruntime(isa: str, name: str, batch: int, seq: int) -> None:
    data = build(name)
    # Loaded after the isa fixture forced the kernel path, so the plan is compiled for it.
    model = load_native(data)
    assert model.backend == "native", model.backend_reason
    feeds = feeds_for(name, batch, seq)
    want = ort_run(data, feeds)
    got = model.run(feeds)["output"]
    assert_close(got, want, f"{name} batch {batch} seq {seq} isa {isa}")
    # A second run reuses the cached plan and its arena: stale state would show here.
    assert_close(model.run(feeds)["output"], want, f"{name} second run")


@pytest.mark.parametrize("name", NAMES)
def test_shapes_change_between_runs(name: str) -> None:
    """One Model serves several signatures in any order (plan cache keyed by shape)."""
    data = build(name)
    model = load_native(data)
    sess = ort_session(data)
    for batch, seq in [(3, 16), (1, 7), (8, 128), (3, 16), (1, 7)]:
        feeds = feeds_for(name, batch, seq)
        assert_close(model.run(feeds)["output"], sess.run(None, feeds)[0], f"b{batch} s{seq}")


@pytest.mark.parametrize("name", NAMES)
def test_concurrent_runs_from_threads(name: str) -> None:
    """8 Python threads call model.run on one Model at once, with different batch sizes
    (so plans are compiled concurrently too) and different data; each gets its own
    correct result. model.run releases the GIL, so these really overlap."""
    data = build(name)
    model = load_native(data)
    sess = ort_session(data)
    jobs = [(b, 16 if i % 2 else 7, i) for i, b in enumerate([1, 3, 8, 2, 1, 3, 8, 5])]
    inputs = []
    for batch, seq, seed in jobs:
        if name == "bert":
            inputs.append(bert_inputs(batch, seq, seed))
        elif name == "mlp":
            inputs.append(mlp_inputs(batch, seed))
        else:
            f = feeds_for(name, batch)
            f["x"] = f["x"] + np.float32(seed)  # different data per thread
            inputs.append(f)
    wants = [sess.run(None, f)[0] for f in inputs]
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    results: dict[int, list[np.ndarray]] = {i: [] for i in range(len(jobs))}

    def work(i: int) -> None:
        try:
            start.wait()
            for _ in range(5):
                results[i].append(model.run(inputs[i])["output"])
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung in model.run"
    assert not errors, errors
    for i, outs in results.items():
        assert len(outs) == 5
        for out in outs:
            assert_close(out, wants[i], f"thread {i} {jobs[i]}")


def test_call_and_run_forms_one_input() -> None:
    """model(x), model(name=x), model.run(dict), model.run(list) and model.run(array)
    agree with onnxruntime."""
    data = build("mlp")
    model = load_native(data)
    x = mlp_inputs(3)["x"]
    want = ort_run(data, {"x": x})
    assert_close(model(x), want, "model(x)")
    assert_close(model(x=x), want, "model(x=x)")
    assert_close(model.run({"x": x})["output"], want, "run(dict)")
    assert_close(model.run([x])["output"], want, "run(list)")
    assert_close(model.run(x)["output"], want, "run(array)")


def test_call_and_run_forms_two_inputs() -> None:
    """model(a, b), model(**feeds), model.run(dict) and model.run(list) for two inputs."""
    data = build("bert")
    model = load_native(data)
    f = bert_inputs(3, 16)
    want = ort_run(data, f)
    assert_close(model(f["input_ids"], f["attention_mask"]), want, "model(a, b)")
    assert_close(model(**f), want, "model(**feeds)")
    assert_close(model.run(f)["output"], want, "run(dict)")
    assert_close(model.run([f["input_ids"], f["attention_mask"]])["output"], want, "run(list)")


def test_non_contiguous_input() -> None:
    """A transposed view is accepted (copied to C order) and gives the same result."""
    data = build("mlp")
    model = load_native(data)
    x = np.asfortranarray(mlp_inputs(8)["x"])
    assert not x.flags.c_contiguous
    assert_close(model(x), ort_run(data, {"x": np.ascontiguousarray(x)}), "fortran input")


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_nan_in_input_passes_through(isa: str, name: str) -> None:
    """NaN in one sample: no crash, the NaN propagates to that sample's output as in
    onnxruntime, and the other samples are unaffected (no cross-batch contamination). Per
    ISA path: vector max/min return one fixed operand when the other is NaN, so a ReLU
    written max(x, 0) swallows NaN on one path and not on another."""
    data = build(name)
    model = load_native(data)
    feeds = feeds_for(name, 4)
    x = feeds["x"]
    x[1].flat[5] = np.nan
    x[3].flat[:] = np.nan
    got = model.run(feeds)["output"]
    want = ort_run(data, feeds)
    assert np.isnan(got[3]).all(), got[3]
    assert np.isnan(got[1]).any(), got[1]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    for b in (0, 2):
        assert_close(got[b], want[b], f"clean sample {b}")


@pytest.mark.parametrize("name", NAMES)
def test_summary_mentions_ops_and_flops(name: str) -> None:
    model = load_native(build(name))
    shapes = {k: v.shape for k, v in feeds_for(name, 2, 16).items()}
    text = model.summary(shapes)
    ops = {n.op_type for n in model.graph.nodes}
    assert ops and all(op in text for op in ops), (ops, text)
    assert "flop" in text.lower(), text
    # Some FLOP figure is non-zero: the MatMul/Gemm/Conv work is counted.
    digits = [tok for line in text.lower().splitlines() if "flop" in line for tok in line.split()]
    assert any(any(c in "123456789" for c in tok) for tok in digits), text


@pytest.mark.parametrize("name", NAMES)
def test_profile_writes_chrome_trace(name: str, tmp_path) -> None:
    model = load_native(build(name))
    feeds = feeds_for(name, 2, 16)
    trace = tmp_path / "trace.json"
    rows = model.profile(feeds, runs=3, trace_path=str(trace))
    assert rows and all(r["mean_ms"] >= 0 for r in rows)
    doc = json.loads(trace.read_text())
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    # One complete ("X") event per plan step, i.e. per profiled row.
    assert len(events) == len(rows), (len(events), len(rows))
    for e in events:
        assert e["ph"] == "X"
        assert isinstance(e["name"], str) and e["name"]
        assert e["dur"] >= 0 and e["ts"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    assert sorted(e["name"] for e in events) == sorted(r["node"] for r in rows)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_round_trip(name: str, tmp_path) -> None:
    model = load_native(build(name))
    feeds = feeds_for(name, 3, 16)
    before = model.run(feeds)["output"]
    path = tmp_path / f"{name}.fastinfer.onnx"
    model.save(path)
    again = fastinfer.load(path, backend="native")
    assert again.backend == "native"
    # Same optimized graph, same kernels: bit-identical, not merely close.
    np.testing.assert_array_equal(again.run(feeds)["output"], before)
    # And through str paths too.
    np.testing.assert_array_equal(fastinfer.load(str(path)).run(feeds)["output"], before)


@pytest.mark.parametrize("name", NAMES)
def test_export_onnx_runs_in_onnxruntime(name: str, tmp_path) -> None:
    model = load_native(build(name))
    path = tmp_path / f"{name}.exported.onnx"
    model.export_onnx(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch, seq in [(1, 7), (3, 16)]:
        feeds = feeds_for(name, batch, seq)
        assert_close(
            sess.run(None, feeds)[0], model.run(feeds)["output"], f"exported b{batch} s{seq}"
        )
