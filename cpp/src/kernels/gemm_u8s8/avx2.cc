// AVX2 path. Exact over the full u8 x s8 range without VNNI: vpmaddubsw would saturate
// (255 * -128 * 2 = -65280 does not fit int16), so each activation byte is split as
// a = lo + 128 * hi (lo = a & 0x7F, hi = a >> 7). Pairs of lo * w then fit int16
// (|.| <= 32512), pairs of hi * w too (|.| <= 256), and vpmaddwd widens both to int32,
// scaling the hi sums by 128.
#include <immintrin.h>

#include "kernels/common/vec_math_avx2.h"
#include "kernels/gemm_u8s8/epilogue_ref.h"
#include "kernels/gemm_u8s8/kernel.h"

namespace fastinfer::int8 {
namespace {

constexpr int kMr = 4;
constexpr int kColsPerStep = 16;  // two ymm of 8 int32 columns: fits 16 registers with MR=4

template <int MR>
void tile_split(const uint8_t* a, int64_t lda, const int8_t* panel, int64_t k, int32_t* acc) {
  const __m256i low7 = _mm256_set1_epi8(0x7F), one_byte = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1), c128 = _mm256_set1_epi16(128);
  const int64_t groups = (k + kGroupK - 1) / kGroupK;
  const int64_t full_groups = k / kGroupK;
  for (int q = 0; q < kPanelN / kColsPerStep; ++q) {
    __m256i c[MR][2];
    for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm256_setzero_si256();
    const int8_t* b = panel + q * kColsPerStep * kGroupK;
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
      int32_t* dst = acc + r * kPanelN + q * kColsPerStep;
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst), c[r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(dst + 8), c[r][1]);
    }
  }
}

void tile_avx2(const uint8_t* a, int64_t lda, int mr, const int8_t* panel, int64_t k,
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

__m256 activate(Activation act, __m256 y) {
  switch (act) {
    case Activation::kRelu:
      return vec256::relu(y);
    case Activation::kGelu:
      return vec256::gelu(y);
    case Activation::kNone:
      break;
  }
  return y;
}

void epilogue_avx2(const int32_t* acc, int mr, int ncols, int64_t row0, int64_t col0,
                   const PackedWeights& w, const Epilogue& ep, void* out, int64_t ldc) {
  const int32_t* col_sums = w.col_sums.data() + col0;
  const float* w_scales = w.scales.data() + col0;
  for (int r = 0; r < mr; ++r) {
    const int64_t row = row0 + r;
    const int32_t zp_scalar = row_zero_point(ep, row);
    const float sa_scalar = row_scale(ep, row);
    const __m256i zp = _mm256_set1_epi32(zp_scalar);
    const __m256 sa = _mm256_set1_ps(sa_scalar);
    int c = 0;
    if (ep.output == Output::kFloat32 || ep.output == Output::kInt32) {
      for (; c + 8 <= ncols; c += 8) {
        __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(acc + r * kPanelN + c));
        v = _mm256_sub_epi32(
            v, _mm256_mullo_epi32(
                   zp, _mm256_load_si256(reinterpret_cast<const __m256i*>(col_sums + c))));
        const int64_t at = row * ldc + col0 + c;
        if (ep.output == Output::kInt32) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<int32_t*>(out) + at), v);
          continue;
        }
        const __m256 bias = ep.bias ? _mm256_loadu_ps(ep.bias + col0 + c) : _mm256_setzero_ps();
        __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v),
                                   _mm256_mul_ps(sa, _mm256_load_ps(w_scales + c)), bias);
        _mm256_storeu_ps(static_cast<float*>(out) + at, activate(ep.activation, y));
      }
    }
    // Column tails, and requantized u8 output (rare: static quantization), per element.
    for (; c < ncols; ++c) {
      const int32_t corrected = acc[r * kPanelN + c] - zp_scalar * col_sums[c];
      store_one(ep, w, corrected, sa_scalar, row, col0 + c, out, ldc);
    }
  }
}

}  // namespace

const KernelSet kAvx2Kernels = {"qu8s8-gemm-4x16c4-avx2-split", kMr, tile_avx2, epilogue_avx2};

}  // namespace fastinfer::int8
