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
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    lo, hi = (int(v) for v in args.lengths.split(":"))
    lengths = list(range(lo, hi))

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads

    def ort_new():
        t0 = time.perf_counter()
        sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
        sess.run(None, feeds(lengths[0]))
        return sess, time.perf_counter() - t0

    def fi_new():
        t0 = time.perf_counter()
        model = fastinfer.load(args.model, num_threads=args.threads)
        model.run(feeds(lengths[0]))
        return model, time.perf_counter() - t0

    def loop(run) -> float:
        t0 = time.perf_counter()
        for s in lengths:
            run(feeds(s))
        return time.perf_counter() - t0

    # Each library alone in its loop (the other's idle workers would steal cores when
    # calls alternate), fresh sessions each round so every shape is new; rounds alternate
    # the libraries and the best round of each counts.
    ort_first, fi_first, ort_loop, fi_loop = [], [], [], []
    for _ in range(args.rounds):
        sess, t = ort_new()
        ort_first.append(t)
        ort_loop.append(loop(lambda f, sess=sess: sess.run(None, f)))
        del sess
        time.sleep(0.2)
        model, t = fi_new()
        fi_first.append(t)
        gc.collect()
        rss_first = rss_mib()
        fi_loop.append(loop(model.run))
        time.sleep(0.2)
    fi_warm = loop(model.run)
    gc.collect()
    rss_after = rss_mib()
    sess, _ = ort_new()
    worst = 0.0
    for s in lengths:
        f = feeds(s)
        got, want = model.run(f), sess.run(None, f)
        worst = max(worst, float(np.abs(next(iter(got.values())) - want[0]).max()))
    fi_first, ort_first = min(fi_first), min(ort_first)
    fi_loop, ort_loop = min(fi_loop), min(ort_loop)
    print(f"backend: {model.backend} ({model.backend_reason})")
    print(f"{len(lengths)} lengths {lo}..{hi - 1}, batch 1, {args.threads} thread(s)")
    print(
        f"load + first run: fastinfer {fi_first:.3f} s, onnxruntime {ort_first:.3f} s "
        "(session creation + first run)"
    )
    print(
        f"loop over new shapes: fastinfer {fi_loop:.3f} s, onnxruntime {ort_loop:.3f} s, "
        f"ratio {fi_loop / ort_loop:.2f}x (best of {args.rounds} rounds each)"
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
