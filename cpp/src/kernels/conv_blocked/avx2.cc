// The AVX2 blocked conv: tiles of up to 6 output pixels x 1 output block (16 channels as
// two ymm), 12 accumulators + 2 weight vectors + 1 broadcast of the 16 ymm registers. Per
// input channel of a tap: 2 weight loads and 6 pixel broadcasts per 12 FMAs.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/common/transpose_avx2.h"
#include "kernels/conv_blocked/dw_rows.h"
#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

constexpr int kMaxP = 6;

// pf: weight lines this tile prefetches into L2, one per channel step (see avx512.cc).
template <int P>
void tile(const BlockedConvArgs& a, int64_t p0, const float* pf) {
  int64_t base[P];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
    const int64_t p = p0 + j, oy = p / a.out_w, ox = p - oy * a.out_w;
    base[j] = (oy * a.sh * a.wp + ox * a.sw) * kC;
  }
  float* y = a.y + p0 * kC;
  __m256 acc[P][2];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
    for (int h = 0; h < 2; ++h) {
      acc[j][h] = a.first ? _mm256_setzero_ps() : _mm256_loadu_ps(y + j * kC + 8 * h);
    }
  }
  // The next tile's residual and input lines, prefetched as in avx512.cc (why there).
  if (a.last && a.res) {
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(a.res + (p0 + P + j) * kC), _MM_HINT_T0);
  }
  for (int64_t t = a.t_begin; t < a.t_end; ++t) {
    const float* xt = a.xp + a.offs[t];
    const float* px[P];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) px[j] = xt + base[j];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(px[j] + P * a.sw * kC), _MM_HINT_T0);
    const float* wt = a.w + t * kC * kC;
    const float* pft = pf + (t - a.t_begin) * kC * kC;
    // Not unrolled, so that GCC keeps the 12 accumulators in registers (see avx512.cc).
#pragma GCC unroll 1
    for (int l = 0; l < kC; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(pft + l * kC), _MM_HINT_T1);
      const __m256 w0 = _mm256_loadu_ps(wt + l * kC), w1 = _mm256_loadu_ps(wt + l * kC + 8);
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j) {
        const __m256 x = _mm256_broadcast_ss(px[j] + l);
        acc[j][0] = _mm256_fmadd_ps(x, w0, acc[j][0]);
        acc[j][1] = _mm256_fmadd_ps(x, w1, acc[j][1]);
      }
    }
  }
  if (!a.last) {
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
      for (int h = 0; h < 2; ++h) _mm256_storeu_ps(y + j * kC + 8 * h, acc[j][h]);
    }
    return;
  }
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  const float* res = a.res ? a.res + p0 * kC : nullptr;
  for (int h = 0; h < 2; ++h) {
    const __m256 bias = a.bias ? _mm256_loadu_ps(a.bias + 8 * h) : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
      __m256 v = _mm256_add_ps(acc[j][h], bias);
      if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + j * kC + 8 * h));
      // max(lo, v) returns v when v is NaN (the second operand), so NaN passes through.
      v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
      _mm256_storeu_ps(y + j * kC + 8 * h, v);
    }
  }
}

void conv(const BlockedConvArgs& a) {
  static constexpr void (*fns[kMaxP + 1])(const BlockedConvArgs&, int64_t, const float*) = {
      nullptr, &tile<1>, &tile<2>, &tile<3>, &tile<4>, &tile<5>, &tile<6>};
  // The next pass's weights, fetched as in avx512.cc: one 16-channel row per step, so the
  // first tile of a pass prefetches all of the next pass.
  const float* next = a.w + a.t_end * kC * kC;
  const int64_t per_tile = (a.t_end - a.t_begin) * kC * kC;
  for (int64_t p = a.p_begin, i = 0; p < a.p_end; p += kMaxP, ++i) {
    fns[std::min<int64_t>(kMaxP, a.p_end - p)](a, p, next + i * per_tile);
  }
}

// Depthwise: up to 6 pixels of one block, two ymm each (12 accumulators, 2 weight vectors);
// per tap two weight loads shared by the tile's pixels, one input load per FMA.
constexpr int64_t kDwP = 6;

template <int P>
void dw_tile(const BlockedDwArgs& a, const DwRow& r, int64_t ox, int64_t kx_begin, int64_t kx_end) {
  __m256 acc[P][2];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  const int64_t ix0 = ox * a.sw - a.pad_l, step = a.sw * kC;
  for (int64_t ky = r.ky_begin; ky < r.ky_end; ++ky) {
    const float* w = r.w + ky * a.kw * kC;
    for (int64_t kx = kx_begin; kx < kx_end; ++kx) {
      const float* x = r.x + ((r.iy0 + ky) * a.in_w + ix0 + kx) * kC;
      const __m256 w0 = _mm256_loadu_ps(w + kx * kC), w1 = _mm256_loadu_ps(w + kx * kC + 8);
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j) {
        acc[j][0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + j * step), w0, acc[j][0]);
        acc[j][1] = _mm256_fmadd_ps(_mm256_loadu_ps(x + j * step + 8), w1, acc[j][1]);
      }
    }
  }
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  for (int h = 0; h < 2; ++h) {
    const __m256 bias = r.bias ? _mm256_loadu_ps(r.bias + 8 * h) : _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
      __m256 v = _mm256_add_ps(acc[j][h], bias);
      if (r.res) v = _mm256_add_ps(v, _mm256_loadu_ps(r.res + (ox + j) * kC + 8 * h));
      // max(lo, v) returns v when v is NaN, so NaN passes through.
      _mm256_storeu_ps(r.y + (ox + j) * kC + 8 * h, _mm256_min_ps(hi, _mm256_max_ps(lo, v)));
    }
  }
}

void dw(const BlockedDwArgs& a) {
  using DwFn = void (*)(const BlockedDwArgs&, const DwRow&, int64_t, int64_t, int64_t);
  static constexpr DwFn fns[kDwP + 1] = {nullptr,     &dw_tile<1>, &dw_tile<2>, &dw_tile<3>,
                                         &dw_tile<4>, &dw_tile<5>, &dw_tile<6>};
  dw_rows<kDwP>(a, [](const BlockedDwArgs& a, const DwRow& r, int64_t ox, int64_t n, int64_t k0,
                      int64_t k1) { fns[n](a, r, ox, k0, k1); });
}

// 8 pixels at a time, as two 8 x 8 tiles (channels 0-7 and 8-15).
void to_blocked(const float* src, int64_t plane, float* dst) {
  int64_t p0 = 0;
  for (; p0 + 8 <= plane; p0 += 8) {
    for (int h = 0; h < 2; ++h) {
      __m256 r[8];
      for (int l = 0; l < 8; ++l) r[l] = _mm256_loadu_ps(src + (8 * h + l) * plane + p0);
      vec256::transpose8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (p0 + j) * kC + 8 * h, r[j]);
    }
  }
  reorder_tail(src, plane, p0, dst, true);
}

void from_blocked(const float* src, int64_t plane, float* dst) {
  int64_t p0 = 0;
  for (; p0 + 8 <= plane; p0 += 8) {
    for (int h = 0; h < 2; ++h) {
      __m256 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + (p0 + j) * kC + 8 * h);
      vec256::transpose8(r);
      for (int l = 0; l < 8; ++l) _mm256_storeu_ps(dst + (8 * h + l) * plane + p0, r[l]);
    }
  }
  reorder_tail(src, plane, p0, dst, false);
}

}  // namespace

// 16 taps per pass: 16 x 16 x 16 floats = 16 KB of weights.
const ConvBlockedKernels kConvBlockedAvx2 = {
    "f32-conv-nchw16c-6x16-avx2",  1,   16,          kMaxP,        &conv,
    "f32-dwconv-nchw16c-6px-avx2", &dw, &to_blocked, &from_blocked};

}  // namespace fastinfer::conv_blocked
