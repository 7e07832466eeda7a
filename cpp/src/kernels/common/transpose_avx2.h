// 8 x 8 float transpose in ymm registers, shared by the AVX2 files of the conv_blocked
// (layout reorders) and transpose (Transpose op) families. Include only from files compiled
// with AVX2 flags; static inline: internal linkage per file.
#pragma once

#include <immintrin.h>

namespace fastinfer::vec256 {

// r[l] <- the l-th column of the 8 x 8 tile in r: per 128-bit lane the unpacks and
// shuffles give u[4g + i] = pixels i and 4 + i of channels 4g..4g+3, then the lane
// permutes join each pixel's halves.
static inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 8; g += 4) {
    u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
    u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xee);
    u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
  }
}

}  // namespace fastinfer::vec256
