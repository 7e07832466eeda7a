// The AVX-512 blocked conv: tiles of up to 6 output pixels x 4 output blocks (64 channels),
// 24 zmm accumulators. Per input channel of a tap it loads 4 weight vectors and broadcasts
// 6 pixel values (10 loads per 24 FMAs, the weights contiguous, the pixels 64-byte runs),
// where the NCHW direct tile broadcast 12 weights and loaded 2 unaligned pixel vectors from
// one plane per channel.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/common/transpose_avx512.h"
#include "kernels/conv_blocked/dw_rows.h"
#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

constexpr int kMaxP = 6;
constexpr int kMaxNb = 4;

// pf: weight lines this tile prefetches into L2, one per channel step (see conv()).
template <int P, int NB>
void tile(const BlockedConvArgs& a, int64_t p0, const float* pf) {
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
  // Why prefetch the next tile's residual and input lines: a 1x1 conv does only 16-256
  // FMAs per input float, too few to hide the L3 latency of streams the hardware
  // prefetchers follow late (one per input block, 200 KB apart at 56 x 56). On Zen 5
  // (avx512, 1 thread, batch 8) this took a 1x1 256 -> 64 conv from 5.2 to 3.5 ms and the
  // 64 -> 256 one with its residual from 5.3 to 4.0 ms (onnxruntime: 3.7 and 4.4).
  // Prefetching the output lines as well measured the same.
  if (a.last && a.res) {
    const float* next_res = a.res + (p0 + P) * kC;
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
#pragma GCC unroll 6
      for (int j = 0; j < P; ++j)
        _mm_prefetch(reinterpret_cast<const char*>(next_res + b * block + j * kC), _MM_HINT_T0);
    }
  }
  for (int64_t t = a.t_begin; t < a.t_end; ++t) {
    const float* xt = a.xp + a.offs[t];
    const float* px[P];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j) px[j] = xt + base[j];
#pragma GCC unroll 6
    for (int j = 0; j < P; ++j)  // the next tile's pixels (same row but at a row's end)
      _mm_prefetch(reinterpret_cast<const char*>(px[j] + P * a.sw * kC), _MM_HINT_T0);
    const float* wt = a.w + t * kC * row;
    const float* pft = pf + (t - a.t_begin) * kC * kC;
    // Not unrolled: unrolling the 16 channels made GCC spill accumulators (28 of the 32
    // registers are live) and shuffle them between registers.
#pragma GCC unroll 1
    for (int l = 0; l < kC; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(pft + l * kC), _MM_HINT_T1);
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

using TileFn = void (*)(const BlockedConvArgs&, int64_t, const float*);
template <int NB>
struct Row {
  static constexpr TileFn fns[kMaxP + 1] = {nullptr,      &tile<1, NB>, &tile<2, NB>, &tile<3, NB>,
                                            &tile<4, NB>, &tile<5, NB>, &tile<6, NB>};
};

void conv(const BlockedConvArgs& a) {
  static constexpr const TileFn* table[kMaxNb + 1] = {nullptr, Row<1>::fns, Row<2>::fns,
                                                      Row<3>::fns, Row<4>::fns};
  const TileFn* fns = table[a.nb];
  // Why prefetch: the first tile of a pass would otherwise wait on memory for the pass's
  // weights (32 KB), which late layers (2048 -> 512 at 7 x 7: 4 MB of weights, 49 pixels)
  // read cold. Each tile fetches the next weight lines in order, one per channel step, so
  // the next pass's (or the next group's) weights are in L2 when it starts.
  const float* next = a.w + a.t_end * kC * a.nb * kC;
  const int64_t per_tile = (a.t_end - a.t_begin) * kC * kC;
  for (int64_t p = a.p_begin, i = 0; p < a.p_end; p += kMaxP, ++i) {
    fns[std::min<int64_t>(kMaxP, a.p_end - p)](a, p, next + i * per_tile);
  }
}

// Depthwise: up to 8 pixels of one block, one zmm each; per tap one weight load shared by
// the tile's pixels, whose input vectors the FMAs read from memory (one load per FMA).
constexpr int64_t kDwP = 8;

template <int P>
void dw_tile(const BlockedDwArgs& a, const DwRow& r, int64_t ox, int64_t kx_begin, int64_t kx_end) {
  __m512 acc[P];
#pragma GCC unroll 8
  for (int j = 0; j < P; ++j) acc[j] = _mm512_setzero_ps();
  const int64_t ix0 = ox * a.sw - a.pad_l, step = a.sw * kC;
  for (int64_t ky = r.ky_begin; ky < r.ky_end; ++ky) {
    const float* w = r.w + ky * a.kw * kC;
    for (int64_t kx = kx_begin; kx < kx_end; ++kx) {
      const float* x = r.x + ((r.iy0 + ky) * a.in_w + ix0 + kx) * kC;
      const __m512 wv = _mm512_loadu_ps(w + kx * kC);
#pragma GCC unroll 8
      for (int j = 0; j < P; ++j)
        acc[j] = _mm512_fmadd_ps(_mm512_loadu_ps(x + j * step), wv, acc[j]);
    }
  }
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  const __m512 bias = r.bias ? _mm512_loadu_ps(r.bias) : _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int j = 0; j < P; ++j) {
    __m512 v = _mm512_add_ps(acc[j], bias);
    if (r.res) v = _mm512_add_ps(v, _mm512_loadu_ps(r.res + (ox + j) * kC));
    _mm512_storeu_ps(r.y + (ox + j) * kC, _mm512_min_ps(hi, _mm512_max_ps(lo, v)));
  }
}

void dw(const BlockedDwArgs& a) {
  using DwFn = void (*)(const BlockedDwArgs&, const DwRow&, int64_t, int64_t, int64_t);
  static constexpr DwFn fns[kDwP + 1] = {nullptr,     &dw_tile<1>, &dw_tile<2>,
                                         &dw_tile<3>, &dw_tile<4>, &dw_tile<5>,
                                         &dw_tile<6>, &dw_tile<7>, &dw_tile<8>};
  dw_rows<kDwP>(a, [](const BlockedDwArgs& a, const DwRow& r, int64_t ox, int64_t n, int64_t k0,
                      int64_t k1) { fns[n](a, r, ox, k0, k1); });
}

void to_blocked(const float* src, int64_t plane, float* dst) {
  int64_t p0 = 0;
  for (; p0 + kC <= plane; p0 += kC) {
    __m512 r[16];
    for (int l = 0; l < 16; ++l) r[l] = _mm512_loadu_ps(src + l * plane + p0);
    vec512::transpose16(r);
    for (int j = 0; j < 16; ++j) _mm512_storeu_ps(dst + (p0 + j) * kC, r[j]);
  }
  reorder_tail(src, plane, p0, dst, true);
}

void from_blocked(const float* src, int64_t plane, float* dst) {
  int64_t p0 = 0;
  for (; p0 + kC <= plane; p0 += kC) {
    __m512 r[16];
    for (int j = 0; j < 16; ++j) r[j] = _mm512_loadu_ps(src + (p0 + j) * kC);
    vec512::transpose16(r);
    for (int l = 0; l < 16; ++l) _mm512_storeu_ps(dst + l * plane + p0, r[l]);
  }
  reorder_tail(src, plane, p0, dst, false);
}

}  // namespace

// 8 taps per pass: 8 x 16 x 64 floats = 32 KB of weights, swept over the pass's pixels.
const ConvBlockedKernels kConvBlockedAvx512 = {
    "f32-conv-nchw16c-6x64-avx512",  kMaxNb, 8,           kMaxP,        &conv,
    "f32-dwconv-nchw16c-8px-avx512", &dw,    &to_blocked, &from_blocked};

}  // namespace fastinfer::conv_blocked
