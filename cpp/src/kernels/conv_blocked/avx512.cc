// The AVX-512 blocked conv: tiles of up to 6 output pixels x 4 output blocks (64 channels),
// 24 zmm accumulators. Per input channel of a tap it loads 4 weight vectors and broadcasts
// 6 pixel values (10 loads per 24 FMAs, the weights contiguous, the pixels 64-byte runs),
// where the NCHW direct tile broadcast 12 weights and loaded 2 unaligned pixel vectors from
// one plane per channel.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

constexpr int kMaxP = 6;
constexpr int kMaxNb = 4;

template <int P, int NB>
void tile(const BlockedConvArgs& a, int64_t p0) {
  int64_t base[P];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
    const int64_t p = p0 + j, oy = p / a.out_w, ox = p - oy * a.out_w;
    base[j] = (oy * a.sh * a.wp + ox * a.sw) * kC;
  }
  const int64_t block = a.out_plane * kC;
  float* y = a.y + p0 * kC;
  __m512 acc[P][NB];
#pragma GCC unroll 6
  for (int j = 0; j < P; ++j) {
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
      acc[j][b] = a.first ? _mm512_setzero_ps() : _mm512_loadu_ps(y + b * block + j * kC);
    }
  }
  constexpr int64_t row = NB * kC;
  for (int64_t t = a.t_begin; t < a.t_end; ++t) {
    const float* xt = a.xp + a.offs[t];
    const float* px[P];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) px[j] = xt + base[j];
    const float* wt = a.w + t * kC * row;
    // Not unrolled: unrolling the 16 channels made GCC spill accumulators (28 of the 32
    // registers are live) and shuffle them between registers.
#pragma GCC unroll 1
    for (int l = 0; l < kC; ++l) {
      __m512 wv[NB];
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) wv[b] = _mm512_loadu_ps(wt + l * row + b * kC);
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j) {
        const __m512 x = _mm512_set1_ps(px[j][l]);
#pragma GCC unroll 4
        for (int b = 0; b < NB; ++b) acc[j][b] = _mm512_fmadd_ps(x, wv[b], acc[j][b]);
      }
    }
  }
  if (!a.last) {
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
#pragma GCC unroll 4
      for (int b = 0; b < NB; ++b) _mm512_storeu_ps(y + b * block + j * kC, acc[j][b]);
    }
    return;
  }
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  const float* res = a.res ? a.res + p0 * kC : nullptr;
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
    const __m512 bias = a.bias ? _mm512_loadu_ps(a.bias + b * kC) : _mm512_setzero_ps();
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) {
      __m512 v = _mm512_add_ps(acc[j][b], bias);
      if (res) v = _mm512_add_ps(v, _mm512_loadu_ps(res + b * block + j * kC));
      // max(lo, v) returns v when v is NaN, so NaN passes through.
      v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
      _mm512_storeu_ps(y + b * block + j * kC, v);
    }
  }
}

using TileFn = void (*)(const BlockedConvArgs&, int64_t);
template <int NB>
struct Row {
  static constexpr TileFn fns[kMaxP + 1] = {nullptr,      &tile<1, NB>, &tile<2, NB>, &tile<3, NB>,
                                            &tile<4, NB>, &tile<5, NB>, &tile<6, NB>};
};

void conv(const BlockedConvArgs& a) {
  static constexpr const TileFn* table[kMaxNb + 1] = {nullptr, Row<1>::fns, Row<2>::fns,
                                                      Row<3>::fns, Row<4>::fns};
  const TileFn* fns = table[a.nb];
  for (int64_t p = a.p_begin; p < a.p_end; p += kMaxP) {
    fns[std::min<int64_t>(kMaxP, a.p_end - p)](a, p);
  }
}

}  // namespace

// 8 taps per pass: 8 x 16 x 64 floats = 32 KB of weights, swept over the pass's pixels.
const ConvBlockedKernels kConvBlockedAvx512 = {"f32-conv-nchw16c-6x64-avx512", kMaxNb, 8, &conv};

}  // namespace fastinfer::conv_blocked
