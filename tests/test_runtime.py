"""CPU detection, ISA selection and the thread pool."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastinfer
from fastinfer import _core, kernels

ISAS = ["scalar", "avx2", "avx512", "avx512_vnni"]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cpu_info_fields():
    info = fastinfer.cpu_info()
    assert info["isa"] in ISAS
    assert info["isa"] in info["supported_isas"]
    assert "scalar" in info["supported_isas"]
    assert info["num_threads"] == fastinfer.get_num_threads() >= 1
    for name in ("avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "os_saves_zmm"):
        assert isinstance(info["features"][name], bool)
    # A path is only offered when the CPU reports it and the OS saves its registers.
    if "avx512" in info["supported_isas"]:
        assert info["features"]["avx512bw"] and info["features"]["os_saves_zmm"]
    if "avx2" in info["supported_isas"]:
        assert info["features"]["avx2"] and info["features"]["os_saves_ymm"]


def test_default_threads_follow_affinity_mask():
    code = "import fastinfer; print(fastinfer.get_num_threads())"
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
    assert fastinfer.cpu_info()["available_cores"] == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("isa_name", _core.supported_isas())
def test_env_forces_isa(isa_name):
    out = run_python("import fastinfer; print(fastinfer.cpu_info()['isa'])", FASTINFER_ISA=isa_name)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == isa_name


def test_env_rejects_unknown_isa():
    out = run_python("import fastinfer", FASTINFER_ISA="sse9")
    assert out.returncode != 0
    assert "unknown ISA 'sse9'" in out.stderr


def test_force_unsupported_isa_is_a_clear_error():
    unsupported = [i for i in ISAS if i not in _core.supported_isas()]
    for name in unsupported:  # on a CPU with every path there is nothing to reject
        with pytest.raises(ValueError, match="not supported by this CPU"):
            _core._force_isa(name)
    with pytest.raises(ValueError, match="unknown ISA"):
        _core._force_isa("neon2")


def test_set_num_threads_validates_and_applies():
    original = fastinfer.get_num_threads()
    try:
        fastinfer.set_num_threads(1)
        assert fastinfer.get_num_threads() == 1
        assert fastinfer.cpu_info()["num_threads"] == 1
        with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
            fastinfer.set_num_threads(0)
        with pytest.raises(TypeError, match="n must be an int"):
            fastinfer.set_num_threads(2.0)
    finally:
        fastinfer.set_num_threads(original)


def test_results_identical_across_thread_counts(rng):
    x = rng.standard_normal((300, 512)).astype(np.float32)
    packed = kernels.pack_int8(rng.standard_normal((512, 700)).astype(np.float32))
    original = fastinfer.get_num_threads()
    try:
        results = []
        # At most the cores this process may use (more is an error), so 1 and 2 on two.
        cores = len(os.sched_getaffinity(0))
        for n in (1, min(2, cores), cores):
            fastinfer.set_num_threads(n)
            results.append(kernels.linear_int8(x, packed, activation="gelu"))
    finally:
        fastinfer.set_num_threads(original)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_concurrent_calls_from_python_threads(rng):
    packed_w = rng.integers(-128, 128, size=(256, 300), dtype=np.int8)
    packed = kernels.pack_int8_quantized(packed_w)
    inputs = [rng.integers(0, 256, size=(64 + i, 256), dtype=np.uint8) for i in range(8)]
    expected = [(a.astype(np.int64) - 5) @ packed_w.astype(np.int64) for a in inputs]
    errors: list[str] = []

    def worker(i: int) -> None:
        for _ in range(20):
            out = kernels.gemm_u8s8(inputs[i], packed, 5)
            if not np.array_equal(out, expected[i]):
                errors.append(f"thread {i} got a wrong result")
                return

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_kernel_tables_follow_the_forced_path(isa):
    """Every family's table is refilled for the forced path, and names that path's kernels."""
    tables = fastinfer.kernel_configs()
    families = {"gemm_f32", "gemm_u8s8", "quantize_u8", "vecmath_f32", "attention_f32"}
    families |= {"pool_f32", "norm_f32", "transpose_x32", "conv", "conv_blocked"}
    assert families <= set(tables)
    for family, name in tables.items():
        if isa == "scalar":
            assert "avx" not in name, (family, name)
        elif isa.startswith("avx2"):
            assert "avx512" not in name and ("avx2" in name or "ref" in name), (family, name)
    assert fastinfer.cpu_info()["kernels"] == tables


def test_kernel_choice_is_logged_at_debug_level():
    code = "import logging; logging.basicConfig(level=logging.DEBUG);import fastinfer"
    out = run_python(code, FASTINFER_ISA="avx2" if "avx2" in _core.supported_isas() else "scalar")
    assert out.returncode == 0, out.stderr
    assert "fastinfer.kernels" in out.stderr and "gemm_f32=" in out.stderr, out.stderr
