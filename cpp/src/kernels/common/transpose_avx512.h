// 16 x 16 float transpose in zmm registers, shared by the AVX-512 files of the
// conv_blocked (layout reorders) and transpose (Transpose op) families. Include only from
// files compiled with AVX-512 flags; static inline: internal linkage per file.
#pragma once

#include <immintrin.h>

// GCC 12 reports "'__Y' is used uninitialized" inside the unpack intrinsics once they are
// inlined here: their pass-through operand is _mm512_undefined_ps(), deliberately
// uninitialised, and every lane is overwritten (mask all ones). Silenced for this header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace fastinfer::vec512 {

// r[l] <- the l-th column of the 16 x 16 tile in r (rows in, rows out). Per 128-bit lane k:
// after the ps and pd unpacks, u[4g + i] holds pixel 4k + i of channels 4g..4g+3; the two
// rounds of 128-bit shuffles gather each pixel's four channel quads.
static inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 16; g += 4) {
    const __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
    const __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 4; ++i) {
    const __m512 a0 = _mm512_shuffle_f32x4(u[i], u[4 + i], 0x88);
    const __m512 b0 = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0x88);
    const __m512 a1 = _mm512_shuffle_f32x4(u[i], u[4 + i], 0xdd);
    const __m512 b1 = _mm512_shuffle_f32x4(u[8 + i], u[12 + i], 0xdd);
    r[i] = _mm512_shuffle_f32x4(a0, b0, 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(a0, b0, 0xdd);
    r[4 + i] = _mm512_shuffle_f32x4(a1, b1, 0x88);
    r[12 + i] = _mm512_shuffle_f32x4(a1, b1, 0xdd);
  }
}

}  // namespace fastinfer::vec512

#pragma GCC diagnostic pop
