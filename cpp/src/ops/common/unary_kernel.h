// An elementwise kernel over one input, parameterised by a functor that may carry the op's
// attributes (Elu's alpha, ...). The output type is what the functor returns, so IsNaN
// (float -> bool) uses the same loop.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "fastinfer/plan.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/type_set.h"

namespace fastinfer::ops {

template <class T, class Op, class R = std::invoke_result_t<const Op&, T>>
class UnaryKernel final : public plan::Kernel {
 public:
  explicit UnaryKernel(int64_t n, Op op = Op{}) : n_(n), op_(std::move(op)) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    R* y = static_cast<R*>(outputs[0]);
    // libm calls cost ~10-20 ns each, so even moderate tensors are worth splitting.
    parallel_chunks(n_, kParallelGrain / 8, [&](int64_t begin, int64_t end) {
      // Local restrict copies: with -fno-strict-aliasing a store through y could change
      // the captured pointers (and the functor's parameters), which would stop the loop
      // from vectorising.
      const T* __restrict xs = x;
      R* __restrict ys = y;
      const Op op = op_;
      for (int64_t i = begin; i < end; ++i) ys[i] = op(xs[i]);
    });
  }

 private:
  int64_t n_;
  Op op_;
};

// Checks a one-input, one-output op on a dtype in `set` whose output has input 0's shape
// and dtype `out` (input 0's dtype when nullptr).
void check_unary(const KernelSpec& spec, TypeSet set, const DType* out = nullptr);

// The kernel of a same-dtype op Op<T> built from the op's (double) attribute values, for
// input 0's dtype in kSet: make_unary<EluOp, TypeSet::kFloat>(spec, alpha).
template <template <class> class Op, TypeSet kSet, class... Params>
std::unique_ptr<plan::Kernel> make_unary(const KernelSpec& spec, Params... params) {
  check_unary(spec, kSet);
  return dispatch<kSet>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<UnaryKernel<T, Op<T>>>(spec.inputs[0].numel(),
                                                   Op<T>{static_cast<T>(params)...});
  });
}

// The factory of an op without attributes: register_op("Sin", make_plain_unary<SinOp, ...>).
template <template <class> class Op, TypeSet kSet>
std::unique_ptr<plan::Kernel> make_plain_unary(const KernelSpec& spec) {
  return make_unary<Op, kSet>(spec);
}

}  // namespace fastinfer::ops
