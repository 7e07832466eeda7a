// Packing of fp32 weights into the panel layout every ISA path reads (see gemm_f32.h).
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fastinfer/gemm_f32.h"

namespace fastinfer::f32 {

PackedWeights pack(const float* w, int64_t k, int64_t n) {
  if (k <= 0 || n <= 0) {
    throw std::invalid_argument("pack: weights must be non-empty, got shape (" + std::to_string(k) +
                                ", " + std::to_string(n) + ")");
  }
  PackedWeights p;
  p.k = k;
  p.n = n;
  const int64_t panels = p.panels();
  p.data = AlignedBuffer<float>(static_cast<size_t>(panels * k * kPanelWidth));  // zeroed
  for (int64_t q = 0; q < panels; ++q) {
    const int64_t n0 = q * kPanelWidth;
    const int64_t width = std::min(kPanelWidth, n - n0);
    float* dst = p.data.data() + q * k * kPanelWidth;
    for (int64_t kk = 0; kk < k; ++kk) {
      std::memcpy(dst + kk * kPanelWidth, w + kk * n + n0, static_cast<size_t>(width) * 4);
    }
  }
  return p;
}

}  // namespace fastinfer::f32
