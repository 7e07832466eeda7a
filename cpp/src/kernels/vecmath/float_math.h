// Array math for the float32 unary ops and Softmax, one implementation per ISA: the scalar
// reference (libm), AVX2 and AVX-512. The vector paths call the inline functions of
// kernels/common/vec_math_{avx2,avx512}.h, the same ones the GEMM epilogues use, so an op
// and its fused form agree bit for bit; the two vector paths also agree with each other.
// Each is accurate to a few ulp (better than 1e-6 relative; Relu and Sqrt exactly), keeps
// denormal results and passes NaN through. The table is filled once for the active path
// (kernels/config_registry.h).
#pragma once

#include <cstdint>

namespace fastinfer::vecmath {

struct FloatMath {
  const char* name;
  void (*exp)(const float* x, float* y, int64_t n);
  void (*erf)(const float* x, float* y, int64_t n);
  void (*gelu)(const float* x, float* y, int64_t n);       // exact (erf) form
  void (*gelu_tanh)(const float* x, float* y, int64_t n);  // tanh approximation
  void (*sigmoid)(const float* x, float* y, int64_t n);
  void (*silu)(const float* x, float* y, int64_t n);  // x * sigmoid(x), that sigmoid's bits
  void (*tanh)(const float* x, float* y, int64_t n);
  // Exact ops, here because without -ffast-math / -fno-math-errno the compiler keeps
  // scalar branches (Relu's NaN rule, sqrt's errno) instead of vectorising the loops.
  void (*relu)(const float* x, float* y, int64_t n);
  void (*sqrt)(const float* x, float* y, int64_t n);
  // For Softmax. y[i] = exp(x[i] - shift); returns the sum of y. x and y may alias.
  float (*exp_shift_sum)(const float* x, float* y, int64_t n, float shift);
  // The largest of x[0..n), NaN skipped; -inf for n == 0 or all NaN.
  float (*max)(const float* x, int64_t n);
  // y[i] *= s.
  void (*scale)(float* y, int64_t n, float s);
};

const FloatMath& float_math();  // for the active ISA

namespace detail {
extern const FloatMath kFloatMathRef;
#if FASTINFER_X86
extern const FloatMath kFloatMathAvx2;
extern const FloatMath kFloatMathAvx512;
#endif
}  // namespace detail

}  // namespace fastinfer::vecmath
