// The portable blocked conv: one output pixel and one block at a time, in the same
// summation order per output (tap, then input channel) as the vector kernels.
#include <algorithm>
#include <cstdint>

#include "kernels/conv_blocked/dw_rows.h"
#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

// Up to 4 pixels per step share each weight row; the 16-wide inner loops vectorise with
// the baseline ISA (one pixel per step was 1.8x slower than the im2col route on ResNet-50).
constexpr int64_t kP = 4;

void conv_ref(const BlockedConvArgs& a) {
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

// One pixel at a time, taps in the same order as the vector kernels (rows, then columns).
void dw_pixel(const BlockedDwArgs& a, const DwRow& r, int64_t ox, int64_t n, int64_t kx_begin,
              int64_t kx_end) {
  for (int64_t j = 0; j < n; ++j) {
    const int64_t ix0 = (ox + j) * a.sw - a.pad_l;
    float acc[kC] = {};
    for (int64_t ky = r.ky_begin; ky < r.ky_end; ++ky) {
      for (int64_t kx = kx_begin; kx < kx_end; ++kx) {
        const float* x = r.x + ((r.iy0 + ky) * a.in_w + ix0 + kx) * kC;
        const float* w = r.w + (ky * a.kw + kx) * kC;
        for (int64_t l = 0; l < kC; ++l) acc[l] += x[l] * w[l];
      }
    }
    float* y = r.y + (ox + j) * kC;
    const float* res = r.res ? r.res + (ox + j) * kC : nullptr;
    for (int64_t l = 0; l < kC; ++l) {
      float v = acc[l];
      if (r.bias) v += r.bias[l];
      if (res) v += res[l];
      v = v < a.lo ? a.lo : v;  // NaN fails both tests and passes through
      y[l] = v > a.hi ? a.hi : v;
    }
  }
}

void dw_ref(const BlockedDwArgs& a) { dw_rows<4>(a, dw_pixel); }

// In runs of 16 pixels, so that each destination line is written whole while it is cached.
void to_blocked_ref(const float* src, int64_t plane, float* dst) {
  for (int64_t p0 = 0; p0 < plane; p0 += kC) {
    const int64_t n = std::min(kC, plane - p0);
    for (int64_t l = 0; l < kC; ++l) {
      for (int64_t j = 0; j < n; ++j) dst[(p0 + j) * kC + l] = src[l * plane + p0 + j];
    }
  }
}

void from_blocked_ref(const float* src, int64_t plane, float* dst) {
  for (int64_t p0 = 0; p0 < plane; p0 += kC) {
    const int64_t n = std::min(kC, plane - p0);
    for (int64_t l = 0; l < kC; ++l) {
      for (int64_t j = 0; j < n; ++j) dst[l * plane + p0 + j] = src[(p0 + j) * kC + l];
    }
  }
}

}  // namespace

void reorder_tail(const float* src, int64_t plane, int64_t p0, float* dst, bool to_blocked) {
  for (int64_t l = 0; l < kC; ++l) {
    for (int64_t p = p0; p < plane; ++p) {
      if (to_blocked) {
        dst[p * kC + l] = src[l * plane + p];
      } else {
        dst[l * plane + p] = src[p * kC + l];
      }
    }
  }
}

DwInterior dw_interior(const BlockedDwArgs& a) {
  // Column ox is interior when ox * sw - pad_l >= 0 and ox * sw - pad_l + kw <= in_w.
  const int64_t begin = std::min(a.out_w, (a.pad_l + a.sw - 1) / a.sw);
  const int64_t last = a.in_w - a.kw + a.pad_l;  // the largest interior ox * sw
  const int64_t end = last < 0 ? 0 : std::min(a.out_w, last / a.sw + 1);
  return {begin, std::max(begin, end)};
}

const ConvBlockedKernels kConvBlockedRef = {"f32-conv-nchw16c-4x16-scalar",
                                            1,
                                            16,
                                            kP,
                                            &conv_ref,
                                            "f32-dwconv-nchw16c-scalar",
                                            &dw_ref,
                                            &to_blocked_ref,
                                            &from_blocked_ref};

}  // namespace fastinfer::conv_blocked
