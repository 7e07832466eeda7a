"""The raw u8 x s8 -> s32 core against this path's measured int8 peak.

The peak is the loop of the instructions the active path's tile is built from
(bench/peaks.py: vpdpbusd zmm for avx512_vnni, VEX vpdpbusd ymm for avx2_vnni, the
vpmaddubsw + vpmaddwd + vpaddd chain for avx2), measured in the same run, so the ratio is
robust to the machine's clock and load. Reported in extra_info["fraction_of_peak"]; force a
path with FASTINFER_ISA.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import THREADS
from fastinfer import _core, kernels
from peaks import PEAK_KINDS, measure

ISA = _core.active_isa()
INT8_PEAK = PEAK_KINDS[ISA][1]

pytestmark = pytest.mark.skipif(INT8_PEAK is None, reason=f"no int8 peak loop for {ISA}")


@pytest.mark.parametrize("m,k,n", [(256, 1024, 1024), (512, 4096, 4096)])
def test_gemm_u8s8_core(benchmark, m, k, n):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
    # [-127, 127]: what symmetric quantization produces (-128 would take AVX2's fallback).
    packed = kernels.pack_int8_quantized(rng.integers(-127, 128, size=(k, n), dtype=np.int8))
    peak = measure(INT8_PEAK, 20_000_000) * THREADS
    benchmark.group = f"u8s8 core {m}x{k}x{n} {ISA} t{THREADS}"
    benchmark.pedantic(kernels.gemm_u8s8, args=(a, packed), rounds=7, warmup_rounds=1)
    gops = 2 * m * k * n / benchmark.stats.stats.min / 1e9
    benchmark.extra_info["isa"] = ISA
    benchmark.extra_info["peak_gops"] = peak
    benchmark.extra_info["gops"] = gops
    benchmark.extra_info["fraction_of_peak"] = gops / peak
