"""Whole-model latency and peak memory: fastinfer native vs onnxruntime, as markdown.

Like bench/compare.py: within one process per thread count the two libraries are called in
alternation, round after round, and the ratio of their medians is reported, which is
robust on a noisy shared machine. Peak RSS comes from separate processes, one per library,
model, batch and thread count (VmHWM of a process that loads the model file and runs it
five times), so neither library's allocations hide in the other's high-water mark.

    PYTHONPATH=python python bench/compare_models.py            # 1 and 2 threads
    PYTHONPATH=python python bench/compare_models.py 1          # 1 thread only

The ONNX files are exported once by this parent process (torch, tests/models.py) into a
temporary folder; the children import neither torch nor the exporters, so their RSS is
what a user of each library would see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
LIBS = ["fastinfer", "onnxruntime"]
BATCHES = [1, 8]
MODELS = ["mlp", "cnn64", "bert_base_4l_s128"]
CNN_SIZE = 64
BERT_SEQ = 128


def export_models(folder: str) -> dict[str, str]:
    sys.path.insert(0, TESTS)
    from models import bert_base_onnx, cnn_onnx, mlp_onnx

    paths = {}
    for name, build in [
        ("mlp", mlp_onnx),
        ("cnn64", lambda: cnn_onnx(0, CNN_SIZE)),
        ("bert_base_4l_s128", bert_base_onnx),
    ]:
        paths[name] = os.path.join(folder, f"{name}.onnx")
        with open(paths[name], "wb") as f:
            f.write(build())
    return paths


def feeds_for(name: str, batch: int):
    """The inputs of tests/models.py (same seeds and masks), rebuilt here so the children
    need no torch."""
    import numpy as np

    rng = np.random.default_rng(0)
    if name == "mlp":
        return {"x": rng.standard_normal((batch, 784)).astype(np.float32)}
    if name == "cnn64":
        return {"x": rng.standard_normal((batch, 3, CNN_SIZE, CNN_SIZE)).astype(np.float32)}
    ids = rng.integers(0, 1000, size=(batch, BERT_SEQ), dtype=np.int64)
    mask = np.ones((batch, BERT_SEQ), dtype=np.int64)
    for b in range(1, batch):
        mask[b, BERT_SEQ - b * (BERT_SEQ // 8) :] = 0
    return {"input_ids": ids, "attention_mask": mask}


def make_runner(lib: str, path: str, threads: int):
    """A callable feeds -> output array for `lib`, or raises what the library raises."""
    if lib == "fastinfer":
        import fastinfer

        model = fastinfer.load(path, backend="native", num_threads=threads)
        return lambda feeds: model.run(feeds)["output"]
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(None, feeds)[0]


def describe_error(exc: Exception) -> str:
    """Short enough for a table cell: the missing ops for UnsupportedOpError."""
    ops = getattr(exc, "ops", None)
    if ops:
        return f"{type(exc).__name__}: native lacks {', '.join(ops)}"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def set_threads_env(threads: int) -> None:
    # Before numpy loads OpenBLAS (it reads these once).
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def interleaved_medians(runners: dict, feeds, threads: int) -> dict[str, float]:
    """Median seconds per call of each runner, called in alternating blocks of ~0.15 s."""
    start = time.perf_counter()
    runners["onnxruntime"](feeds)
    per_call = time.perf_counter() - start
    reps = max(1, int(0.15 / per_call))  # ~0.15 s per block
    rounds = 7 if per_call < 0.2 else 5
    times: dict[str, list[float]] = {lib: [] for lib in runners}
    for _ in range(rounds):
        for lib, fn in runners.items():
            # Idle workers of the previous library spin for a while after its last call; on
            # 2 cores they would steal the next one's second core.
            if threads > 1:
                time.sleep(0.05)
            fn(feeds)
            start = time.perf_counter()
            for _ in range(reps):
                fn(feeds)
            times[lib].append((time.perf_counter() - start) / reps)
    return {lib: sorted(t)[len(t) // 2] for lib, t in times.items()}


def peak_rss(build, feeds) -> dict:
    """VmHWM of this process after building a runner with `build()` and calling it five
    times, and its growth over the process before; or the error the library raised."""
    base = status_kib("VmRSS")
    try:
        fn = build()
        for _ in range(5):
            fn(feeds)
    except Exception as exc:
        return {"error": describe_error(exc)}
    hwm = status_kib("VmHWM")
    return {"hwm_kib": hwm, "growth_kib": hwm - base}


def child_time(paths: dict[str, str], threads: int) -> dict:
    set_threads_env(threads)
    import numpy as np

    import fastinfer

    fastinfer.set_num_threads(threads)
    results = {"threads": threads, "cpu": fastinfer.cpu_info(), "rows": []}
    for name in MODELS:
        for batch in BATCHES:
            feeds = feeds_for(name, batch)
            runners, errors = {}, {}
            for lib in LIBS:
                try:
                    runners[lib] = make_runner(lib, paths[name], threads)
                except Exception as exc:  # reported in the table, e.g. UnsupportedOpError
                    errors[lib] = describe_error(exc)
            row = {"model": name, "batch": batch, "errors": errors, "median_s": {}}
            results["rows"].append(row)
            if len(runners) < 2:
                continue
            outs = {lib: fn(feeds) for lib, fn in runners.items()}  # warm up, compile plans
            ref = outs["onnxruntime"]
            row["max_rel_err"] = float(
                np.max(np.abs(outs["fastinfer"] - ref)) / max(1.0, float(np.max(np.abs(ref))))
            )
            row["median_s"] = interleaved_medians(runners, feeds, threads)
    return results


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child_memory(lib: str, path: str, name: str, batch: int, threads: int) -> dict:
    set_threads_env(threads)
    # Both libraries are imported whichever is measured, so both have the same baseline.
    import onnxruntime  # noqa: F401

    import fastinfer

    fastinfer.set_num_threads(threads)
    feeds = feeds_for(name, batch)
    return peak_rss(lambda: make_runner(lib, path, threads), feeds)


def run_child(*args: str, script: str = __file__) -> dict:
    """Runs `script` with `args` in a fresh interpreter; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, script, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(res: dict, mem: dict) -> str:
    t = res["threads"]
    lines = [
        f"### {t} thread{'s' if t > 1 else ''}",
        "",
        "| model | batch | fastinfer ms | onnxruntime ms | speedup (ORT / fi) | max rel err | "
        "fi peak RSS MiB (+load/run) | ORT peak RSS MiB (+load/run) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in res["rows"]:
        m, b = row["model"], row["batch"]
        mems = []
        for lib in LIBS:
            r = mem[(lib, m, b, t)]
            mems.append(
                "n/a"
                if "error" in r
                else f"{r['hwm_kib'] / 1024:.0f} (+{r['growth_kib'] / 1024:.0f})"
            )
        if row["errors"]:
            err = "; ".join(f"{k}: {v}" for k, v in row["errors"].items())
            lines.append(f"| {m} | {b} | n/a | n/a | n/a ({err}) | | {mems[0]} | {mems[1]} |")
            continue
        md = row["median_s"]
        lines.append(
            f"| {m} | {b} | {md['fastinfer'] * 1e3:.3f} | {md['onnxruntime'] * 1e3:.3f} | "
            f"{md['onnxruntime'] / md['fastinfer']:.2f}x | {row['max_rel_err']:.1e} | "
            f"{mems[0]} | {mems[1]} |"
        )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--time":
        print(json.dumps(child_time(json.loads(sys.argv[2]), int(sys.argv[3]))))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--memory":
        lib, path, name, batch, threads = sys.argv[2:7]
        print(json.dumps(child_memory(lib, path, name, int(batch), int(threads))))
        return 0
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    with tempfile.TemporaryDirectory() as tmp:
        paths = export_models(tmp)
        for t in threads:
            res = run_child("--time", json.dumps(paths), str(t))
            mem = {
                (lib, m, b, t): run_child("--memory", lib, paths[m], m, str(b), str(t))
                for lib in LIBS
                for m in MODELS
                for b in BATCHES
            }
            if t == threads[0]:
                cpu = res["cpu"]
                print(f"CPU: {cpu['brand']} ({cpu['vendor']}), isa {cpu['isa']}\n")
            print(table(res, mem) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
