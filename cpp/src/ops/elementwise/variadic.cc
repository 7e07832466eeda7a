// Sum and Mean over 1 to 1024 float32/float64 inputs with numpy broadcasting. Mean sums in
// input order, then divides by the count (numpy's (a + b + c) / 3).
#include <cstdint>
#include <memory>
#include <utility>

#include "ops/common/variadic_kernel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct SumOp {
  T operator()(T a, T b) const { return a + b; }
};

template <class T>
class MeanKernel final : public plan::Kernel {
 public:
  MeanKernel(std::unique_ptr<plan::Kernel> sum, int64_t n, T count)
      : sum_(std::move(sum)), n_(n), count_(count) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    sum_->run(inputs, outputs);
    T* y = static_cast<T*>(outputs[0]);
    parallel_chunks(n_, kParallelGrain, [&](int64_t begin, int64_t end) {
      T* __restrict ys = y;  // restrict local: see unary_kernel.h
      const T count = count_;
      for (int64_t i = begin; i < end; ++i) ys[i] /= count;
    });
  }

 private:
  std::unique_ptr<plan::Kernel> sum_;
  int64_t n_;
  T count_;
};

std::unique_ptr<plan::Kernel> make_mean(const KernelSpec& spec) {
  auto sum = make_variadic<SumOp, TypeSet::kFloat>(spec);
  const size_t count = spec.inputs.size();
  if (count == 1) return sum;  // a copy
  return dispatch<TypeSet::kFloat>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<MeanKernel<T>>(std::move(sum), spec.outputs[0].numel(),
                                           static_cast<T>(count));
  });
}

const bool kRegistered = [] {
  register_op("Sum", make_variadic<SumOp, TypeSet::kFloat>);
  register_op("Mean", make_mean);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
