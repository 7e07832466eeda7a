// Scalar reference: libm, the accuracy baseline for the vector paths. GELU (both forms) is the
// scalar epilogue's own (fastinfer/activation.h), so the fused and unfused forms agree here too.
#include <cmath>

#include "fastinfer/activation.h"
#include "kernels/vecmath/float_math.h"

namespace fastinfer::vecmath::detail {
namespace {

void exp_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void erf_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::erf(x[i]);
}
void gelu_array_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_ref(x[i]);
}
void gelu_tanh_array_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_tanh_ref(x[i]);
}
float sigmoid1(float x) {
  // exp(-|x|): for x < 0, e / (1 + e) keeps the denormal results that 1 / (1 + exp(-x))
  // loses to an overflow.
  const float e = std::exp(-std::fabs(x));
  return (x < 0.0f ? e : 1.0f) / (1.0f + e);
}
void sigmoid_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = sigmoid1(x[i]);
}
void silu_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * sigmoid1(x[i]);
}
void tanh_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
void relu_ref(const float* x, float* y, int64_t n) {
  // x < 0 ? 0 : x keeps NaN (max(x, 0) would not).
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}
void sqrt_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(x[i]);
}
float exp_shift_sum_ref(const float* x, float* y, int64_t n, float shift) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - shift);
    sum += y[i];
  }
  return static_cast<float>(sum);
}
float max_ref(const float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;  // NaN compares false: skipped
  return m;
}
void scale_ref(float* y, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

}  // namespace

const FloatMath kFloatMathRef{
    "f32-math-scalar", exp_ref,  erf_ref,  gelu_array_ref, gelu_tanh_array_ref,
    sigmoid_ref,       silu_ref, tanh_ref, relu_ref,       sqrt_ref,
    exp_shift_sum_ref, max_ref,  scale_ref};

}  // namespace fastinfer::vecmath::detail
