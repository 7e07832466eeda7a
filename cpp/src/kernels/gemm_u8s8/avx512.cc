// AVX-512 (BW) path without VNNI (Skylake-SP/X, Cascade Lake without VNNI in use, or any
// CPU forced to this path). Exact over the full u8 x s8 range, bit-identical with VNNI, by
// the AVX2 path's method (see avx2.cc for the measurements that chose it): activations
// zero-extended to int16 once per chunk (widen.h), weights sign-extended from the shared s8
// panel (vpmovsxbw, 8 columns x 4 k per zmm) once per 6 rows, and vpmaddwd multiplies
// int16 pairs into int32 lanes, which cannot overflow.
//
// The tile is 6 rows x 32 columns (24 accumulators, 4 weights, 2 scratch of 32 zmm); per
// group of 4 k it issues 6 broadcasts, 4 widening loads, 24 vpmaddwd and 24 vpaddd for
// 768 products: 2 vector ops per 32 products. The old split tile (a = lo + 128 * hi, two
// vpmaddubsw and two vpmaddwd per 64 products plus the split) needed 3.
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemm_u8s8/epilogue_avx512.h"
#include "kernels/gemm_u8s8/kernel.h"
#include "kernels/gemm_u8s8/widen.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 6;

// One row, one group: c0..c3 (8 columns each) += a * w; each int32 lane holds one column's
// sum over a pair of k (lanes 2j, 2j + 1: column j, k 0-1 and k 2-3; summed at the store).
// Inline asm ties the accumulators to zmm registers (GCC 12 otherwise spills them).
#define FI_WIDE_ROW(C0, C1, C2, C3, A, W0, W1, W2, W3)                     \
  __asm__(                                                                 \
      "vpbroadcastq %[a], %%zmm30\n\t"                                     \
      "vpmaddwd %%zmm30, %[w0], %%zmm31\n\t"                               \
      "vpaddd %%zmm31, %[c0], %[c0]\n\t"                                   \
      "vpmaddwd %%zmm30, %[w1], %%zmm31\n\t"                               \
      "vpaddd %%zmm31, %[c1], %[c1]\n\t"                                   \
      "vpmaddwd %%zmm30, %[w2], %%zmm31\n\t"                               \
      "vpaddd %%zmm31, %[c2], %[c2]\n\t"                                   \
      "vpmaddwd %%zmm30, %[w3], %%zmm31\n\t"                               \
      "vpaddd %%zmm31, %[c3], %[c3]\n\t"                                   \
      : [c0] "+v"(C0), [c1] "+v"(C1), [c2] "+v"(C2), [c3] "+v"(C3)         \
      : [a] "m"(A), [w0] "v"(W0), [w1] "v"(W1), [w2] "v"(W2), [w3] "v"(W3) \
      : "xmm30", "xmm31")
// One row: 4 accumulators per 32 columns of the pass.
#define FI_WROW(R)                                                                             \
  if constexpr (MR > R) {                                                                      \
    FI_WIDE_ROW(c##R##0, c##R##1, c##R##2, c##R##3, xa[R * kWidenChunkGroups + g], w0, w1, w2, \
                w3);                                                                           \
  }
#define FI_WROW_HI(R)                                                                          \
  if constexpr (MR > R) {                                                                      \
    FI_WIDE_ROW(c##R##4, c##R##5, c##R##6, c##R##7, xa[R * kWidenChunkGroups + g], w4, w5, w6, \
                w7);                                                                           \
  }
// (column, k-pair) lanes of two accumulators -> 16 column sums in order, added into acc.
#define FI_WSUM(DST, LO, HI)                                                           \
  {                                                                                    \
    const __m512i s = _mm512_add_epi32(_mm512_permutex2var_epi32(LO, even, HI),        \
                                       _mm512_permutex2var_epi32(LO, odd, HI));        \
    _mm512_store_si512(DST, g0 > 0 ? _mm512_add_epi32(_mm512_load_si512(DST), s) : s); \
  }
#define FI_WSTORE(R)                                        \
  if constexpr (MR > R) {                                   \
    FI_WSUM(acc + R * kPanelN + col, c##R##0, c##R##1)      \
    FI_WSUM(acc + R * kPanelN + col + 16, c##R##2, c##R##3) \
  }
#define FI_WSTORE_HI(R)                                     \
  if constexpr (MR > R) {                                   \
    FI_WSUM(acc + R * kPanelN + col + 32, c##R##4, c##R##5) \
    FI_WSUM(acc + R * kPanelN + col + 48, c##R##6, c##R##7) \
  }

// MR rows x (8 * NW) columns per pass over a chunk. NW = 4: the 6 x 32 tile (24
// accumulators). NW = 8, for 1-2 rows, where the tile is bound by reading the panel rather
// than by multiplies: one pass over all 64 columns reads each group's 256 bytes
// contiguously (two 32-column passes gave 164 against 193 Gop/s at 1 x 768 x 3072, Zen 5).
template <int MR, int NW>
void tile_widened(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  static_assert(NW == 4 || (NW == 8 && MR <= 2), "accumulators + weights + 2 scratch <= 32");
  alignas(64) int64_t xa[kMr * kWidenChunkGroups];
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  for (int64_t g0 = 0; g0 < groups; g0 += kWidenChunkGroups) {
    const int64_t n = std::min(kWidenChunkGroups, groups - g0);
    widen_rows<MR>(a, lda, k, g0, n, xa);
    for (int col = 0; col < kPanelN; col += 8 * NW) {
      const __m512i z = _mm512_setzero_si512();
      __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
      __m512i c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
      __m512i c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
      __m512i c04 = z, c05 = z, c06 = z, c07 = z, c14 = z, c15 = z, c16 = z, c17 = z;
      const int8_t* b = panel + (g0 * kPanelN + col) * kGroupK;
      for (int64_t g = 0; g < n; ++g, b += kPanelN * kGroupK) {
        const __m256i* bw = reinterpret_cast<const __m256i*>(b);
        const __m512i w0 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 0));
        const __m512i w1 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 1));
        const __m512i w2 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 2));
        const __m512i w3 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 3));
        __m512i w4 = z, w5 = z, w6 = z, w7 = z;
        if constexpr (NW == 8) {
          w4 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 4));
          w5 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 5));
          w6 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 6));
          w7 = _mm512_cvtepi8_epi16(_mm256_load_si256(bw + 7));
        }
        FI_WROW(0)
        FI_WROW(1)
        FI_WROW(2)
        FI_WROW(3)
        FI_WROW(4)
        FI_WROW(5)
        if constexpr (NW == 8) {
          FI_WROW_HI(0)
          FI_WROW_HI(1)
        }
      }
      FI_WSTORE(0)
      FI_WSTORE(1)
      FI_WSTORE(2)
      FI_WSTORE(3)
      FI_WSTORE(4)
      FI_WSTORE(5)
      if constexpr (NW == 8) {
        FI_WSTORE_HI(0)
        FI_WSTORE_HI(1)
      }
    }
  }
}

#undef FI_WIDE_ROW
#undef FI_WROW
#undef FI_WSUM
#undef FI_WSTORE
#undef FI_WROW_HI
#undef FI_WSTORE_HI

void tile_avx512(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                 int32_t* acc) {
  switch (mr) {
    case 1:
      return tile_widened<1, 8>(a, lda, panel, k, acc);
    case 2:
      return tile_widened<2, 8>(a, lda, panel, k, acc);
    case 3:
      return tile_widened<3, 4>(a, lda, panel, k, acc);
    case 4:
      return tile_widened<4, 4>(a, lda, panel, k, acc);
    case 5:
      return tile_widened<5, 4>(a, lda, panel, k, acc);
    default:
      return tile_widened<6, 4>(a, lda, panel, k, acc);
  }
}

}  // namespace

const KernelSet kAvx512Kernels = {"qu8s8-gemm-6x32c4-avx512bw", kMr, tile_avx512, epilogue_avx512};

}  // namespace fastinfer::int8
