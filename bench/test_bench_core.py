"""The raw u8 x s8 -> s32 core against this CPU's measured int8 peak.

The peak comes from a register-only loop of 16 independent vpdpbusd zmm chains
(fastinfer._core._measure_peak), measured in the same run, so the ratio is robust to the
machine's clock and load. Reported in extra_info["fraction_of_peak"].
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import THREADS
from fastinfer import _core, kernels

pytestmark = pytest.mark.skipif(
    "avx512_vnni" not in _core.supported_isas(), reason="the VNNI peak needs AVX-512 VNNI"
)


def test_gemm_u8s8_512x4096x4096(benchmark):
    m, k, n = 512, 4096, 4096
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
    packed = kernels.pack_int8_quantized(rng.integers(-128, 128, size=(k, n), dtype=np.int8))
    peak = _core._measure_peak("int8_vnni", 20_000_000) * THREADS
    benchmark.group = f"u8s8 core 512x4096x4096 t{THREADS}"
    benchmark.pedantic(kernels.gemm_u8s8, args=(a, packed), rounds=7, warmup_rounds=1)
    ops_per_s = 2 * m * k * n / benchmark.stats.stats.min
    benchmark.extra_info["peak_gops"] = peak / 1e9
    benchmark.extra_info["gops"] = ops_per_s / 1e9
    benchmark.extra_info["fraction_of_peak"] = ops_per_s / peak
