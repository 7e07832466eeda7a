#include "ops/common/op_util.h"

#include <stdexcept>

namespace fastinfer::ops {

void fail(const KernelSpec& spec, const std::string& what) {
  throw std::invalid_argument(spec.where() + ": " + what);
}

bool register_op(const std::string& op, plan::KernelFactory factory) {
  return plan::register_kernel(op, [factory = std::move(factory)](const KernelSpec& spec) {
    try {
      return factory(spec);
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      if (msg.rfind(spec.where(), 0) == 0) throw;
      fail(spec, msg);
    }
  });
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void check_arity(const KernelSpec& spec, size_t min_in, size_t max_in, size_t min_out,
                 size_t max_out) {
  const size_t n_in = spec.inputs.size(), n_out = spec.outputs.size();
  if (n_in < min_in || n_in > max_in) {
    fail(spec, "expects " + std::to_string(min_in) +
                   (max_in != min_in ? " to " + std::to_string(max_in) : "") + " inputs, got " +
                   std::to_string(n_in));
  }
  if (n_out < min_out || n_out > max_out) {
    fail(spec, "expects " + std::to_string(min_out) +
                   (max_out != min_out ? " to " + std::to_string(max_out) : "") + " outputs, got " +
                   std::to_string(n_out));
  }
  if (spec.input_present.size() != n_in || spec.constant_inputs.size() != n_in) {
    fail(spec, "malformed spec: input_present/constant_inputs do not match the inputs");
  }
  for (size_t i = 0; i < min_in; ++i) {
    if (!spec.input_present[i]) fail(spec, "required input " + std::to_string(i) + " is missing");
  }
  for (size_t i = 0; i < n_in; ++i) {
    if (!spec.input_present[i]) continue;
    for (int64_t d : spec.inputs[i].shape) {
      if (d < 0) fail(spec, "input " + std::to_string(i) + " has a negative dimension");
    }
  }
  for (const TensorDesc& o : spec.outputs) {
    for (int64_t d : o.shape) {
      if (d < 0) fail(spec, "an output has a negative dimension");
    }
  }
}

bool present(const KernelSpec& spec, size_t input) {
  return input < spec.inputs.size() && spec.input_present[input];
}

void check_dtype(const KernelSpec& spec, size_t input, std::initializer_list<DType> allowed) {
  const DType t = spec.inputs[input].dtype;
  std::string list;
  for (DType a : allowed) {
    if (a == t) return;
    list += (list.empty() ? "" : ", ") + std::string(plan::dtype_name(a));
  }
  fail(spec, std::string(plan::dtype_name(t)) + " input " + std::to_string(input) +
                 " is not supported (" + list + ")");
}

void check_output(const KernelSpec& spec, size_t o, DType t, const std::vector<int64_t>& shape) {
  const TensorDesc& d = spec.outputs[o];
  if (d.dtype != t || d.shape != shape) {
    fail(spec, "output " + std::to_string(o) + " is described as " + d.str() +
                   " but the op gives " + TensorDesc{t, shape}.str());
  }
}

void check_same_dtype(const KernelSpec& spec, size_t i, size_t j) {
  if (spec.inputs[i].dtype != spec.inputs[j].dtype) {
    fail(spec, "inputs " + std::to_string(i) + " and " + std::to_string(j) +
                   " must have the same dtype, got " + plan::dtype_name(spec.inputs[i].dtype) +
                   " and " + plan::dtype_name(spec.inputs[j].dtype));
  }
}

int64_t normalize_axis(const KernelSpec& spec, int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= rank) {
    fail(spec, std::string(what) + " " + std::to_string(axis) + " is out of range for rank " +
                   std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> constant_ints(const KernelSpec& spec, size_t input, const char* what) {
  const TensorDesc& d = spec.inputs[input];
  const void* data = spec.constant_inputs[input];
  if (data == nullptr) {
    fail(spec, std::string(what) + " (input " + std::to_string(input) +
                   ") must be a constant; shapes are static in a plan");
  }
  if (d.shape.size() > 1) fail(spec, std::string(what) + " must be 1-D, got " + d.str());
  const int64_t n = d.numel();
  std::vector<int64_t> v(static_cast<size_t>(n));
  if (d.dtype == DType::kInt64) {
    const auto* p = static_cast<const int64_t*>(data);
    for (int64_t i = 0; i < n; ++i) v[i] = p[i];
  } else if (d.dtype == DType::kInt32) {
    const auto* p = static_cast<const int32_t*>(data);
    for (int64_t i = 0; i < n; ++i) v[i] = p[i];
  } else {
    fail(spec, std::string(what) + " must be int64 or int32, got " + d.str());
  }
  return v;
}

std::string input_str(const KernelSpec& spec, size_t i) {
  return "input " + std::to_string(i) + " (" + spec.inputs[i].str() + ")";
}

}  // namespace fastinfer::ops
