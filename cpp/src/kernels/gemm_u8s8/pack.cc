// Packing of int8 weights into the panel layout of gemm_int8.h, once at load time.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastinfer/gemm_int8.h"

namespace fastinfer::int8 {

PackedWeights pack_quantized(const int8_t* w, int64_t k, int64_t n, const float* scales,
                             bool per_channel) {
  if (k <= 0 || n <= 0) {
    throw std::invalid_argument("weights must have K >= 1 and N >= 1, got (" + std::to_string(k) +
                                ", " + std::to_string(n) + ")");
  }
  if (k > kMaxK) {
    throw std::invalid_argument("K = " + std::to_string(k) + " exceeds " + std::to_string(kMaxK) +
                                ": int32 accumulation of u8 x s8 products would overflow");
  }
  PackedWeights p;
  p.k = k;
  p.n = n;
  p.per_channel = per_channel;
  p.k_groups = (k + kGroupK - 1) / kGroupK;
  p.n_panels = (n + kPanelN - 1) / kPanelN;
  const int64_t padded_n = p.n_panels * kPanelN;
  p.data = AlignedBuffer<int8_t>(p.n_panels * p.k_groups * kPanelN * kGroupK);
  p.col_sums = AlignedBuffer<int32_t>(padded_n);
  p.scales = AlignedBuffer<float>(padded_n);
  int8_t* dst = p.data.data();
  for (int64_t kk = 0; kk < k; ++kk) {
    const int64_t g = kk / kGroupK, j = kk % kGroupK;
    for (int64_t c = 0; c < n; ++c) {
      const int64_t panel = c / kPanelN, col = c % kPanelN;
      const int8_t v = w[kk * n + c];
      dst[((panel * p.k_groups + g) * kPanelN + col) * kGroupK + j] = v;
      p.col_sums.data()[c] += v;
    }
  }
  for (int64_t c = 0; c < n; ++c) {
    p.scales.data()[c] = scales ? scales[per_channel ? c : 0] : 1.0f;
  }
  return p;
}

PackedWeights quantize_and_pack(const float* w, int64_t k, int64_t n, bool per_channel) {
  if (k <= 0 || n <= 0) {
    throw std::invalid_argument("weights must have K >= 1 and N >= 1, got (" + std::to_string(k) +
                                ", " + std::to_string(n) + ")");
  }
  std::vector<float> amax(per_channel ? n : 1, 0.0f);
  for (int64_t kk = 0; kk < k; ++kk) {
    for (int64_t c = 0; c < n; ++c) {
      const float v = std::fabs(w[kk * n + c]);
      if (!std::isfinite(v)) {
        throw std::invalid_argument("weights contain a non-finite value at (" + std::to_string(kk) +
                                    ", " + std::to_string(c) + ")");
      }
      float& m = amax[per_channel ? c : 0];
      m = std::max(m, v);
    }
  }
  std::vector<float> scales(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) scales[i] = amax[i] > 0.0f ? amax[i] / 127.0f : 1.0f;
  std::vector<int8_t> q(static_cast<size_t>(k * n));
  for (int64_t kk = 0; kk < k; ++kk) {
    for (int64_t c = 0; c < n; ++c) {
      const float s = scales[per_channel ? c : 0];
      float v = std::nearbyint(w[kk * n + c] / s);
      v = std::min(127.0f, std::max(-127.0f, v));
      q[kk * n + c] = static_cast<int8_t>(v);
    }
  }
  return pack_quantized(q.data(), k, n, scales.data(), per_channel);
}

}  // namespace fastinfer::int8
