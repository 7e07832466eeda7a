// Scalar reference for activation quantization.
#include <cmath>

#include "kernels/quantize_u8/kernel.h"

namespace fastinfer::int8 {
namespace {

void min_max_ref(const float* x, int64_t count, float* lo, float* hi) {
  float mn = 0.0f, mx = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  *lo = mn;
  *hi = mx;
}

void quantize_ref(const float* x, int64_t count, float inv_scale, int32_t zero_point, uint8_t* q) {
  for (int64_t i = 0; i < count; ++i) {
    float v = std::nearbyint(x[i] * inv_scale) + static_cast<float>(zero_point);
    v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
    q[i] = static_cast<uint8_t>(v);
  }
}

}  // namespace

const QuantizeKernels kQuantizeRef = {"qu8-quantize-scalar", min_max_ref, quantize_ref};

}  // namespace fastinfer::int8
