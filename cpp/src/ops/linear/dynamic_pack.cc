#include "ops/linear/dynamic_pack.h"

#include <algorithm>
#include <cstring>

namespace fastinfer::ops {

using f32::kPanelWidth;

void reserve_packed(f32::PackedWeights* w, int64_t k, int64_t n) {
  const int64_t panels = (n + kPanelWidth - 1) / kPanelWidth;
  const size_t need = static_cast<size_t>(panels * k * kPanelWidth);
  if (w->data.size() < need) w->data = AlignedBuffer<float>(need);
  w->k = k;
  w->n = n;
}

void pack_strided(const float* src, int64_t k, int64_t n, int64_t row_stride, int64_t col_stride,
                  float alpha, f32::PackedWeights* w) {
  reserve_packed(w, k, n);
  float* dst = w->data.data();
  for (int64_t p = 0; p * kPanelWidth < n; ++p) {
    const int64_t c0 = p * kPanelWidth, cols = std::min(kPanelWidth, n - c0);
    float* panel = dst + p * k * kPanelWidth;
    if (col_stride == 1) {
      for (int64_t r = 0; r < k; ++r) {
        const float* s = src + r * row_stride + c0;
        float* d = panel + r * kPanelWidth;
        for (int64_t c = 0; c < cols; ++c) d[c] = alpha * s[c];
        for (int64_t c = cols; c < kPanelWidth; ++c) d[c] = 0.0f;
      }
    } else {
      // Transposed source: walk each source column contiguously (row_stride is usually 1).
      if (cols < kPanelWidth) {
        for (int64_t r = 0; r < k; ++r) {
          std::memset(panel + r * kPanelWidth + cols, 0, (kPanelWidth - cols) * sizeof(float));
        }
      }
      for (int64_t c = 0; c < cols; ++c) {
        const float* s = src + (c0 + c) * col_stride;
        for (int64_t r = 0; r < k; ++r) panel[r * kPanelWidth + c] = alpha * s[r * row_stride];
      }
    }
  }
}

f32::PackedWeights& thread_packed_scratch() {
  thread_local f32::PackedWeights w;
  return w;
}

}  // namespace fastinfer::ops
