// Peak int8 throughput: 16 independent vpdpbusd zmm chains on fixed registers, no memory
// traffic. Written as one asm block so the compiler cannot spill or merge the chains (an
// array of __m512i accumulators was kept on the stack by GCC and halved the result).
#include <chrono>

#include "kernels/peak/peak.h"

namespace fastinfer::peak {

double int8_vnni_ops_per_second(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  int64_t n = iterations;
  __asm__ volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"  // all ones: u8 255 / s8 -1
      "vmovdqa64 %%zmm0, %%zmm1\n\tvmovdqa64 %%zmm0, %%zmm2\n\tvmovdqa64 %%zmm0, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\tvmovdqa64 %%zmm0, %%zmm5\n\tvmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm0, %%zmm7\n\tvmovdqa64 %%zmm0, %%zmm8\n\tvmovdqa64 %%zmm0, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\tvmovdqa64 %%zmm0, %%zmm11\n\tvmovdqa64 %%zmm0, %%zmm12\n\t"
      "vmovdqa64 %%zmm0, %%zmm13\n\tvmovdqa64 %%zmm0, %%zmm14\n\tvmovdqa64 %%zmm0, %%zmm15\n\t"
      "1:\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm0\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm1\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm2\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm3\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm4\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm5\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm6\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm7\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm8\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm9\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm10\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm11\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm12\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm13\n\t"
      "vpdpbusd %%zmm16, %%zmm16, %%zmm14\n\tvpdpbusd %%zmm16, %%zmm16, %%zmm15\n\t"
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      "vzeroupper\n\t"
      : [n] "+r"(n)
      :
      : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16", "cc");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(iterations) * 16 * 64 * 2 / seconds;
}

}  // namespace fastinfer::peak
