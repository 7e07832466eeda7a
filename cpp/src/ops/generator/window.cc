// HannWindow, HammingWindow and BlackmanWindow (opset 17): size (input 0, a constant
// int32/int64 scalar) samples of the window, periodic (denominator size, the default) or
// symmetric (size - 1), in the output_datatype attribute's type (default float32):
//   Hann      0.5 - 0.5 cos(2 pi n / D)
//   Hamming   25/46 - 21/46 cos(2 pi n / D)
//   Blackman  0.42 - 0.5 cos(2 pi n / D) + 0.08 cos(4 pi n / D)
// A single symmetric sample is 1, as numpy.hanning(1) and torch give. The samples are
// computed in double once, at build time; run() copies them.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"

namespace fastinfer::ops {
namespace {

class ConstantOutputKernel final : public plan::Kernel {
 public:
  explicit ConstantOutputKernel(std::vector<char> bytes) : bytes_(std::move(bytes)) {}
  void run(const void* const*, void* const* outputs) const override {
    std::memcpy(outputs[0], bytes_.data(), bytes_.size());
  }

 private:
  std::vector<char> bytes_;
};

enum class Window { kHann, kHamming, kBlackman };

double sample(Window w, double n, double d) {
  if (d == 0) return 1.0;  // one symmetric sample: the window's peak (0/0 in the formula)
  constexpr double kPi = 3.14159265358979323846;
  const double c = std::cos(2 * kPi * n / d);
  switch (w) {
    case Window::kHann:
      return 0.5 - 0.5 * c;
    case Window::kHamming:
      return 25.0 / 46.0 - (21.0 / 46.0) * c;
    default:
      return 0.42 - 0.5 * c + 0.08 * std::cos(4 * kPi * n / d);
  }
}

template <Window kWindow>
std::unique_ptr<plan::Kernel> make_window(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kInt64, DType::kInt32});
  const std::vector<int64_t> size = constant_ints(spec, 0, "size");
  if (size.size() != 1 || size[0] < 0) {
    fail(spec, "size must be one non-negative value, got " + shape_str(size));
  }
  const int64_t n = size[0];
  const DType t =
      plan::dtype_from_code(static_cast<int32_t>(plan::attr_int(spec.attrs, "output_datatype", 1)));
  check_output(spec, 0, t, {n});
  const double d = static_cast<double>(plan::attr_int(spec.attrs, "periodic", 1) ? n : n - 1);
  std::vector<char> bytes(static_cast<size_t>(spec.outputs[0].nbytes()));
  visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(t, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* y = reinterpret_cast<T*>(bytes.data());
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(sample(kWindow, double(i), d));
    return 0;
  });
  return std::make_unique<ConstantOutputKernel>(std::move(bytes));
}

const bool kRegistered = [] {
  register_op("HannWindow", make_window<Window::kHann>);
  register_op("HammingWindow", make_window<Window::kHamming>);
  register_op("BlackmanWindow", make_window<Window::kBlackman>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
