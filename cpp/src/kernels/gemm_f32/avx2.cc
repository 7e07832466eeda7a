// AVX2 fp32 kernel for 16 ymm registers. Full row tiles are 6 rows x 16 columns (12
// accumulators, two B loads and six x broadcasts per k), run over each half of the 32-wide
// packed panel while the 6-row x tile is in L1. Tiles of 1..3 rows (batch-1 and the
// remainder of M) span the whole panel, MR x 32, so they read B once, front to back, in
// whole 128-byte rows. Edges in N use maskload/maskstore.
#include <immintrin.h>

#include "fastinfer/gemm_f32.h"
#include "kernels/common/vec_math_avx2.h"
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32::detail {
namespace {

constexpr int kMr = 6;

static inline __m256 epilogue(__m256 v, __m256 bias, Activation act) {
  v = _mm256_add_ps(v, bias);
  switch (act) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return vec256::relu(v);
    case Activation::kGelu:
      return vec256::gelu(v);
    case Activation::kGeluTanh:
      return vec256::gelu_tanh(v);
  }
  return v;
}

// Lane j is active (all ones) when j < n.
static inline __m256i lane_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// Independent sets of sums over interleaved k, so that at least 8 FMA chains (latency 4 x
// 2 per cycle on Zen 2/3) are in flight whatever the tile's size.
constexpr int chains(int mr, int nb) { return mr * nb >= 8 ? 1 : (mr * nb >= 4 ? 2 : 4); }

// Rows [0, MR) x columns [0, 8 * NB) of the block, B read at b (row stride kPanelWidth).
// x is the tile's first row; x packed: element (r, k) at x[k * kMr + r]. Rows
// [0, pf_rows) of the panel slice at pf (both cache lines of each) are prefetched along
// the way, one per k.
template <int MR, int NB, bool kPacked>
static inline void tile(const PanelArgs& a, const float* x, const float* b, float* y,
                        const float* bias, int64_t ncols, const float* pf, int64_t pf_rows) {
  constexpr int S = chains(MR, NB);
  // A later K block adds to y, which a block of many rows has pushed out to L2 since the last
  // pass: fetch the tile's rows now, or the twelve loads after the k loop stall it (2-4% of
  // a 128-deep block).
  if (a.accumulate) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const char* yr = reinterpret_cast<const char*>(y + r * a.ldy);
      _mm_prefetch(yr, _MM_HINT_T0);
      _mm_prefetch(yr + (8 * NB - 1) * sizeof(float), _MM_HINT_T0);
    }
  }
  __m256 acc[S][MR][NB];
#pragma GCC unroll 16
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[s][r][j] = _mm256_setzero_ps();
    }
  }
  const int64_t ldx = a.ldx, kc = a.kc;
  auto step = [&](int s, int64_t kk) {
    const float* bk = b + kk * kPanelWidth;
    if (kk < pf_rows) {
      _mm_prefetch(reinterpret_cast<const char*>(pf + kk * kPanelWidth), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(pf + kk * kPanelWidth + 16), _MM_HINT_T0);
    }
    if constexpr (NB == 2) {
      const __m256 b0 = _mm256_load_ps(bk), b1 = _mm256_load_ps(bk + 8);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const __m256 xv = _mm256_broadcast_ss(x + (kPacked ? kk * kMr + r : r * ldx + kk));
        acc[s][r][0] = _mm256_fmadd_ps(xv, b0, acc[s][r][0]);
        acc[s][r][1] = _mm256_fmadd_ps(xv, b1, acc[s][r][1]);
      }
    } else {
      // MR x 4 accumulators, MR broadcasts and one B vector at a time: 12 + 3 + 1 = 16
      // registers for three rows.
      __m256 xv[MR];
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
        xv[r] = _mm256_broadcast_ss(x + (kPacked ? kk * kMr + r : r * ldx + kk));
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) {
        const __m256 bj = _mm256_load_ps(bk + 8 * j);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) acc[s][r][j] = _mm256_fmadd_ps(xv[r], bj, acc[s][r][j]);
      }
    }
  };
  int64_t kk = 0;
  // Unrolled 4 k deep: 2-3% at 512x4096x4096 over the rolled loop (fewer pointer bumps and
  // branches between the FMAs).
#pragma GCC unroll 4
  for (; kk + S <= kc; kk += S) {
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s) step(s, kk + s);
  }
  for (; kk < kc; ++kk) step(0, kk);
#pragma GCC unroll 16
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int j = 0; j < NB; ++j) acc[0][r][j] = _mm256_add_ps(acc[0][r][j], acc[s][r][j]);
    }
  }

  const bool full = ncols == 8 * NB;
  __m256i mask[NB];
  __m256 bv[NB];
#pragma GCC unroll 4
  for (int j = 0; j < NB; ++j) {
    mask[j] = lane_mask(ncols - 8 * j);
    bv[j] = a.last && bias ? _mm256_maskload_ps(bias + 8 * j, mask[j]) : _mm256_setzero_ps();
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    float* yr = y + r * a.ldy;
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      __m256 v = acc[0][r][j];
      if (a.accumulate) {
        v = _mm256_add_ps(
            v, full ? _mm256_loadu_ps(yr + 8 * j) : _mm256_maskload_ps(yr + 8 * j, mask[j]));
      }
      if (a.last) v = epilogue(v, bv[j], a.act);
      if (full) {
        _mm256_storeu_ps(yr + 8 * j, v);
      } else {
        _mm256_maskstore_ps(yr + 8 * j, mask[j], v);
      }
    }
  }
}

using TileFn = void (*)(const PanelArgs&, const float*, const float*, float*, const float*, int64_t,
                        const float*, int64_t);

// Tiles of 1..kMr rows: halves (NB = 2) and whole panels (NB = 4, up to 3 rows).
template <bool kPacked>
struct Tiles {
  static constexpr TileFn half[] = {nullptr,
                                    &tile<1, 2, kPacked>,
                                    &tile<2, 2, kPacked>,
                                    &tile<3, 2, kPacked>,
                                    &tile<4, 2, kPacked>,
                                    &tile<5, 2, kPacked>,
                                    &tile<6, 2, kPacked>};
  static constexpr TileFn whole[] = {nullptr, &tile<1, 4, kPacked>, &tile<2, 4, kPacked>,
                                     &tile<3, 4, kPacked>};
};

template <bool kPacked>
static void run(const PanelArgs& a) {
  static_assert(kMr == 6, "Tiles lists tiles of 1..kMr rows");
  // Floats from one row tile of x to the next (packed: one tile; row-major: kMr rows).
  const int64_t x_step = kPacked ? a.ldx : kMr * a.ldx;
  // The last kPrefetchTiles full row tiles prefetch an equal share each of the next B
  // slice's rows, a half tile half of the share, so that the slice does not start cold
  // (the hardware prefetchers restart at each new slice). Not spread over all tiles: the
  // next slice would then share L1 with the current one for most of the call.
  constexpr int64_t kPrefetchTiles = 2;
  const int64_t full_tiles = a.m / kMr;
  const int64_t pf_tiles = full_tiles < kPrefetchTiles ? full_tiles : kPrefetchTiles;
  const int64_t pf_start = full_tiles - pf_tiles;
  const int64_t next_kc = a.next_b ? a.next_kc : 0;
  const int64_t share = pf_tiles > 0 ? (next_kc + 2 * pf_tiles - 1) / (2 * pf_tiles) : 0;
  const float* x = a.x;
  for (int64_t i = 0, t = 0; i < a.m; i += kMr, ++t, x += x_step) {
    const int64_t rows = a.m - i < kMr ? a.m - i : kMr;
    float* y = a.y + i * a.ldy;
    // A whole-panel tile when the panel has more than one half's columns: a few rows
    // gain more from reading each B row once than they lose to the 4-wide epilogue.
    if (rows <= 3 && a.nc > 16) {
      Tiles<kPacked>::whole[rows](a, x, a.b, y, a.bias, a.nc, nullptr, 0);
      continue;
    }
    // Row tile outermost: its x rows stay in L1 for both halves.
    for (int64_t h = 0; h * 16 < a.nc; ++h) {
      const int64_t ncols = a.nc - h * 16 < 16 ? a.nc - h * 16 : 16;
      const float* bias = a.bias ? a.bias + h * 16 : nullptr;
      const int64_t first =
          t < pf_start || t >= full_tiles ? next_kc : (2 * (t - pf_start) + h) * share;
      const int64_t pf_rows =
          first < next_kc ? (next_kc - first < share ? next_kc - first : share) : 0;
      const float* pf = pf_rows > 0 ? a.next_b + first * kPanelWidth : nullptr;
      Tiles<kPacked>::half[rows](a, x, a.b + h * 16, y + h * 16, bias, ncols, pf, pf_rows);
    }
  }
}

}  // namespace

void panel_f32_avx2(const PanelArgs& a) { a.x_packed ? run<true>(a) : run<false>(a); }

}  // namespace fastinfer::f32::detail
