// The portable blocked conv: one output pixel and one block at a time, in the same
// summation order per output (tap, then input channel) as the vector kernels.
#include <algorithm>
#include <cstdint>

#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

// Up to 4 pixels per step share each weight row; the 16-wide inner loops vectorise with
// the baseline ISA (one pixel per step was 1.8x slower than the im2col route on ResNet-50).
void conv_ref(const BlockedConvArgs& a) {
  constexpr int64_t kP = 4;
  const int64_t row = a.nb * kC;  // floats per weight row
  for (int64_t p0 = a.p_begin; p0 < a.p_end; p0 += kP) {
    const int64_t np = std::min(kP, a.p_end - p0);
    const float* xo[kP];
    for (int64_t j = 0; j < np; ++j) {
      const int64_t p = p0 + j, oy = p / a.out_w, ox = p - oy * a.out_w;
      xo[j] = a.xp + (oy * a.sh * a.wp + ox * a.sw) * kC;
    }
    for (int64_t b = 0; b < a.nb; ++b) {
      float* y = a.y + (b * a.out_plane + p0) * kC;
      float acc[kP][kC];
      for (int64_t j = 0; j < np; ++j) {
        for (int64_t o = 0; o < kC; ++o) acc[j][o] = a.first ? 0.0f : y[j * kC + o];
      }
      for (int64_t t = a.t_begin; t < a.t_end; ++t) {
        const float* wt = a.w + t * kC * row + b * kC;
        for (int64_t l = 0; l < kC; ++l) {
          const float* wl = wt + l * row;
          for (int64_t j = 0; j < np; ++j) {
            const float x = xo[j][a.offs[t] + l];
            for (int64_t o = 0; o < kC; ++o) acc[j][o] += x * wl[o];
          }
        }
      }
      for (int64_t j = 0; j < np; ++j) {
        const float* r = a.res ? a.res + (b * a.out_plane + p0 + j) * kC : nullptr;
        for (int64_t o = 0; o < kC; ++o) {
          float v = acc[j][o];
          if (a.last) {
            if (a.bias) v += a.bias[b * kC + o];
            if (r) v += r[o];
            v = v < a.lo ? a.lo : v;  // NaN fails both tests and passes through
            v = v > a.hi ? a.hi : v;
          }
          y[j * kC + o] = v;
        }
      }
    }
  }
}

}  // namespace

const ConvBlockedKernels kConvBlockedRef = {"f32-conv-nchw16c-4x16-scalar", 1, 16, &conv_ref};

}  // namespace fastinfer::conv_blocked
