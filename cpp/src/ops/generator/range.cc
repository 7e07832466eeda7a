// Range and ConstantOfShape as kernels. Graphs compute them from shapes (position ids of
// the sequence length, an all-ones mask of the input's shape); with shape-polymorphic plans
// their scalar or shape inputs are plan constants generated for each shape, so the kernel
// only fills its output, whose size the plan already knows.
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "ops/common/op_util.h"

namespace fastinfer::ops {
namespace {

template <class T>
class RangeKernel final : public plan::Kernel {
 public:
  RangeKernel(T start, T delta, int64_t n) : start_(start), delta_(delta), n_(n) {}
  void run(const void* const*, void* const* outputs) const override {
    T* y = static_cast<T*>(outputs[0]);
    // start + i * delta, as ONNX's reference computes it (no accumulated rounding).
    for (int64_t i = 0; i < n_; ++i) y[i] = static_cast<T>(start_ + static_cast<T>(i) * delta_);
  }

 private:
  T start_, delta_;
  int64_t n_;
};

template <class T>
T scalar(const KernelSpec& spec, size_t i) {
  const void* c = spec.constant_inputs[i];
  if (!c) fail(spec, "input " + std::to_string(i) + " must be a constant (computed from shapes)");
  if (spec.inputs[i].numel() != 1) fail(spec, "input " + std::to_string(i) + " must be a scalar");
  return *static_cast<const T*>(c);
}

template <class T>
std::unique_ptr<plan::Kernel> make_range_t(const KernelSpec& spec) {
  const T start = scalar<T>(spec, 0), limit = scalar<T>(spec, 1), delta = scalar<T>(spec, 2);
  if (delta == T(0)) fail(spec, "delta must not be 0");
  const double count = static_cast<double>(limit - start) / static_cast<double>(delta);
  int64_t n = static_cast<int64_t>(count);
  if (static_cast<double>(n) < count) ++n;  // ceil
  if (n < 0) n = 0;
  check_output(spec, 0, spec.inputs[0].dtype, {n});
  return std::make_unique<RangeKernel<T>>(start, delta, n);
}

std::unique_ptr<plan::Kernel> make_range(const KernelSpec& spec) {
  check_arity(spec, 3, 3, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64});
  check_same_dtype(spec, 0, 1);
  check_same_dtype(spec, 0, 2);
  switch (spec.inputs[0].dtype) {
    case DType::kFloat64: return make_range_t<double>(spec);
    case DType::kInt32: return make_range_t<int32_t>(spec);
    case DType::kInt64: return make_range_t<int64_t>(spec);
    default: return make_range_t<float>(spec);
  }
}

class FillKernel final : public plan::Kernel {
 public:
  FillKernel(std::vector<uint8_t> pattern, int64_t n) : pattern_(std::move(pattern)), n_(n) {}
  void run(const void* const*, void* const* outputs) const override {
    uint8_t* y = static_cast<uint8_t*>(outputs[0]);
    const size_t size = pattern_.size();
    for (int64_t i = 0; i < n_; ++i) std::memcpy(y + static_cast<size_t>(i) * size, pattern_.data(), size);
  }

 private:
  std::vector<uint8_t> pattern_;  // one element's bytes
  int64_t n_;
};

template <class T>
std::vector<uint8_t> bytes_of(double v) {
  const T t = static_cast<T>(v);
  std::vector<uint8_t> out(sizeof(T));
  std::memcpy(out.data(), &t, sizeof(T));
  return out;
}

std::unique_ptr<plan::Kernel> make_constant_of_shape(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const std::vector<int64_t> shape = constant_ints(spec, 0, "shape");
  double value = 0;
  if (spec.attrs.count("value")) {
    const std::vector<double> v = plan::attr_floats(spec.attrs, "value", {0.0});
    if (v.size() != 1) fail(spec, "value must have one element");
    value = v[0];
  }
  const DType t = spec.outputs[0].dtype;
  check_output(spec, 0, t, shape);
  std::vector<uint8_t> pattern;
  switch (t) {
    case DType::kFloat32: pattern = bytes_of<float>(value); break;
    case DType::kFloat64: pattern = bytes_of<double>(value); break;
    case DType::kInt64: pattern = bytes_of<int64_t>(value); break;
    case DType::kInt32: pattern = bytes_of<int32_t>(value); break;
    case DType::kInt8: pattern = bytes_of<int8_t>(value); break;
    case DType::kUint8: pattern = bytes_of<uint8_t>(value); break;
    case DType::kBool: pattern = {static_cast<uint8_t>(value != 0)}; break;
  }
  return std::make_unique<FillKernel>(std::move(pattern), numel(shape));
}

const bool kRegistered = register_op("Range", make_range) &&
                         register_op("ConstantOfShape", make_constant_of_shape);

}  // namespace
}  // namespace fastinfer::ops
