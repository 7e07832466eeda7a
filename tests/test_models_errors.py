"""Loader and input errors on real model files: each failure is a specific fastinfer error
with a message that says what is wrong; nothing crashes, hangs or falls back silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer
from fastinfer import (
    DeviceError,
    FastInferError,
    InputError,
    InputTypeError,
    InvalidModelError,
    UnsupportedOpError,
)
from models import assert_close, bert_inputs, bert_onnx, mlp_inputs, mlp_onnx, ort_run

HERE = os.path.dirname(os.path.abspath(__file__))
# The child imports the fastinfer this process runs (installed, or the in-place dev build),
# never the bare source tree, which has no compiled _core in a fresh clone.
PYTHON_DIR = os.path.dirname(os.path.dirname(fastinfer.__file__))


# -- corrupt and foreign files ---------------------------------------------------------------
@pytest.mark.parametrize("keep", [0, 1, 10, 100, 1000, 0.5, 0.9, -1])
def test_truncated_model_file(tmp_path, keep) -> None:
    data = mlp_onnx()
    n = int(len(data) * keep) if isinstance(keep, float) else (len(data) + keep) % len(data)
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[:n])
    with pytest.raises(InvalidModelError):
        fastinfer.load(path)
    with pytest.raises(InvalidModelError):
        fastinfer.load(data[:n])


def test_random_bytes_file(tmp_path) -> None:
    path = tmp_path / "random.onnx"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(InvalidModelError, match="random.onnx"):
        fastinfer.load(path)


def test_text_file(tmp_path) -> None:
    path = tmp_path / "model.onnx"
    path.write_text("this is not an ONNX model\n" * 20)
    with pytest.raises(InvalidModelError):
        fastinfer.load(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InvalidModelError, match="no such file"):
        fastinfer.load(tmp_path / "nope.onnx")


def test_directory_is_not_a_model(tmp_path) -> None:
    with pytest.raises(InvalidModelError):
        fastinfer.load(tmp_path)


# -- inputs that do not match the model ------------------------------------------------------
@pytest.fixture(scope="module")
def mlp() -> fastinfer.Model:
    return fastinfer.load(mlp_onnx(), backend="native")


@pytest.fixture(scope="module")
def bert() -> fastinfer.Model:
    # "auto": input checks come before the backend choice matters, and these tests must
    # not depend on native coverage of the encoder (tested in test_models_end_to_end.py).
    return fastinfer.load(bert_onnx(), backend="auto")


def test_missing_input(bert) -> None:
    f = bert_inputs(2, 7)
    with pytest.raises(InputError, match="attention_mask"):
        bert.run({"input_ids": f["input_ids"]})
    with pytest.raises(InputError):
        bert(f["input_ids"])  # one positional array for a two-input model


def test_extra_input(mlp) -> None:
    x = mlp_inputs(2)["x"]
    with pytest.raises(InputError, match="bogus"):
        mlp.run({"x": x, "bogus": x})
    with pytest.raises(InputError):
        mlp.run([x, x])


def test_wrong_dtype(mlp, bert) -> None:
    x = mlp_inputs(2)["x"]
    with pytest.raises(InputTypeError, match="float64"):
        mlp(x.astype(np.float64))
    f = bert_inputs(2, 7)
    with pytest.raises(InputTypeError, match="int32"):
        bert.run({**f, "input_ids": f["input_ids"].astype(np.int32)})
    with pytest.raises(InputTypeError):
        mlp.run({"x": x.tolist()})  # a list is not an array
    # InputTypeError is also a TypeError, InputError a ValueError: plain except clauses work.
    assert issubclass(InputTypeError, TypeError) and issubclass(InputError, ValueError)


def test_wrong_rank(mlp, bert) -> None:
    with pytest.raises(InputError, match="rank"):
        mlp(np.zeros(784, dtype=np.float32))
    with pytest.raises(InputError, match="rank"):
        mlp(np.zeros((1, 1, 784), dtype=np.float32))
    f = bert_inputs(2, 7)
    with pytest.raises(InputError, match="rank"):
        bert.run({**f, "input_ids": f["input_ids"][0]})


def test_fixed_dim_contradicts_model(mlp) -> None:
    with pytest.raises(InputError, match="784"):
        mlp(np.zeros((2, 783), dtype=np.float32))


def test_dynamic_dims_must_agree_between_inputs(bert) -> None:
    f = bert_inputs(2, 7)
    with pytest.raises(InputError, match="sequence|batch"):
        bert.run(
            {"input_ids": f["input_ids"], "attention_mask": bert_inputs(2, 8)["attention_mask"]}
        )


def test_errors_leave_the_model_usable(mlp) -> None:
    with pytest.raises(InputError):
        mlp(np.zeros((2, 5), dtype=np.float32))
    x = mlp_inputs(3)["x"]
    assert_close(mlp(x), ort_run(mlp_onnx(), {"x": x}))


# -- models fastinfer refuses ----------------------------------------------------------------
def _model(nodes, inputs, outputs, initializers=(), opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _relu_model(opset: int) -> onnx.ModelProto:
    return _model(
        [helper.make_node("Relu", ["x"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])],
        opset=opset,
    )


def test_old_opset_is_refused() -> None:
    with pytest.raises(InvalidModelError, match="opset 12"):
        fastinfer.load(_relu_model(12).SerializeToString())
    # The same graph at opset 13 loads and runs: the opset is the only problem.
    x = np.array([[-1, 0, 2, -3]], dtype=np.float32)
    np.testing.assert_array_equal(fastinfer.load(_relu_model(13))(x), np.maximum(x, 0))


def _det_model() -> onnx.ModelProto:
    """A real use of an op the native backend lacks: log|det| of x @ W + x (a batch of
    3x3 matrices)."""
    w = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    return _model(
        [
            helper.make_node("MatMul", ["x", "w"], ["xw"], name="mm"),
            helper.make_node("Det", ["xw"], ["d"], name="the_det"),
            helper.make_node("Abs", ["d"], ["y"], name="abs"),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])],
        [numpy_helper.from_array(w, "w")],
    )


def test_unsupported_op_native_names_it() -> None:
    with pytest.raises(UnsupportedOpError, match="Det") as info:
        fastinfer.load(_det_model().SerializeToString(), backend="native")
    assert info.value.ops == ["Det"]
    assert "the_det" in str(info.value)  # the node, so the user can find it


def test_auto_runs_only_the_missing_op_on_onnxruntime_and_says_why() -> None:
    data = _det_model().SerializeToString()
    model = fastinfer.load(data, backend="auto")
    assert model.backend == "partitioned"
    assert "Det" in model.backend_reason
    assert set(model.placement.values()) <= {"native", "onnxruntime"}
    assert "onnxruntime" in model.placement.values()
    x = np.random.default_rng(1).standard_normal((5, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(model(x), ort_run(data, {"x": x}), rtol=1e-6)


def test_auto_picks_native_when_it_covers_the_model() -> None:
    model = fastinfer.load(mlp_onnx(), backend="auto", device="cpu")
    assert model.backend == "native", model.backend_reason


def test_cuda_on_cpu_only_machine_raises() -> None:
    if "cuda" in fastinfer.devices():
        pytest.fail("this test expects a CPU-only machine; CUDA is available here")
    for backend in ("auto", "native", "onnxruntime"):
        with pytest.raises(DeviceError, match="cuda|CUDA"):
            fastinfer.load(mlp_onnx(), backend=backend, device="cuda")


# -- external data ---------------------------------------------------------------------------
def _save_external(model_bytes: bytes, folder, name: str = "model.onnx") -> str:
    model = onnx.load_from_string(model_bytes)
    path = os.path.join(folder, name)
    onnx.save(model, path, save_as_external_data=True, location="weights.bin", size_threshold=0)
    return path


def test_external_data_loads_from_path(tmp_path) -> None:
    path = _save_external(mlp_onnx(), tmp_path)
    assert os.path.getsize(path) < 10_000  # the weights really are outside
    model = fastinfer.load(path, backend="native")
    x = mlp_inputs(3)["x"]
    assert_close(model(x), ort_run(mlp_onnx(), {"x": x}))


def test_external_data_from_bytes_is_refused(tmp_path) -> None:
    path = _save_external(mlp_onnx(), tmp_path)
    with open(path, "rb") as f:
        with pytest.raises(InvalidModelError, match="external data"):
            fastinfer.load(f.read())


def _with_location(path: str, location: str, out: str) -> str:
    """Rewrites every external_data location entry of the model at `path` (the proto is
    edited directly, as an attacker would)."""
    model = onnx.load(path, load_external_data=False)
    for init in model.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                entry.value = location
    with open(out, "wb") as f:
        f.write(model.SerializeToString())
    return out


def test_external_data_parent_dir_is_refused(tmp_path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    # The data really exists one level up, so only the '..' check can stop it.
    path = _save_external(mlp_onnx(), tmp_path)
    bad = _with_location(path, "../weights.bin", str(inner / "bad.onnx"))
    with pytest.raises(InvalidModelError, match=r"\.\."):
        fastinfer.load(bad)
    bad = _with_location(path, "sub/../../weights.bin", str(inner / "bad2.onnx"))
    with pytest.raises(InvalidModelError):
        fastinfer.load(bad)


def test_external_data_absolute_path_is_refused(tmp_path) -> None:
    path = _save_external(mlp_onnx(), tmp_path)
    bad = _with_location(path, str(tmp_path / "weights.bin"), str(tmp_path / "bad.onnx"))
    with pytest.raises(InvalidModelError, match="absolute|outside"):
        fastinfer.load(bad)


def test_external_data_symlink_outside_is_refused(tmp_path) -> None:
    outside, inner = tmp_path / "outside", tmp_path / "model"
    outside.mkdir()
    inner.mkdir()
    path = _save_external(mlp_onnx(), outside)
    # weights.bin inside the model folder is a link to the real file outside it.
    os.symlink(outside / "weights.bin", inner / "weights.bin")
    bad = _with_location(path, "weights.bin", str(inner / "model.onnx"))
    with pytest.raises(InvalidModelError, match="outside"):
        fastinfer.load(bad)


def test_external_data_missing_file_is_refused(tmp_path) -> None:
    path = _save_external(mlp_onnx(), tmp_path)
    os.remove(tmp_path / "weights.bin")
    with pytest.raises(InvalidModelError, match="missing"):
        fastinfer.load(path)


# -- fuzz ------------------------------------------------------------------------------------
FUZZ_CASES = 200
FUZZ_TIMEOUT_S = 600

# Runs in a child process: a segfault or abort there fails the test with the case that
# caused it instead of killing pytest. Each case prints one JSON line before and after, so
# the last "start" line without an "end" names the culprit.
FUZZ_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    sys.path[:0] = [{python_dir!r}, {tests_dir!r}]
    import fastinfer
    from models import cnn_onnx, mlp_onnx

    data = {{"mlp": mlp_onnx, "cnn": cnn_onnx}}[{model!r}]()
    rng = np.random.default_rng({seed})
    counts = {{"loaded": 0, "refused": 0}}
    for case in range({cases}):
        buf = bytearray(data)
        kind = ["flip", "truncate", "flip_header", "splice"][case % 4]
        if kind == "flip":
            for pos in rng.integers(0, len(buf), size=int(rng.integers(1, 16))):
                buf[pos] ^= 1 << int(rng.integers(0, 8))
        elif kind == "truncate":
            buf = buf[: int(rng.integers(0, len(buf)))]
        elif kind == "flip_header":
            # The graph structure (names, op types, attributes, shapes) sits outside the
            # big weight blobs; flips there reach the checker and compiler, not only the
            # parser.
            for pos in rng.integers(0, min(len(buf), 4096), size=int(rng.integers(1, 4))):
                buf[pos] = int(rng.integers(0, 256))
        else:
            a, b = sorted(rng.integers(0, len(buf), size=2))
            buf = buf[:a] + bytes(rng.integers(0, 256, size=int(rng.integers(1, 64)),
                                               dtype=np.uint8)) + buf[b:]
        print(json.dumps({{"start": case, "kind": kind}}), flush=True)
        try:
            model = fastinfer.load(bytes(buf))
            feeds = {{}}
            for info in model.inputs:
                shape = [d if isinstance(d, int) else 2 for d in info.shape]
                feeds[info.name] = np.zeros(shape, dtype=info.dtype)
            model.run(feeds)
            counts["loaded"] += 1
        except fastinfer.FastInferError:
            counts["refused"] += 1
        except Exception as exc:
            print(json.dumps({{"case": case, "kind": kind,
                               "error": type(exc).__module__ + "." + type(exc).__name__,
                               "message": str(exc)[:300]}}), flush=True)
        print(json.dumps({{"end": case}}), flush=True)
    print(json.dumps({{"done": counts}}), flush=True)
    """
)


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_loader_fuzz_never_crashes_or_hangs(model: str) -> None:
    """200 byte flips / truncations / splices of a valid model (fixed seed): each loads and
    runs, or raises a FastInferError subclass. Anything else is a bug: a crash (the child
    dies), a hang (timeout), or a foreign exception leaking out (protobuf, onnx, KeyError,
    IndexError, ...). The CNN adds attributes (kernel, pads, strides, groups) and 4-D
    shapes for the mutations to break."""
    script = FUZZ_SCRIPT.format(
        python_dir=PYTHON_DIR, tests_dir=HERE, seed=1234, cases=FUZZ_CASES, model=model
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=FUZZ_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        last = out.strip().splitlines()[-1:] if out else []
        pytest.fail(f"fuzz hung after {FUZZ_TIMEOUT_S} s; last line: {last}")
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0:
        started = [x for x in lines if "start" in x]
        pytest.fail(
            f"fuzz child died with code {proc.returncode} at {started[-1:]}; "
            f"stderr tail: {proc.stderr[-2000:]}"
        )
    leaks = [x for x in lines if "error" in x]
    assert not leaks, f"{len(leaks)} non-fastinfer exceptions: {leaks[:10]}"
    done = [x["done"] for x in lines if "done" in x]
    assert done and sum(done[0].values()) == FUZZ_CASES, (done, proc.stderr[-2000:])
    # Truncations and header flips must mostly be refused; if nearly everything "loaded",
    # the mutations would not be reaching the loader at all.
    assert done[0]["refused"] >= FUZZ_CASES // 4, done


def test_fastinfer_errors_share_a_base() -> None:
    for cls in (InvalidModelError, UnsupportedOpError, InputError, InputTypeError, DeviceError):
        assert issubclass(cls, FastInferError)
