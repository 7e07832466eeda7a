// Throughput loops that measure this core's arithmetic peak, the yardstick the benchmarks
// report kernel efficiency against. Each returns operations per second on one thread
// (int8: 2 ops per multiply-add; fp32: 2 flops per FMA).
#pragma once

#include <cstdint>

namespace fastinfer::peak {
double int8_vnni_ops_per_second(int64_t iterations);       // vpdpbusd zmm, 64 MACs each
double fp32_fma_flops_per_second(int64_t iterations);      // vfmadd231ps zmm, 16 FMAs each
double fp32_fma_ymm_flops_per_second(int64_t iterations);  // vfmadd231ps ymm, 8 FMAs each
// vpmaddubsw + vpmaddwd + vpaddd ymm, 32 MACs per chain step (saturating: not exact).
double int8_maddubs_ops_per_second(int64_t iterations);
double int8_avx_vnni_ops_per_second(int64_t iterations);  // {vex} vpdpbusd ymm, 32 MACs each
// vpmaddubsw + vpmaddwd + vpaddd zmm, 64 MACs per chain step (saturating: not exact).
double int8_maddubs_zmm_ops_per_second(int64_t iterations);

}  // namespace fastinfer::peak
