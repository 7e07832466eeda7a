// Scalar reference kernel: plain loops, the path every other one is tested against.
#include <algorithm>

#include "fastinfer/gemm_f32.h"
#include "kernels/gemm_f32/kernels.h"

namespace fastinfer::f32::detail {

void panel_f32_ref(const PanelArgs& a) {
  for (int64_t i = 0; i < a.m; ++i) {
    // A whole panel row of sums; the padded columns are computed and dropped.
    float acc[kPanelWidth] = {};
    const float* xi = a.x + i * a.ldx;
    for (int64_t kk = 0; kk < a.kc; ++kk) {
      const float xv = xi[kk];
      const float* brow = a.b + kk * kPanelWidth;
      for (int64_t j = 0; j < kPanelWidth; ++j) acc[j] += xv * brow[j];
    }
    float* yi = a.y + i * a.ldy;
    for (int64_t j = 0; j < a.nc; ++j) {
      float v = a.accumulate ? yi[j] + acc[j] : acc[j];
      if (a.last) {
        if (a.bias) v += a.bias[j];
        v = apply_activation_ref(a.act, v);
      }
      yi[j] = v;
    }
  }
}

}  // namespace fastinfer::f32::detail
