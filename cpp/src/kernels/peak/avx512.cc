// AVX-512 peaks without VNNI, register-only loops in asm blocks (see avx512vnni.cc for why
// not intrinsics):
// - fp32: 16 independent vfmadd231ps zmm chains, no memory traffic.
// - int8: the saturating u8 x s8 chain on zmm (vpmaddubsw, vpmaddwd by ones, vpaddd), 8
//   independent chains of 64 MACs: what a non-VNNI AVX-512 CPU's fastest, inexact int8
//   kernel could reach, the yardstick of the exact widened tile.
#include <chrono>

#include "kernels/peak/peak.h"

namespace fastinfer::peak {

double fp32_fma_flops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"  // x * 0 + acc: values stay finite
      "vmovaps %%zmm0, %%zmm1\n\tvmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\t"
      "vmovaps %%zmm0, %%zmm4\n\tvmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\t"
      "vmovaps %%zmm0, %%zmm7\n\tvmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\t"
      "vmovaps %%zmm0, %%zmm10\n\tvmovaps %%zmm0, %%zmm11\n\tvmovaps %%zmm0, %%zmm12\n\t"
      "vmovaps %%zmm0, %%zmm13\n\tvmovaps %%zmm0, %%zmm14\n\tvmovaps %%zmm0, %%zmm15\n\t"
      "1:\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm0\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm1\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm2\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm3\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm4\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm5\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm6\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm7\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm8\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm9\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm10\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm11\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm12\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm13\n\t"
      "vfmadd231ps %%zmm16, %%zmm16, %%zmm14\n\tvfmadd231ps %%zmm16, %%zmm16, %%zmm15\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "cc");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(iterations) * 16 * 16 * 2 / seconds;
}

double int8_maddubs_zmm_ops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vpxord %%zmm24, %%zmm24, %%zmm24\n\t"
      "vpxord %%zmm25, %%zmm25, %%zmm25\n\t"
      "vpternlogd $0xFF, %%zmm26, %%zmm26, %%zmm26\n\t"  // all ones: int16 -1
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\tvmovdqa64 %%zmm0, %%zmm1\n\t"
      "vmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\tvmovdqa64 %%zmm0, %%zmm4\n\t"
      "vmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\tvmovdqa64 %%zmm0, %%zmm7\n\t"
      "1:\n\t"
      "vpmaddubsw %%zmm25, %%zmm24, %%zmm8\n\tvpmaddubsw %%zmm25, %%zmm24, %%zmm9\n\t"
      "vpmaddubsw %%zmm25, %%zmm24, %%zmm10\n\tvpmaddubsw %%zmm25, %%zmm24, %%zmm11\n\t"
      "vpmaddubsw %%zmm25, %%zmm24, %%zmm12\n\tvpmaddubsw %%zmm25, %%zmm24, %%zmm13\n\t"
      "vpmaddubsw %%zmm25, %%zmm24, %%zmm14\n\tvpmaddubsw %%zmm25, %%zmm24, %%zmm15\n\t"
      "vpmaddwd %%zmm26, %%zmm8, %%zmm8\n\tvpmaddwd %%zmm26, %%zmm9, %%zmm9\n\t"
      "vpmaddwd %%zmm26, %%zmm10, %%zmm10\n\tvpmaddwd %%zmm26, %%zmm11, %%zmm11\n\t"
      "vpmaddwd %%zmm26, %%zmm12, %%zmm12\n\tvpmaddwd %%zmm26, %%zmm13, %%zmm13\n\t"
      "vpmaddwd %%zmm26, %%zmm14, %%zmm14\n\tvpmaddwd %%zmm26, %%zmm15, %%zmm15\n\t"
      "vpaddd %%zmm8, %%zmm0, %%zmm0\n\tvpaddd %%zmm9, %%zmm1, %%zmm1\n\t"
      "vpaddd %%zmm10, %%zmm2, %%zmm2\n\tvpaddd %%zmm11, %%zmm3, %%zmm3\n\t"
      "vpaddd %%zmm12, %%zmm4, %%zmm4\n\tvpaddd %%zmm13, %%zmm5, %%zmm5\n\t"
      "vpaddd %%zmm14, %%zmm6, %%zmm6\n\tvpaddd %%zmm15, %%zmm7, %%zmm7\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm24", "xmm25", "xmm26", "cc");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(iterations) * 8 * 64 * 2 / seconds;
}

}  // namespace fastinfer::peak
