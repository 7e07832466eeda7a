// Activation widening shared by the widened (exact, non-VNNI) tiles of the avx2 and avx512
// files: rows of u8 activations zero-extended to int16, one 8-byte word per group of
// kGroupK, which the tiles broadcast (vpbroadcastq) against sign-extended weights. Include
// only from files compiled with AVX2 flags or higher. static: internal linkage per file.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {

// Groups widened per chunk: 6 rows * 64 groups * 8 bytes = 3 KB of int16 activations, and 64
// groups * 256 bytes = 16 KB of the panel: both stay in a 32 KB L1 (Zen 2/3, Skylake) across
// the column passes, so each panel line comes from L2 once. (256 groups measured the same on
// Zen 5, whose L1 is 48 KB.)
constexpr int64_t kWidenChunkGroups = 64;

// Rows [0, MR) of groups [g0, g0 + n) zero-extended to int16: xa[r * kWidenChunkGroups + g]
// holds the group's 4 activations as 4 int16; groups past k (a partial last group) are zero
// padded like the packed weights.
template <int MR>
static inline void widen_rows(const uint8_t* a, int64_t lda, int64_t k, int64_t g0, int64_t n,
                              int64_t* xa) {
  const int64_t full_groups = k / kGroupK;
  for (int r = 0; r < MR; ++r) {
    const uint8_t* row = a + r * lda;
    int64_t* x = xa + r * kWidenChunkGroups;
    int64_t g = 0;
    for (; g + 4 <= n && g0 + g + 4 <= full_groups; g += 4) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (g0 + g) * kGroupK));
      _mm256_store_si256(reinterpret_cast<__m256i*>(x + g), _mm256_cvtepu8_epi16(v));
    }
    for (; g < n; ++g) {
      const int64_t gg = g0 + g;
      const int32_t v = gg < full_groups ? load_group(row, gg) : load_partial_group(row, k);
      x[g] = _mm_cvtsi128_si64(_mm_cvtepu8_epi16(_mm_cvtsi32_si128(v)));
    }
  }
}

}  // namespace fastinfer::int8
