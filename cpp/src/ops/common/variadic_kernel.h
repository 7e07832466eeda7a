// Ops over N inputs with numpy broadcasting (Max, Min, Sum, Mean): the first two inputs are
// combined into the output, then each further input is folded into it in place (the
// output already has the final shape, so every element reads only its own position).
#pragma once

#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "ops/common/binary_kernel.h"
#include "ops/common/broadcast.h"
#include "ops/common/copy_kernel.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/type_set.h"

namespace fastinfer::ops {

template <class T, class Op>
class VariadicKernel final : public plan::Kernel {
 public:
  explicit VariadicKernel(std::vector<Broadcast> steps) : steps_(std::move(steps)) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    T* y = static_cast<T*>(outputs[0]);
    for (size_t k = 0; k < steps_.size(); ++k) {
      const Broadcast& bc = steps_[k];
      const T* a = k == 0 ? static_cast<const T*>(inputs[0]) : y;
      const T* b = static_cast<const T*>(inputs[k + 1]);
      const int64_t sa = bc.inner_stride(0), sb = bc.inner_stride(1);
      parallel_chunks(bc.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
        bc.for_segments(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
          const Op op;  // no restrict here: a may be y
          for (int64_t i = 0; i < n; ++i) y[o + i] = op(a[off[0] + i * sa], b[off[1] + i * sb]);
        });
      });
    }
  }

 private:
  std::vector<Broadcast> steps_;
};

// Checks that every input has input 0's dtype and that they broadcast to output 0, and
// returns one broadcast per fold step (none for a single input).
std::vector<Broadcast> variadic_steps(const KernelSpec& spec);

// Op<T> folded over 1 to 1024 inputs of a dtype in kSet: a copy for one input, the
// vectorised BinaryKernel for two.
template <template <class> class Op, TypeSet kSet>
std::unique_ptr<plan::Kernel> make_variadic(const KernelSpec& spec) {
  check_arity(spec, 1, 1024, 1, 1);
  if (spec.inputs.size() == 2) return make_binary<Op, kSet>(spec);
  check_dtype_set(spec, 0, kSet);
  std::vector<Broadcast> steps = variadic_steps(spec);
  if (steps.empty()) return make_copy_kernel(spec.inputs[0].nbytes());
  return dispatch<kSet>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<VariadicKernel<T, Op<T>>>(std::move(steps));
  });
}

}  // namespace fastinfer::ops
