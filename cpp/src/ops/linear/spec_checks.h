// Validation helpers shared by the nn kernels (linear, conv, pool, attention): every
// failure is a std::invalid_argument that starts with spec.where(), so a bad graph names
// the node instead of crashing.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fastinfer/plan.h"

namespace fastinfer::ops {

[[noreturn]] inline void fail(const plan::KernelSpec& spec, const std::string& msg) {
  throw std::invalid_argument(spec.where() + ": " + msg);
}

inline std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

inline bool has_input(const plan::KernelSpec& spec, size_t i) {
  return i < spec.inputs.size() && (i >= spec.input_present.size() || spec.input_present[i]);
}

inline const void* constant_input(const plan::KernelSpec& spec, size_t i) {
  return has_input(spec, i) && i < spec.constant_inputs.size() ? spec.constant_inputs[i] : nullptr;
}

// Checks the input/output counts and that every present tensor is float32.
inline void require_f32_io(const plan::KernelSpec& spec, size_t min_in, size_t max_in,
                           size_t n_out) {
  if (spec.inputs.size() < min_in || spec.inputs.size() > max_in) {
    fail(spec, "expects " + std::to_string(min_in) +
                   (min_in == max_in ? "" : "-" + std::to_string(max_in)) + " inputs, got " +
                   std::to_string(spec.inputs.size()));
  }
  for (size_t i = 0; i < min_in; ++i) {
    if (!has_input(spec, i)) fail(spec, "input " + std::to_string(i) + " is required");
  }
  if (spec.outputs.size() != n_out) {
    fail(spec, "expects " + std::to_string(n_out) + " output(s), got " +
                   std::to_string(spec.outputs.size()));
  }
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (has_input(spec, i) && spec.inputs[i].dtype != plan::DType::kFloat32) {
      fail(spec, "input " + std::to_string(i) + " must be float32, got " +
                     plan::dtype_name(spec.inputs[i].dtype));
    }
  }
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    for (int64_t d : spec.outputs[i].shape) {
      if (d < 0) fail(spec, "output " + std::to_string(i) + " has a negative dimension");
    }
  }
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    for (int64_t d : spec.inputs[i].shape) {
      if (d < 0) fail(spec, "input " + std::to_string(i) + " has a negative dimension");
    }
  }
}

inline void require_output_f32(const plan::KernelSpec& spec, size_t i) {
  if (spec.outputs[i].dtype != plan::DType::kFloat32) {
    fail(spec, "output " + std::to_string(i) + " must be float32, got " +
                   plan::dtype_name(spec.outputs[i].dtype));
  }
}

inline void require_output_shape(const plan::KernelSpec& spec, size_t i,
                                 const std::vector<int64_t>& expected) {
  if (spec.outputs[i].shape != expected) {
    fail(spec, "output " + std::to_string(i) + " has shape " + shape_str(spec.outputs[i].shape) +
                   " but the inputs give " + shape_str(expected));
  }
}

inline int64_t product(const std::vector<int64_t>& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

}  // namespace fastinfer::ops
