// AVX-VNNI peak: 12 independent VEX vpdpbusd ymm chains (32 MACs each) on fixed registers,
// in an asm block (see avx512vnni.cc for why not intrinsics).
#include <chrono>

#include "kernels/peak/peak.h"

namespace fastinfer::peak {

double int8_avx_vnni_ops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vpxor %%ymm12, %%ymm12, %%ymm12\n\t"
      "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
      "vpxor %%ymm1, %%ymm1, %%ymm1\n\t"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n\t"
      "vpxor %%ymm3, %%ymm3, %%ymm3\n\t"
      "vpxor %%ymm4, %%ymm4, %%ymm4\n\t"
      "vpxor %%ymm5, %%ymm5, %%ymm5\n\t"
      "vpxor %%ymm6, %%ymm6, %%ymm6\n\t"
      "vpxor %%ymm7, %%ymm7, %%ymm7\n\t"
      "vpxor %%ymm8, %%ymm8, %%ymm8\n\t"
      "vpxor %%ymm9, %%ymm9, %%ymm9\n\t"
      "vpxor %%ymm10, %%ymm10, %%ymm10\n\t"
      "vpxor %%ymm11, %%ymm11, %%ymm11\n\t"
      "1:\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm0\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm1\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm2\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm3\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm4\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm5\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm6\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm7\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm8\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm9\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm10\n\t"
      "%{vex%} vpdpbusd %%ymm12, %%ymm12, %%ymm11\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "cc");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(iterations) * 12 * 32 * 2 / seconds;
}

}  // namespace fastinfer::peak
