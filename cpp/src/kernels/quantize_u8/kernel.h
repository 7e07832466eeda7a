// Dynamic u8 quantization of fp32 activations: the per-ISA pieces (range, quantize).
#pragma once

#include <cmath>
#include <cstdint>

namespace fastinfer::int8 {

using MinMaxFn = void (*)(const float* x, int64_t count, float* lo, float* hi);
// q[i] = clamp(nearbyint(x[i] * inv_scale) + zero_point, 0, 255)
using QuantizeFn = void (*)(const float* x, int64_t count, float inv_scale, int32_t zero_point,
                            uint8_t* q);

struct QuantizeKernels {
  const char* name;
  MinMaxFn min_max;
  QuantizeFn quantize;
};

extern const QuantizeKernels kQuantizeRef;
extern const QuantizeKernels kQuantizeAvx2;
extern const QuantizeKernels kQuantizeAvx512;

const QuantizeKernels& quantize_kernels();  // for active_isa()

// Scale and zero point from a range (as ONNX DynamicQuantizeLinear), shared by every
// path so all paths agree bit for bit. The range always includes 0 so that 0 is exact.
static inline void choose_qparams(float lo, float hi, float* scale, int32_t* zero_point) {
  lo = lo < 0.0f ? lo : 0.0f;
  hi = hi > 0.0f ? hi : 0.0f;
  float s = (hi - lo) / 255.0f;
  // All zeros, or a range that is NaN or infinite: fall back to a scale of 1 so the
  // kernels never divide by zero; the result for non-finite input is unspecified.
  if (!(s > 0.0f) || !std::isfinite(s)) s = 1.0f;
  float zp = std::nearbyint(-lo / s);
  zp = zp < 0.0f ? 0.0f : (zp > 255.0f ? 255.0f : zp);
  if (zp != zp) zp = 0.0f;
  *scale = s;
  *zero_point = static_cast<int32_t>(zp);
}

}  // namespace fastinfer::int8
