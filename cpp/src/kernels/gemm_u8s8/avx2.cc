// AVX2 path, exact without VNNI. vpmaddubsw (u8 x s8 pairs into a saturating int16) is not
// exact: 2 * 255 * -128 = -65280 does not fit. This tile widens both operands to int16
// instead: activations zero-extended once per chunk into a small buffer, weights
// sign-extended from the shared s8 panel (vpmovsxbw) once per 6 rows, and vpmaddwd
// multiplies int16 pairs into int32, exact over the full u8 x s8 range (-128 included),
// so the activations need no shift and every path gives the same int32 results.
//
// Chosen by measurement on the CPU the path is for: AMD EPYC Zen 3 (AVX2, 1 thread, one
// tile on a hot panel, best of 30 interleaved runs, int8_maddubs chain peak 193-197 Gop/s):
// - shifted (ggml's method: x = a - 128, vpmaddubsw(|x|, sign(w, x)), exact while |w| <=
//   127; 4x16 tile): 139-141 Gop/s. Per 32 products vpsignb, vpmaddubsw, vpmaddwd, vpaddd,
//   and on Zen 3 vpsignb competes with the multiplies for their two pipes.
// - widened 6x8 (this tile): 142-148 Gop/s. Per 32 products 2 vpmaddwd + 2 vpaddd, plus a
//   broadcast per row and 2 vpmovsxbw per 6 rows; all four vector pipes busy, ~26 ops per
//   192 products.
// - widened with the activations pre-broadcast to 32 bytes (a load instead of a
//   broadcast in the loop): 116-130 (the 4x larger buffer leaves L1).
// - widened 3x16 on weights pre-widened to an int16 panel: 154 at K = 256 (panel in L1) but
//   133 at K = 768 and 112 at K = 4096, where twice the weight bytes come from L2.
// - split (a = lo + 128 * hi, the old fallback for -128): half the speed, twice the multiplies.
// A register-only loop of the widened inner step without vpmovsxbw reads 159 Gop/s: the
// ceiling of any exact method here, against the inexact chain's 193.
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemm_u8s8/epilogue_avx2.h"
#include "kernels/gemm_u8s8/kernel.h"
#include "kernels/gemm_u8s8/widen.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 6;  // x 8 columns: 12 accumulators, 2 weights, 2 scratch
// One row, one group: c0 (columns 0-3) and c1 (columns 4-7) += a * w, each int32 lane the
// sum of a pair of k (lanes hold (column, k 0-1) and (column, k 2-3); summed at the end).
#define FI_WIDE_ROW(C0, C1, A, W0, W1)         \
  __asm__(                                     \
      "vpbroadcastq %[a], %%ymm14\n\t"         \
      "vpmaddwd %%ymm14, %[w0], %%ymm15\n\t"   \
      "vpaddd %%ymm15, %[c0], %[c0]\n\t"       \
      "vpmaddwd %%ymm14, %[w1], %%ymm15\n\t"   \
      "vpaddd %%ymm15, %[c1], %[c1]\n\t"       \
      : [c0] "+x"(C0), [c1] "+x"(C1)           \
      : [a] "m"(A), [w0] "x"(W0), [w1] "x"(W1) \
      : "xmm14", "xmm15")
// One row: 2 accumulators per 8 columns of the pass.
#define FI_WROW(R)                                                        \
  if constexpr (MR > R) {                                                 \
    FI_WIDE_ROW(c##R##0, c##R##1, xa[R * kWidenChunkGroups + g], w0, w1); \
  }
#define FI_WROW_HI(R)                                                     \
  if constexpr (MR > R) {                                                 \
    FI_WIDE_ROW(c##R##2, c##R##3, xa[R * kWidenChunkGroups + g], w2, w3); \
  }
// (column, k-pair) lanes of two accumulators -> 8 column sums in order, added into acc.
#define FI_WSUM(DST, LO, HI)                                                           \
  {                                                                                    \
    const __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(LO, HI), 0xD8);       \
    __m256i* dst = reinterpret_cast<__m256i*>(DST);                                    \
    _mm256_store_si256(dst, g0 > 0 ? _mm256_add_epi32(_mm256_load_si256(dst), s) : s); \
  }
#define FI_WSTORE(R)                                   \
  if constexpr (MR > R) {                              \
    FI_WSUM(acc + R * kPanelN + col, c##R##0, c##R##1) \
  }
#define FI_WSTORE_HI(R)                                    \
  if constexpr (MR > R) {                                  \
    FI_WSUM(acc + R * kPanelN + col + 8, c##R##2, c##R##3) \
  }

// MR rows x (4 * NW) columns per pass over a chunk. NW = 2: the 6 x 8 tile (12
// accumulators). NW = 4, for 1-2 rows, where the tile is bound by reading the panel rather
// than by multiplies: 16-column passes read one whole 64-byte line per group (8-column
// passes read half lines, each line twice). 100 -> 104 Gop/s at 1 x 768 x 3072 on Zen 5
// forced to this path, within noise; kept because a CPU with a smaller L1 pays more.
template <int MR, int NW>
void tile_widened(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  static_assert(NW == 2 || (NW == 4 && MR <= 2), "accumulators + weights + 2 scratch <= 16");
  alignas(32) int64_t xa[kMr * kWidenChunkGroups];
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  for (int64_t g0 = 0; g0 < groups; g0 += kWidenChunkGroups) {
    const int64_t n = std::min(kWidenChunkGroups, groups - g0);
    widen_rows<MR>(a, lda, k, g0, n, xa);
    for (int col = 0; col < kPanelN; col += 4 * NW) {
      const __m256i z = _mm256_setzero_si256();
      __m256i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
      __m256i c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
      __m256i c02 = z, c03 = z, c12 = z, c13 = z;
      const int8_t* b = panel + (g0 * kPanelN + col) * kGroupK;
      for (int64_t g = 0; g < n; ++g, b += kPanelN * kGroupK) {
        const __m128i* bw = reinterpret_cast<const __m128i*>(b);
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_load_si128(bw + 0));
        const __m256i w1 = _mm256_cvtepi8_epi16(_mm_load_si128(bw + 1));
        __m256i w2 = z, w3 = z;
        if constexpr (NW == 4) {
          w2 = _mm256_cvtepi8_epi16(_mm_load_si128(bw + 2));
          w3 = _mm256_cvtepi8_epi16(_mm_load_si128(bw + 3));
        }
        FI_WROW(0)
        FI_WROW(1)
        FI_WROW(2)
        FI_WROW(3)
        FI_WROW(4)
        FI_WROW(5)
        if constexpr (NW == 4) {
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
      if constexpr (NW == 4) {
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

void tile_avx2(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
               int32_t* acc) {
  switch (mr) {
    case 1:
      return tile_widened<1, 4>(a, lda, panel, k, acc);
    case 2:
      return tile_widened<2, 4>(a, lda, panel, k, acc);
    case 3:
      return tile_widened<3, 2>(a, lda, panel, k, acc);
    case 4:
      return tile_widened<4, 2>(a, lda, panel, k, acc);
    case 5:
      return tile_widened<5, 2>(a, lda, panel, k, acc);
    default:
      return tile_widened<6, 2>(a, lda, panel, k, acc);
  }
}

}  // namespace

const KernelSet kAvx2Kernels = {"qu8s8-gemm-6x8c4-avx2", kMr, tile_avx2, epilogue_avx2};

}  // namespace fastinfer::int8
