// The AVX2 blocked conv: tiles of up to 6 output pixels x 1 output block (16 channels as
// two ymm), 12 accumulators + 2 weight vectors + 1 broadcast of the 16 ymm registers. Per
// input channel of a tap: 2 weight loads and 6 pixel broadcasts per 12 FMAs.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

constexpr int kMaxP = 6;

template <int P>
void tile(const BlockedConvArgs& a, int64_t p0) {
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
  for (int64_t t = a.t_begin; t < a.t_end; ++t) {
    const float* xt = a.xp + a.offs[t];
    const float* px[P];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) px[j] = xt + base[j];
    const float* wt = a.w + t * kC * kC;
    // Not unrolled, so that GCC keeps the 12 accumulators in registers (see avx512.cc).
#pragma GCC unroll 1
    for (int l = 0; l < kC; ++l) {
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
  static constexpr void (*fns[kMaxP + 1])(const BlockedConvArgs&, int64_t) = {
      nullptr, &tile<1>, &tile<2>, &tile<3>, &tile<4>, &tile<5>, &tile<6>};
  for (int64_t p = a.p_begin; p < a.p_end; p += kMaxP) {
    fns[std::min<int64_t>(kMaxP, a.p_end - p)](a, p);
  }
}

}  // namespace

// 16 taps per pass: 16 x 16 x 16 floats = 16 KB of weights.
const ConvBlockedKernels kConvBlockedAvx2 = {"f32-conv-nchw16c-6x16-avx2", 1, 16, &conv};

}  // namespace fastinfer::conv_blocked
