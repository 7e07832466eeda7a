// AVX2 fp32 kernel: tiles of up to 6 rows x 16 columns (12 ymm accumulators), run over
// each half of a 32-wide packed panel. Edges in N use maskload/maskstore.
#include <immintrin.h>

#include "fastinfer/gemm_f32.h"
#include "kernels/common/vec_math_avx2.h"
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32::detail {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

static inline __m256 epilogue(__m256 v, __m256 bias, Activation act) {
  v = _mm256_add_ps(v, bias);
  switch (act) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return vec256::relu(v);
    case Activation::kGelu:
      return vec256::gelu(v);
  }
  return v;
}

// Lane j is active (all ones) when j < n.
static inline __m256i lane_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// Rows [0, MR) x columns [0, 16) of the block. Few-row tiles keep S independent sets of
// sums over interleaved k so the FMA latency stays hidden.
template <int MR, bool kPacked>
static inline void tile(const PanelArgs& a, const float* x, const float* b, float* y,
                        const float* bias, int64_t ncols) {
  constexpr int S = MR == 1 ? 4 : (MR <= 3 ? 2 : 1);
  __m256 acc[S][MR][2];
#pragma GCC unroll 16
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) acc[s][r][0] = acc[s][r][1] = _mm256_setzero_ps();
  }
  const int64_t ldx = a.ldx;
  int64_t kk = 0;
  for (; kk + S <= a.kc; kk += S) {
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s) {
      const __m256 b0 = _mm256_load_ps(b + (kk + s) * kPanelWidth);
      const __m256 b1 = _mm256_load_ps(b + (kk + s) * kPanelWidth + 8);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m256 xv =
            _mm256_broadcast_ss(x + (kPacked ? (kk + s) * kMr + r : r * ldx + kk + s));
        acc[s][r][0] = _mm256_fmadd_ps(xv, b0, acc[s][r][0]);
        acc[s][r][1] = _mm256_fmadd_ps(xv, b1, acc[s][r][1]);
      }
    }
  }
  for (; kk < a.kc; ++kk) {
    const __m256 b0 = _mm256_load_ps(b + kk * kPanelWidth);
    const __m256 b1 = _mm256_load_ps(b + kk * kPanelWidth + 8);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m256 xv = _mm256_broadcast_ss(x + (kPacked ? kk * kMr + r : r * ldx + kk));
      acc[0][r][0] = _mm256_fmadd_ps(xv, b0, acc[0][r][0]);
      acc[0][r][1] = _mm256_fmadd_ps(xv, b1, acc[0][r][1]);
    }
  }
#pragma GCC unroll 16
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      acc[0][r][0] = _mm256_add_ps(acc[0][r][0], acc[s][r][0]);
      acc[0][r][1] = _mm256_add_ps(acc[0][r][1], acc[s][r][1]);
    }
  }

  const bool full = ncols == kNr;
  const __m256i mask0 = lane_mask(ncols), mask1 = lane_mask(ncols - 8);
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (a.last && bias) {
    bias0 = _mm256_maskload_ps(bias, mask0);
    bias1 = _mm256_maskload_ps(bias + 8, mask1);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* yr = y + r * a.ldy;
    __m256 v0 = acc[0][r][0], v1 = acc[0][r][1];
    if (a.accumulate) {
      v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(yr) : _mm256_maskload_ps(yr, mask0));
      v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(yr + 8) : _mm256_maskload_ps(yr + 8, mask1));
    }
    if (a.last) {
      v0 = epilogue(v0, bias0, a.act);
      v1 = epilogue(v1, bias1, a.act);
    }
    if (full) {
      _mm256_storeu_ps(yr, v0);
      _mm256_storeu_ps(yr + 8, v1);
    } else {
      _mm256_maskstore_ps(yr, mask0, v0);
      _mm256_maskstore_ps(yr + 8, mask1, v1);
    }
  }
}

template <int... R>
struct TileTable {
  using Fn = void (*)(const PanelArgs&, const float*, const float*, float*, const float*, int64_t);
  static constexpr Fn row_major[] = {nullptr, &tile<R, false>...};
  static constexpr Fn packed[] = {nullptr, &tile<R, true>...};
};

}  // namespace

void panel_f32_avx2(const PanelArgs& a) {
  using Table = TileTable<1, 2, 3, 4, 5, 6>;
  static_assert(kMr == 6, "the table lists tiles of 1..kMr rows");
  // Row tiles outermost: the x rows of a tile are read for both halves while in L1.
  // Floats from one row tile of x to the next (packed: one tile; row-major: kMr rows).
  const int64_t x_step = a.x_packed ? a.ldx : kMr * a.ldx;
  const auto* fns = a.x_packed ? Table::packed : Table::row_major;
  const float* x = a.x;
  for (int64_t i = 0; i < a.m; i += kMr, x += x_step) {
    const int64_t rows = a.m - i < kMr ? a.m - i : kMr;
    for (int64_t h = 0; h * kNr < a.nc; ++h) {
      const int64_t ncols = a.nc - h * kNr < kNr ? a.nc - h * kNr : kNr;
      const float* bias = a.bias ? a.bias + h * kNr : nullptr;
      float* y = a.y + i * a.ldy + h * kNr;
      fns[rows](a, x, a.b + h * kNr, y, bias, ncols);
    }
  }
}

}  // namespace fastinfer::f32::detail
