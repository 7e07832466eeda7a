// AVX2 peaks, the yardsticks of the AVX2 kernels: register-only throughput loops in asm
// blocks (see avx512vnni.cc for why not intrinsics).
// - fp32: 12 independent vfmadd231ps ymm chains (enough to cover a 4-cycle latency on two
//   FMA pipes), 8 FMAs each.
// - int8: the u8 x s8 chain AVX2 kernels without VNNI are built from, as onnxruntime's MLAS
//   runs it: vpmaddubsw (32 multiplies into 16 saturating int16 pair sums), vpmaddwd by
//   ones (to int32), vpaddd into the accumulator; 6 independent chains of 32 MACs.
#include <chrono>

#include "kernels/peak/peak.h"

namespace fastinfer::peak {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double fp32_fma_ymm_flops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "vmovaps %%ymm15, %%ymm0\n\t"
      "vmovaps %%ymm15, %%ymm1\n\t"
      "vmovaps %%ymm15, %%ymm2\n\t"
      "vmovaps %%ymm15, %%ymm3\n\t"
      "vmovaps %%ymm15, %%ymm4\n\t"
      "vmovaps %%ymm15, %%ymm5\n\t"
      "vmovaps %%ymm15, %%ymm6\n\t"
      "vmovaps %%ymm15, %%ymm7\n\t"
      "vmovaps %%ymm15, %%ymm8\n\t"
      "vmovaps %%ymm15, %%ymm9\n\t"
      "vmovaps %%ymm15, %%ymm10\n\t"
      "vmovaps %%ymm15, %%ymm11\n\t"
      "1:\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm0\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm1\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm2\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm3\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm4\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm5\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm6\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm7\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm8\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm9\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm10\n\t"
      "vfmadd231ps %%ymm15, %%ymm15, %%ymm11\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm15", "cc");
  return static_cast<double>(iterations) * 12 * 8 * 2 / seconds_since(start);
}

double int8_maddubs_ops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vpxor %%ymm12, %%ymm12, %%ymm12\n\t"
      "vpxor %%ymm13, %%ymm13, %%ymm13\n\t"
      "vpcmpeqw %%ymm14, %%ymm14, %%ymm14\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "1:\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm6\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm7\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm8\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm9\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm10\n\t"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm11\n\t"
      "vpmaddwd %%ymm14, %%ymm6, %%ymm6\n\t"
      "vpmaddwd %%ymm14, %%ymm7, %%ymm7\n\t"
      "vpmaddwd %%ymm14, %%ymm8, %%ymm8\n\t"
      "vpmaddwd %%ymm14, %%ymm9, %%ymm9\n\t"
      "vpmaddwd %%ymm14, %%ymm10, %%ymm10\n\t"
      "vpmaddwd %%ymm14, %%ymm11, %%ymm11\n\t"
      "vpaddd %%ymm6, %%ymm0, %%ymm0\n\t"
      "vpaddd %%ymm7, %%ymm1, %%ymm1\n\t"
      "vpaddd %%ymm8, %%ymm2, %%ymm2\n\t"
      "vpaddd %%ymm9, %%ymm3, %%ymm3\n\t"
      "vpaddd %%ymm10, %%ymm4, %%ymm4\n\t"
      "vpaddd %%ymm11, %%ymm5, %%ymm5\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "cc");
  return static_cast<double>(iterations) * 6 * 32 * 2 / seconds_since(start);
}

}  // namespace fastinfer::peak
