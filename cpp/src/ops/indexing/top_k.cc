// TopK along one axis with a constant k (input 1, one int64): the k largest (or, with
// largest=0, smallest) elements of each slice and their int64 indices. Output order is
// always sorted (with sorted=0 the spec leaves it open); equal values keep the lower index
// first, as the spec says. NaN counts as larger than every number (first among the
// largest, last among the smallest), as numpy's sort order gives.
#include <algorithm>
#include <memory>
#include <numeric>
#include <vector>

#include "ops/common/axis_split.h"
#include "ops/common/dtype_dispatch.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

template <class T>
bool nan_last_less(T a, T b) {  // a strict weak order with NaN after every number
  if (b != b) return a == a;
  return a < b;
}

template <class T>
class TopKKernel final : public plan::Kernel {
 public:
  TopKKernel(AxisSplit s, int64_t k, bool largest) : s_(s), k_(k), largest_(largest) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* values = static_cast<T*>(outputs[0]);
    auto* indices = static_cast<int64_t*>(outputs[1]);
    const int64_t n = s_.n, inner = s_.inner, k = k_;
    const int64_t slices = s_.outer * inner;
    parallel_chunks(slices, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
                    [&](int64_t s0, int64_t s1) {
                      std::vector<int64_t> order(static_cast<size_t>(n));
                      for (int64_t s = s0; s < s1; ++s) {
                        const int64_t o = s / inner, j = s % inner;
                        const T* xs = x + o * n * inner + j;
                        auto before = [&](int64_t a, int64_t b) {
                          const T va = xs[a * inner], vb = xs[b * inner];
                          if (largest_ ? nan_last_less(vb, va) : nan_last_less(va, vb)) return true;
                          if (largest_ ? nan_last_less(va, vb) : nan_last_less(vb, va))
                            return false;
                          return a < b;
                        };
                        std::iota(order.begin(), order.end(), int64_t{0});
                        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
                        const int64_t base = o * k * inner + j;
                        for (int64_t r = 0; r < k; ++r) {
                          values[base + r * inner] = xs[order[r] * inner];
                          indices[base + r * inner] = order[r];
                        }
                      }
                    });
  }

 private:
  AxisSplit s_;
  int64_t k_;
  bool largest_;
};

std::unique_ptr<plan::Kernel> make_top_k(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 2, 2);
  check_dtype(spec, 0,
              {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
               DType::kUint8});
  const auto& in = spec.inputs[0].shape;
  const int64_t axis = axis_attr(spec, -1);
  const std::vector<int64_t> k = constant_ints(spec, 1, "k");
  if (k.size() != 1) fail(spec, "k must hold one value, got " + shape_str(k));
  if (k[0] < 0 || k[0] > in[axis]) {
    fail(spec, "k " + std::to_string(k[0]) + " must be in [0, " + std::to_string(in[axis]) +
                   "] (the size of axis " + std::to_string(axis) + ")");
  }
  std::vector<int64_t> out = in;
  out[axis] = k[0];
  check_output(spec, 0, spec.inputs[0].dtype, out);
  check_output(spec, 1, DType::kInt64, out);
  const bool largest = plan::attr_int(spec.attrs, "largest", 1) != 0;
  const AxisSplit s(in, axis);
  return visit_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(
      spec.inputs[0].dtype, [&](auto* tag) -> std::unique_ptr<plan::Kernel> {
        using T = std::remove_pointer_t<decltype(tag)>;
        return std::make_unique<TopKKernel<T>>(s, k[0], largest);
      });
}

const bool kRegistered = register_op("TopK", make_top_k);

}  // namespace
}  // namespace fastinfer::ops
