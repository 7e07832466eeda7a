"""New-shape cost: one model run at every sequence length of a range, once, fastinfer
against onnxruntime in the same process (no torch imported here: export first with
bench/export_minilm.py), with RSS after the first run and after the loop.

    python bench/export_minilm.py /tmp/minilm.onnx
    python bench/dynamic_shapes.py /tmp/minilm.onnx --threads 2
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import onnxruntime as ort

import fastinfer


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def feeds(seq: int, batch: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seq)
    ids = rng.integers(1, 1000, (batch, seq), dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones((batch, seq), np.int64)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lengths", default="8:129")
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.lengths.split(":"))
    lengths = list(range(lo, hi))

    t0 = time.perf_counter()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    sess.run(None, feeds(lengths[0]))
    ort_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = fastinfer.load(args.model, num_threads=args.threads)
    model.run(feeds(lengths[0]))
    fi_first = time.perf_counter() - t0
    gc.collect()
    rss_first = rss_mib()

    t0 = time.perf_counter()
    for s in lengths:
        sess.run(None, feeds(s))
    ort_loop = time.perf_counter() - t0
    t0 = time.perf_counter()
    worst = 0.0
    for s in lengths:
        f = feeds(s)
        got = model.run(f)
        want = sess.run(None, f)
        worst = max(worst, float(np.abs(next(iter(got.values())) - want[0]).max()))
    both = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in lengths[::-1]:  # warm now: the same shapes again
        model.run(feeds(s))
    fi_warm = time.perf_counter() - t0
    gc.collect()
    rss_after = rss_mib()
    # fastinfer's first pass over new shapes, without onnxruntime's share of `both`.
    fi_loop = both - ort_loop
    print(f"backend: {model.backend} ({model.backend_reason})")
    print(f"{len(lengths)} lengths {lo}..{hi - 1}, batch 1, {args.threads} thread(s)")
    print(f"load + first run: fastinfer {fi_first:.3f} s, onnxruntime {ort_first:.3f} s")
    print(
        f"loop over new shapes: fastinfer {fi_loop:.3f} s (~, minus onnxruntime's share), "
        f"onnxruntime {ort_loop:.3f} s, ratio {fi_loop / ort_loop:.2f}x"
    )
    print(f"same shapes warm: fastinfer {fi_warm:.3f} s")
    print(
        f"RSS after first run {rss_first:.0f} MiB, after loop {rss_after:.0f} MiB "
        f"({(rss_after / rss_first - 1) * 100:+.1f}%)"
    )
    print(f"max |fastinfer - onnxruntime| = {worst:.2e}")
    print(model.summary().split("\nbackend:")[1][:600])


if __name__ == "__main__":
    main()
