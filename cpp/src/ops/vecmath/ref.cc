// Scalar reference: libm, the accuracy baseline for the vector paths.
#include <cmath>

#include "ops/vecmath/float_math.h"

namespace fastinfer::ops::detail {
namespace {

void exp_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void erf_ref(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::erf(x[i]);
}
void gelu_ref(const float* x, float* y, int64_t n) {
  // erfc(-t) rather than 1 + erf(t): no cancellation in the negative tail; in double so
  // that rounding x / sqrt2 to float does not cost ~t^2 ulp there.
  for (int64_t i = 0; i < n; ++i) {
    const double xd = x[i];
    y[i] = static_cast<float>(0.5 * xd * std::erfc(-xd * 0.70710678118654752));
  }
}
void sigmoid_ref(const float* x, float* y, int64_t n) {
  // exp(-x) overflows to inf for x < -88 and gives 1 / inf = 0, the correct limit.
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
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

}  // namespace

const FloatMath kFloatMathRef{"f32-math-scalar", exp_ref,  erf_ref,  gelu_ref,         sigmoid_ref,
                              tanh_ref,          relu_ref, sqrt_ref, exp_shift_sum_ref};

}  // namespace fastinfer::ops::detail
