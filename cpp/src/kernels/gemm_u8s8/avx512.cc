// AVX-512 (BW) path without VNNI. vpmaddubsw adds two u8 x s8 products into a saturating
// int16, and 255 * -128 * 2 = -65280 does not fit. To stay exact over the full u8 x s8
// range each activation byte is split as a = lo + 128 * hi with lo = a & 0x7F and
// hi = a >> 7: |lo * w + lo' * w'| <= 2 * 127 * 128 = 32512 and |hi * w + hi' * w'| <= 256
// both fit int16, and vpmaddwd widens them to int32 (the hi sums scaled by 128 there).
#include <immintrin.h>

#include "kernels/gemm_u8s8/epilogue_avx512.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 4;  // 16 accumulators + 4 weights + split activations + constants

template <int MR>
void tile_split(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  __m512i c[MR][4];
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < 4; ++j) c[r][j] = _mm512_setzero_si512();
  const __m512i low7 = _mm512_set1_epi8(0x7F), one_byte = _mm512_set1_epi8(1);
  const __m512i ones16 = _mm512_set1_epi16(1), c128 = _mm512_set1_epi16(128);
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  const int64_t full_groups = k / kGroupK;
  const int8_t* b = panel;
  for (int64_t g = 0; g < groups; ++g, b += kPanelN * kGroupK) {
    __m512i bv[4];
    for (int j = 0; j < 4; ++j) bv[j] = _mm512_load_si512(b + 64 * j);
    for (int r = 0; r < MR; ++r) {
      const int32_t word =
          g < full_groups ? load_group(a + r * lda, g) : load_partial_group(a + r * lda, k);
      const __m512i av = _mm512_set1_epi32(word);
      const __m512i lo = _mm512_and_si512(av, low7);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(av, 7), one_byte);
      for (int j = 0; j < 4; ++j) {
        const __m512i plo = _mm512_madd_epi16(_mm512_maddubs_epi16(lo, bv[j]), ones16);
        const __m512i phi = _mm512_madd_epi16(_mm512_maddubs_epi16(hi, bv[j]), c128);
        c[r][j] = _mm512_add_epi32(c[r][j], _mm512_add_epi32(plo, phi));
      }
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int j = 0; j < 4; ++j) _mm512_store_si512(acc + r * kPanelN + 16 * j, c[r][j]);
}

void tile_avx512(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
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

const KernelSet kAvx512Kernels = {
    "qu8s8-gemm-4x64c4-avx512bw-split", kMr, tile_avx512, 0, epilogue_avx512, nullptr};

}  // namespace fastinfer::int8
