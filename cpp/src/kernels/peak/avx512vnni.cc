// Peak int8 throughput: 16 independent vpdpbusd chains, enough to cover the latency
// (4-5 cycles) at one or two issues per cycle, with no memory traffic.
#include <immintrin.h>

#include <chrono>

#include "kernels/peak/peak.h"

namespace fastinfer::peak {

double int8_vnni_ops_per_second(int64_t iterations) {
  __m512i acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
    // Keeps the compiler from collapsing the loop.
    __asm__ volatile(""
                     : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]),
                       "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]));
    __asm__ volatile(""
                     : "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]), "+v"(acc[12]),
                       "+v"(acc[13]), "+v"(acc[14]), "+v"(acc[15]));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  __m512i sum = acc[0];
  for (int i = 1; i < 16; ++i) sum = _mm512_add_epi32(sum, acc[i]);
  volatile int sink = _mm512_reduce_add_epi32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 16 * 64 * 2 / seconds;
}

}  // namespace fastinfer::peak
