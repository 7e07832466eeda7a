// ConstantOfShape (a constant shape input; the 'value' attribute, a one-element tensor,
// default float32 0) and EyeLike (zeros of the input's shape with ones on diagonal k, in
// the 'dtype' attribute's type or the input's). The output dtype is the one the lowering
// gives; the value is converted to it at build time (fill_value.h).
#include <algorithm>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/generator/fill_value.h"

namespace fastinfer::ops {
namespace {

// EyeLike's diagonal: y[i, i + k] of a rows x cols matrix; none when rows is 0.
struct Diagonal {
  int64_t rows = 0, cols = 0, k = 0;
};

// Fills the output with one value, then writes `one` on the diagonal.
template <class E>
class FillKernel final : public plan::Kernel {
 public:
  FillKernel(int64_t n, E value, Diagonal d, E one) : n_(n), value_(value), d_(d), one_(one) {}

  void run(const void* const*, void* const* outputs) const override {
    E* y = static_cast<E*>(outputs[0]);
    parallel_chunks(n_, kParallelGrain,
                    [&](int64_t b, int64_t e) { std::fill(y + b, y + e, value_); });
    for (int64_t i = std::max<int64_t>(0, -d_.k); i < d_.rows && i + d_.k < d_.cols; ++i) {
      y[i * d_.cols + i + d_.k] = one_;
    }
  }

 private:
  int64_t n_;
  E value_;
  Diagonal d_;
  E one_;
};

template <class V>
std::unique_ptr<plan::Kernel> make_fill(const KernelSpec& spec, V value, Diagonal d = {}) {
  const DType t = spec.outputs[0].dtype;
  const uint64_t bits = fill_bits(t, value), one = fill_bits(t, 1);
  return visit_elem_size(plan::dtype_size(t), [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
    using E = std::remove_pointer_t<decltype(tag)>;
    return std::make_unique<FillKernel<E>>(spec.outputs[0].numel(), element_of<E>(bits), d,
                                           element_of<E>(one));
  });
}

std::unique_ptr<plan::Kernel> make_constant_of_shape(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const std::vector<int64_t> shape = constant_ints(spec, 0, "shape");
  for (int64_t d : shape) {
    if (d < 0) fail(spec, "shape " + shape_str(shape) + " has a negative dimension");
  }
  if (spec.outputs[0].shape != shape) {
    fail(spec, "output 0 is described as " + spec.outputs[0].str() + " but the shape input is " +
                   shape_str(shape));
  }
  const auto it = spec.attrs.find("value");
  if (it == spec.attrs.end()) return make_fill(spec, 0.0);
  // A one-element tensor attribute arrives as a one-element list.
  if (const auto* ints = std::get_if<std::vector<int64_t>>(&it->second);
      ints && ints->size() == 1) {
    return make_fill(spec, (*ints)[0]);
  }
  if (const auto* reals = std::get_if<std::vector<double>>(&it->second);
      reals && reals->size() == 1) {
    return make_fill(spec, (*reals)[0]);
  }
  fail(spec, "the value attribute must be a one-element tensor");
}

std::unique_ptr<plan::Kernel> make_eye_like(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const auto& in = spec.inputs[0].shape;
  if (in.size() != 2) fail(spec, "the input must be 2-D, got " + input_str(spec, 0));
  const DType t = spec.inputs[0].dtype;
  const int64_t code = plan::attr_int(spec.attrs, "dtype", static_cast<int64_t>(t));
  check_output(spec, 0, plan::dtype_from_code(static_cast<int32_t>(code)), in);
  // Past the matrix on either side there is no diagonal; clamping keeps i + k in range.
  const int64_t k = std::clamp<int64_t>(plan::attr_int(spec.attrs, "k", 0), -in[0], in[1]);
  return make_fill(spec, int64_t{0}, Diagonal{in[0], in[1], k});
}

const bool kRegistered = [] {
  register_op("ConstantOfShape", make_constant_of_shape);
  register_op("EyeLike", make_eye_like);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
