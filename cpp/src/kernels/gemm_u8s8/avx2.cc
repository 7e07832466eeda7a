// AVX2 path, exact without VNNI. vpmaddubsw multiplies u8 by s8 and adds pairs into a
// saturating int16, and 2 * 255 * -128 = -65280 does not fit, so the tiles reshape the
// operands to keep every pair within int16:
//
// - shifted (default): x = a - 128 (a XOR 0x80) is s8, and vpmaddubsw(|x|, sign(w, x))
//   multiplies |x| <= 128 by +-w: a pair is at most 2 * 128 * 127 = 32512 while |w| <= 127.
//   The shift returns exactly through the column sums in the epilogue (a_offset = 128).
//   Per 32 products: vpsignb, vpmaddubsw, vpmaddwd (widen to int32), vpaddd.
// - split (weights containing -128, where sign(-128, x) wraps): a = lo + 128 * hi with
//   lo = a & 0x7F, hi = a >> 7; pairs of lo * w and of hi * w both fit int16. Twice the
//   multiplies of the shifted tile.
//
// Chosen by measurement: a standalone loop over one tile on a hot panel (K = 4096, 1
// thread, AMD EPYC Zen 5 running AVX2 code, int8_maddubs peak 237 Gop/s, shared machine,
// best of 5): split 4x16 116 Gop/s (49% of peak). Shifted, x and |x| computed per row in
// the inner loop: 4x16 169, 6x16 168, 2x32 183, 3x32 182 (the XOR and vpabsb per row and
// step cost more than the rows save). Shifted, x and |x| computed once per tile into a
// small buffer so the inner loop is broadcast loads plus the four ops per 32 products:
// 1x16 198, 2x16 206, 4x16 214, 5x16 212, 6x16 with weights reloaded from L1 210 (~90%).
// More rows only cut weight traffic (32 / MR bytes per 32 products), and 4 rows keep the
// weights in registers: 8 accumulators, 2 weights, x, |x|, the product and the ones for
// vpmaddwd use 14 of the 16 ymm registers; 4 also divides the usual batch sizes. In the
// full GEMM (bench/README.md) the tile runs at ~80% of peak for M >= 32.
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemm_u8s8/epilogue_avx2.h"
#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 4;  // x 16 columns: 8 accumulators
// Groups of kGroupK activations shifted per chunk: kMr * 256 * 8 bytes = 8 KB of x and
// |x| on the stack, which stay in L1 while the four 16-column passes read them.
constexpr int64_t kChunkGroups = 256;

// The last, partial group of a row shifted to s8, with x = 0 (not -128) in the padding:
// sign(w, 0) = 0 there, whatever the padded weights hold.
int32_t shifted_partial_group(const uint8_t* row, int64_t k) {
  const int64_t start = k / kGroupK * kGroupK;
  uint32_t v = 0;
  for (int64_t i = start; i < k; ++i)
    v |= static_cast<uint32_t>(row[i] ^ 0x80) << (8 * (i - start));
  return static_cast<int32_t>(v);
}

// x = a XOR 0x80 and |x| for rows [0, MR) and groups [g0, g0 + n): xs[r * kChunkGroups + g].
template <int MR>
void shift_rows(const uint8_t* a, int64_t lda, int64_t k, int64_t g0, int64_t n, int32_t* xs,
                int32_t* abs_xs) {
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const int64_t full_groups = k / kGroupK;
  for (int r = 0; r < MR; ++r) {
    const uint8_t* row = a + r * lda;
    int32_t* x = xs + r * kChunkGroups;
    int32_t* ax = abs_xs + r * kChunkGroups;
    int64_t g = 0;
    for (; g + 8 <= n && g0 + g + 8 <= full_groups; g += 8) {
      const __m256i v = _mm256_xor_si256(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + (g0 + g) * kGroupK)), flip);
      _mm256_store_si256(reinterpret_cast<__m256i*>(x + g), v);
      _mm256_store_si256(reinterpret_cast<__m256i*>(ax + g), _mm256_abs_epi8(v));
    }
    for (; g < n; ++g) {
      const int64_t gg = g0 + g;
      const int32_t v = gg < full_groups ? load_group(row, gg) ^ static_cast<int32_t>(0x80808080)
                                         : shifted_partial_group(row, k);
      x[g] = v;
      ax[g] = _mm_cvtsi128_si32(_mm_abs_epi8(_mm_cvtsi32_si128(v)));
    }
  }
}

// One row of the shifted tile for one group of kGroupK activations: c0, c1 (8 columns
// each) += |x| * sign(w, x), pairs widened by vpmaddwd. Inline asm with named
// accumulators: written with intrinsics over arrays, GCC 12 hoists every row's broadcasts
// to the top of the step, runs out of the 16 registers and keeps a third of the
// accumulators on the stack (seen in the disassembly). Clobbers ymm13-15 as scratch.
#define FI_SHIFTED_ROW(C0, C1, X, ABS_X)                                            \
  __asm__(                                                                          \
      "vpbroadcastd %[x], %%ymm13\n\t"                                              \
      "vpbroadcastd %[ax], %%ymm14\n\t"                                             \
      "vpsignb %%ymm13, %[b0], %%ymm15\n\t"                                         \
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm15\n\t"                                    \
      "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                                      \
      "vpaddd %%ymm15, %[c0], %[c0]\n\t"                                            \
      "vpsignb %%ymm13, %[b1], %%ymm15\n\t"                                         \
      "vpmaddubsw %%ymm15, %%ymm14, %%ymm15\n\t"                                    \
      "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                                      \
      "vpaddd %%ymm15, %[c1], %[c1]\n\t"                                            \
      : [c0] "+x"(C0), [c1] "+x"(C1)                                                \
      : [x] "m"(X), [ax] "m"(ABS_X), [b0] "x"(b0), [b1] "x"(b1), [ones] "x"(ones16) \
      : "xmm13", "xmm14", "xmm15")
#define FI_ROW(R)                                                                             \
  if constexpr (MR > R) {                                                                     \
    FI_SHIFTED_ROW(c##R##0, c##R##1, xs[R * kChunkGroups + g], abs_xs[R * kChunkGroups + g]); \
  }
#define FI_LOAD(R)                                                                              \
  if constexpr (MR > R) {                                                                       \
    c##R##0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + R * kPanelN + col));     \
    c##R##1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + R * kPanelN + col + 8)); \
  }
#define FI_STORE(R)                                                                       \
  if constexpr (MR > R) {                                                                 \
    _mm256_store_si256(reinterpret_cast<__m256i*>(acc + R * kPanelN + col), c##R##0);     \
    _mm256_store_si256(reinterpret_cast<__m256i*>(acc + R * kPanelN + col + 8), c##R##1); \
  }

template <int MR>
void tile_shifted(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  alignas(32) int32_t xs[kMr * kChunkGroups];
  alignas(32) int32_t abs_xs[kMr * kChunkGroups];
  const __m256i ones16 = _mm256_set1_epi16(1);
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  for (int64_t g0 = 0; g0 < groups; g0 += kChunkGroups) {
    const int64_t n = std::min(kChunkGroups, groups - g0);
    shift_rows<MR>(a, lda, k, g0, n, xs, abs_xs);
    for (int col = 0; col < kPanelN; col += 16) {
      const __m256i z = _mm256_setzero_si256();
      __m256i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
      if (g0 > 0) {
        FI_LOAD(0)
        FI_LOAD(1)
        FI_LOAD(2)
        FI_LOAD(3)
      }
      const int8_t* b = panel + (g0 * kPanelN + col) * kGroupK;
      for (int64_t g = 0; g < n; ++g, b += kPanelN * kGroupK) {
        const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
        const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
        FI_ROW(0)
        FI_ROW(1)
        FI_ROW(2)
        FI_ROW(3)
      }
      FI_STORE(0)
      FI_STORE(1)
      FI_STORE(2)
      FI_STORE(3)
    }
  }
}

#undef FI_SHIFTED_ROW
#undef FI_ROW
#undef FI_LOAD
#undef FI_STORE

constexpr int kSplitMr = 4;
constexpr int kSplitColsPerStep = 16;  // two ymm of 8 int32 columns: fits 16 registers

template <int MR>
void tile_split(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  const __m256i low7 = _mm256_set1_epi8(0x7F), one_byte = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1), c128 = _mm256_set1_epi16(128);
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  const int64_t full_groups = k / kGroupK;
  for (int q = 0; q < kPanelN / kSplitColsPerStep; ++q) {
    __m256i c[MR][2];
    for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm256_setzero_si256();
    const int8_t* b = panel + q * kSplitColsPerStep * kGroupK;
    for (int64_t g = 0; g < groups; ++g, b += kPanelN * kGroupK) {
      const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b));
      const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(b + 32));
      for (int r = 0; r < MR; ++r) {
        const int32_t word =
            g < full_groups ? load_group(a + r * lda, g) : load_partial_group(a + r * lda, k);
        const __m256i av = _mm256_set1_epi32(word);
        const __m256i lo = _mm256_and_si256(av, low7);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(av, 7), one_byte);
        const __m256i p0 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(lo, b0), ones16),
                                            _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b0), c128));
        const __m256i p1 = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(lo, b1), ones16),
                                            _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b1), c128));
        c[r][0] = _mm256_add_epi32(c[r][0], p0);
        c[r][1] = _mm256_add_epi32(c[r][1], p1);
      }
    }
    for (int r = 0; r < MR; ++r) {
      int32_t* dst = acc + r * kPanelN + q * kSplitColsPerStep;
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst), c[r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 8), c[r][1]);
    }
  }
}

void tile_avx2_shifted(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                       int32_t* acc) {
  switch (mr) {
    case 1:
      return tile_shifted<1>(a, lda, panel, k, acc);
    case 2:
      return tile_shifted<2>(a, lda, panel, k, acc);
    case 3:
      return tile_shifted<3>(a, lda, panel, k, acc);
    default:
      return tile_shifted<4>(a, lda, panel, k, acc);
  }
}

void tile_avx2_split(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
                     int32_t* acc) {
  switch (mr) {
    case 1:
      return tile_split<1>(a, lda, panel, k, acc);
    case 2:
      return tile_split<2>(a, lda, panel, k, acc);
    case 3:
      return tile_split<3>(a, lda, panel, k, acc);
    default:
      return tile_split<4>(a, lda, panel, k, acc);
  }
}

}  // namespace

const KernelSet kAvx2SplitKernels = {
    "qu8s8-gemm-4x16c4-avx2-split", kSplitMr, tile_avx2_split, 0, epilogue_avx2, nullptr};
const KernelSet kAvx2Kernels = {
    "qu8s8-gemm-4x16c4-avx2", kMr, tile_avx2_shifted, 128, epilogue_avx2, &kAvx2SplitKernels};

}  // namespace fastinfer::int8
