// AVX-512 fp32 kernel: tiles of up to 12 rows x 32 columns (one packed panel row is two
// zmm), 24 accumulators, x broadcast one element at a time. Edges in N use masked loads
// and stores; edges in M use the same template with fewer rows.
#include <immintrin.h>

#include "fastinfer/gemm_f32.h"
#include "kernels/common/vec_math_avx512.h"
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32::detail {
namespace {

constexpr int kMr = 12;

static inline __m512 epilogue(__m512 v, __m512 bias, Activation act) {
  v = _mm512_add_ps(v, bias);
  switch (act) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return vec512::relu(v);
    case Activation::kGelu:
      return vec512::gelu(v);
    case Activation::kGeluTanh:
      return vec512::gelu_tanh(v);
  }
  return v;
}

// Rows [0, MR) of the block against the panel. Tiles with few rows cannot hide the FMA
// latency with MR*2 chains, so they keep S independent sets of sums over interleaved k.
// Rows [0, pf_rows) of the panel slice at pf are prefetched along the way.
template <int MR, bool kPacked>
static inline void tile(const PanelArgs& a, const float* x, float* y, __mmask16 mask0,
                        __mmask16 mask1, const float* pf, int64_t pf_rows) {
  constexpr int S = MR == 1 ? 4 : (MR <= 3 ? 2 : 1);
  // A later K block adds to y, out in L2 by now: fetch the tile's rows before the k loop, so
  // the loads after it do not stall (as in the AVX2 kernel).
  if (a.accumulate) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const char* yr = reinterpret_cast<const char*>(y + r * a.ldy);
      _mm_prefetch(yr, _MM_HINT_T0);
      _mm_prefetch(yr + 31 * sizeof(float), _MM_HINT_T0);
    }
  }
  __m512 acc[S][MR][2];
#pragma GCC unroll 16
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) acc[s][r][0] = acc[s][r][1] = _mm512_setzero_ps();
  }
  const float* b = a.b;
  const int64_t ldx = a.ldx;
  int64_t kk = 0;
  for (; kk + S <= a.kc; kk += S) {
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s) {
      if (kk + s < pf_rows) {
        _mm_prefetch(reinterpret_cast<const char*>(pf + (kk + s) * kPanelWidth), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(pf + (kk + s) * kPanelWidth + 16), _MM_HINT_T0);
      }
      const __m512 b0 = _mm512_load_ps(b + (kk + s) * kPanelWidth);
      const __m512 b1 = _mm512_load_ps(b + (kk + s) * kPanelWidth + 16);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m512 xv = _mm512_set1_ps(x[kPacked ? (kk + s) * kMr + r : r * ldx + kk + s]);
        acc[s][r][0] = _mm512_fmadd_ps(xv, b0, acc[s][r][0]);
        acc[s][r][1] = _mm512_fmadd_ps(xv, b1, acc[s][r][1]);
      }
    }
  }
  for (; kk < a.kc; ++kk) {
    const __m512 b0 = _mm512_load_ps(b + kk * kPanelWidth);
    const __m512 b1 = _mm512_load_ps(b + kk * kPanelWidth + 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 xv = _mm512_set1_ps(x[kPacked ? kk * kMr + r : r * ldx + kk]);
      acc[0][r][0] = _mm512_fmadd_ps(xv, b0, acc[0][r][0]);
      acc[0][r][1] = _mm512_fmadd_ps(xv, b1, acc[0][r][1]);
    }
  }
#pragma GCC unroll 16
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      acc[0][r][0] = _mm512_add_ps(acc[0][r][0], acc[s][r][0]);
      acc[0][r][1] = _mm512_add_ps(acc[0][r][1], acc[s][r][1]);
    }
  }

  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (a.last && a.bias) {
    bias0 = _mm512_maskz_loadu_ps(mask0, a.bias);
    bias1 = _mm512_maskz_loadu_ps(mask1, a.bias + 16);
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* yr = y + r * a.ldy;
    __m512 v0 = acc[0][r][0], v1 = acc[0][r][1];
    if (a.accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(mask0, yr));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(mask1, yr + 16));
    }
    if (a.last) {
      v0 = epilogue(v0, bias0, a.act);
      v1 = epilogue(v1, bias1, a.act);
    }
    _mm512_mask_storeu_ps(yr, mask0, v0);
    _mm512_mask_storeu_ps(yr + 16, mask1, v1);
  }
}

template <int... R>
struct TileTable {
  using Fn = void (*)(const PanelArgs&, const float*, float*, __mmask16, __mmask16, const float*,
                      int64_t);
  static constexpr Fn row_major[] = {nullptr, &tile<R, false>...};
  static constexpr Fn packed[] = {nullptr, &tile<R, true>...};
};

}  // namespace

void panel_f32_avx512(const PanelArgs& a) {
  using Table = TileTable<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>;
  static_assert(kMr == 12, "the table lists tiles of 1..kMr rows");
  const int64_t n0 = a.nc < 16 ? a.nc : 16;
  const int64_t n1 = a.nc - n0;
  const __mmask16 mask0 = static_cast<__mmask16>((1u << n0) - 1);
  const __mmask16 mask1 = static_cast<__mmask16>((1u << n1) - 1);
  // Floats from one row tile of x to the next (packed: one tile; row-major: kMr rows).
  const int64_t x_step = a.x_packed ? a.ldx : kMr * a.ldx;
  const auto* fns = a.x_packed ? Table::packed : Table::row_major;
  // The last kPrefetchTiles full tiles prefetch an equal share each of the next B slice's
  // rows. Why not spread over all tiles: the slice (32 KiB) then sits in L1 next to the
  // current one for most of the call and evicts it (L1 is 48 KiB). On Zen 5 the spread
  // over all tiles measured up to ~3% slower at M >= 128 (run-to-run noise is ~2%).
  constexpr int64_t kPrefetchTiles = 2;
  const int64_t full_tiles = a.m / kMr;
  const int64_t pf_tiles = full_tiles < kPrefetchTiles ? full_tiles : kPrefetchTiles;
  const int64_t pf_start = full_tiles - pf_tiles;
  const int64_t next_kc = a.next_b ? a.next_kc : 0;
  const int64_t share = pf_tiles > 0 ? (next_kc + pf_tiles - 1) / pf_tiles : 0;
  int64_t i = 0;
  const float* x = a.x;
  for (int64_t t = 0; t < full_tiles; ++t, i += kMr, x += x_step) {
    const int64_t first = t < pf_start ? next_kc : (t - pf_start) * share;
    const int64_t rows = first < next_kc ? (next_kc - first < share ? next_kc - first : share) : 0;
    const float* pf = rows > 0 ? a.next_b + first * kPanelWidth : nullptr;
    fns[kMr](a, x, a.y + i * a.ldy, mask0, mask1, pf, rows);
  }
  if (i < a.m) fns[a.m - i](a, x, a.y + i * a.ldy, mask0, mask1, nullptr, 0);
}

}  // namespace fastinfer::f32::detail
