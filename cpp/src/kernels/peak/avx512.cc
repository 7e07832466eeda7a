// Peak fp32 throughput: 16 independent vfmadd231ps zmm chains on fixed registers, no
// memory traffic, in one asm block (see avx512vnni.cc for why not intrinsics).
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

}  // namespace fastinfer::peak
