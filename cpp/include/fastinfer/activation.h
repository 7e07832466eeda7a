// Activations fused into GEMM epilogues, and their scalar reference definitions.
// Functions are static: this header is included by files compiled with ISA flags, and a
// shared inline copy built with AVX-512 could otherwise be linked into a scalar caller.
#pragma once

#include <cmath>
#include <stdexcept>
#include <string>

namespace fastinfer {

enum class Activation { kNone = 0, kRelu = 1, kGelu = 2, kGeluTanh = 3 };

static inline Activation parse_activation(const std::string& name) {
  if (name.empty() || name == "none") return Activation::kNone;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_tanh") return Activation::kGeluTanh;
  throw std::invalid_argument("activation must be None, 'relu', 'gelu' or 'gelu_tanh', got '" +
                              name + "'");
}

// Exact GELU, as ONNX's Gelu (approximate="none") and torch.nn.GELU(): x * Phi(x). The
// scalar path's one definition, shared by the GEMM epilogues and the Gelu op so both give
// the same bits: erfc(-t) rather than 1 + erf(t), which cancels in the negative tail, and
// in double so that rounding x / sqrt2 to float does not cost ~t^2 ulp there.
static inline float gelu_ref(float x) {
  const double xd = x;
  return static_cast<float>(0.5 * xd * std::erfc(-xd * 0.70710678118654752));
}

// The tanh approximation, as ONNX's Gelu(approximate="tanh"), torch's GELU(approximate="tanh")
// and GPT-2's gelu_new: 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3). The same
// function is x sigmoid(2u) = x / (1 + exp(-2u)), which has no 1 + tanh cancellation in the
// negative tail; in double, like gelu_ref.
static inline float gelu_tanh_ref(float x) {
  const double xd = x;
  const double two_u = 1.5957691216057308 * xd * (1.0 + 0.044715 * xd * xd);
  return static_cast<float>(xd / (1.0 + std::exp(-two_u)));
}

static inline float apply_activation_ref(Activation act, float x) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return x < 0.0f ? 0.0f : x;  // NaN passes through
    case Activation::kGelu:
      return gelu_ref(x);
    case Activation::kGeluTanh:
      return gelu_tanh_ref(x);
  }
  return x;
}

}  // namespace fastinfer
