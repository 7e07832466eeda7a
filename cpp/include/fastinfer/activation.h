// Activations fused into GEMM epilogues, and their scalar reference definitions.
// Functions are static: this header is included by files compiled with ISA flags, and a
// shared inline copy built with AVX-512 could otherwise be linked into a scalar caller.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

namespace fastinfer {

enum class Activation { kNone = 0, kRelu = 1, kGelu = 2 };

static inline Activation parse_activation(const std::string& name) {
  if (name.empty() || name == "none") return Activation::kNone;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu") return Activation::kGelu;
  throw std::invalid_argument("activation must be None, 'relu' or 'gelu', got '" + name + "'");
}

// Exact GELU, as ONNX's Gelu (approximate="none") and torch.nn.GELU(): x * Phi(x). The
// scalar path's one definition, shared by the GEMM epilogues and the Gelu op so both give
// the same bits: erfc(-t) rather than 1 + erf(t), which cancels in the negative tail, and
// in double so that rounding x / sqrt2 to float does not cost ~t^2 ulp there.
static inline float gelu_ref(float x) {
  const double xd = x;
  return static_cast<float>(0.5 * xd * std::erfc(-xd * 0.70710678118654752));
}

static inline float apply_activation_ref(Activation act, float x) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return x < 0.0f ? 0.0f : x;  // NaN passes through
    case Activation::kGelu:
      return gelu_ref(x);
  }
  return x;
}

}  // namespace fastinfer
