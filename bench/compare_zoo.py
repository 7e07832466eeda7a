"""The model zoo (tests/zoo.py: transformers architectures from configs, MiniLM with real
weights; TorchScript export, opset 17) timed against onnxruntime, as markdown: median
latency at batch 1 and 8 (text at sequence 64, the zoo configs' position table), 1 and 2
threads, and peak RSS.

    HF_HUB_OFFLINE=1 PYTHONPATH=python python bench/compare_zoo.py [threads ...] [--models a,b]
        [--full] [--cache DIR]

--cache DIR keeps the exports in DIR (made on first use) so a later run reuses them.

--full times the full-size models of bench/zoo_full.py instead (BERT-base, GPT-2 small,
ViT-B/16, ResNet-50, ConvNeXt-T, MobileNetV2, T5-small's encoder at 224 px / sequence 128,
and MiniLM at sequence 128). FASTINFER_ISA=avx2 (say) forces fastinfer's kernel path in the
timing children; onnxruntime always runs its own best path.

As bench/compare_models.py: the parent exports (torch); children import no torch, call the
two libraries in alternation and report medians; peak RSS comes from one process per
library, model, batch and thread count. fastinfer loads with backend="auto" (partitioned
when an op lacks a native kernel; the table says so).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
sys.path[:0] = [HERE, TESTS]

import compare_models  # noqa: E402
from compare_models import (  # noqa: E402
    describe_error,
    interleaved_medians,
    peak_rss,
    set_threads_env,
)

LIBS = ["fastinfer", "onnxruntime"]
BATCHES = [1, 8]
MODELS = [
    "bert", "distilbert", "roberta", "gpt2", "t5-encoder", "all-MiniLM-L6-v2", "vit",
    "resnet", "convnext", "mobilenet-v2", "efficientnet", "whisper-encoder",
]  # fmt: skip


def feeds_for(name: str, batch: int):
    import zoo
    import zoo_full

    zoo_full.register()
    spec = zoo.ZOO[name]
    if name in zoo_full.FULL or (FULL_SEQ and name == "all-MiniLM-L6-v2"):
        return spec.feeds(batch, zoo_full.SEQ if spec.seqs else 0)
    return spec.feeds(batch, zoo.MAX_POS if spec.seqs else 0)


# MiniLM runs at the full-size sequence under --full (set in the children through the env).
FULL_SEQ = os.environ.get("FASTINFER_BENCH_FULL") == "1"


def make_runner(lib: str, path: str, threads: int):
    if lib == "fastinfer":
        import fastinfer

        model = fastinfer.load(path, backend="auto", num_threads=threads)
        run = lambda feeds: next(iter(model.run(feeds).values()))  # noqa: E731
        run.backend = model.backend
        return run
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(None, feeds)[0]


def child_time(paths: dict[str, str], threads: int) -> dict:
    set_threads_env(threads)
    import numpy as np

    import fastinfer

    results = {"threads": threads, "cpu": fastinfer.cpu_info(), "rows": []}
    for name, path in paths.items():
        for batch in BATCHES:
            feeds = feeds_for(name, batch)
            row = {"model": name, "batch": batch, "errors": {}, "median_s": {}}
            results["rows"].append(row)
            runners = {}
            for lib in LIBS:
                try:
                    runners[lib] = make_runner(lib, path, threads)
                except Exception as exc:  # reported in the table
                    row["errors"][lib] = describe_error(exc)
            if len(runners) < 2:
                continue
            row["backend"] = runners["fastinfer"].backend
            outs = {lib: fn(feeds) for lib, fn in runners.items()}
            ref = outs["onnxruntime"]
            scale = max(float(np.max(np.abs(ref))), 1e-30)
            row["max_rel_err"] = float(np.max(np.abs(outs["fastinfer"] - ref)) / scale)
            row["median_s"] = interleaved_medians(runners, feeds, threads)
    return results


def child_memory(lib: str, path: str, name: str, batch: int, threads: int) -> dict:
    set_threads_env(threads)
    import onnxruntime  # noqa: F401 - both libraries loaded, whichever is measured

    import fastinfer  # noqa: F401

    feeds = feeds_for(name, batch)
    return peak_rss(lambda: make_runner(lib, path, threads), feeds)


def run_child(*args: str) -> dict:
    return compare_models.run_child(*args, script=__file__)


def table(res: dict, mem: dict) -> str:
    t = res["threads"]
    lines = [
        f"### {t} thread{'s' if t > 1 else ''}",
        "",
        "| model | batch | fastinfer backend | fastinfer ms | onnxruntime ms | speedup (ORT / fi) "
        "| max rel err | fi peak RSS MiB | ORT peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in res["rows"]:
        m, b = row["model"], row["batch"]
        mems = [
            "n/a" if "error" in (r := mem[(lib, m, b)]) else f"{r['hwm_kib'] / 1024:.0f}"
            for lib in LIBS
        ]
        if row["errors"]:
            err = "; ".join(f"{k}: {v}" for k, v in row["errors"].items())
            lines.append(f"| {m} | {b} | n/a | n/a | n/a | {err} | | {mems[0]} | {mems[1]} |")
            continue
        md = row["median_s"]
        lines.append(
            f"| {m} | {b} | {row['backend']} | {md['fastinfer'] * 1e3:.2f} | "
            f"{md['onnxruntime'] * 1e3:.2f} | {md['onnxruntime'] / md['fastinfer']:.2f}x | "
            f"{row['max_rel_err']:.1e} | {mems[0]} | {mems[1]} |"
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
    args = sys.argv[1:]
    models = MODELS
    if "--models" in args:
        i = args.index("--models")
        models = args[i + 1].split(",")
        del args[i : i + 2]
    cache_dir = None
    if "--cache" in args:
        i = args.index("--cache")
        cache_dir = args[i + 1]
        del args[i : i + 2]
    if "--full" in args:
        args.remove("--full")
        import zoo_full

        if models is MODELS:
            models = zoo_full.register()
        os.environ["FASTINFER_BENCH_FULL"] = "1"
    threads = [int(a) for a in args] or [1, 2]
    import zoo
    import zoo_full

    zoo_full.register()

    with tempfile.TemporaryDirectory() as tmp:
        cache = zoo.ExportCache(cache_dir or tmp)
        paths = {m: str(cache.path(m, "torchscript", 17)) for m in models}
        for t in threads:
            res = run_child("--time", json.dumps(paths), str(t))
            mem = {
                (lib, m, b): run_child("--memory", lib, paths[m], m, str(b), str(t))
                for lib in LIBS
                for m in models
                for b in BATCHES
            }
            if t == threads[0]:
                cpu = res["cpu"]
                print(f"CPU: {cpu['brand']} ({cpu['vendor']}), isa {cpu['isa']}\n")
            print(table(res, mem) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
