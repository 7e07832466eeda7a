// A broadcasting elementwise kernel over two inputs, parameterised by a functor. The
// inner loops are written per stride pattern (both contiguous, one side fixed) so the
// compiler vectorises the common cases: equal shapes, a scalar operand, and a trailing
// vector such as a bias or LayerNorm gamma.
#pragma once

#include <memory>
#include <vector>

#include "fastinfer/plan.h"
#include "ops/common/broadcast.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/type_set.h"

namespace fastinfer::ops {

// T and TB: the input types (they differ only for Pow's exponent); R: the output type.
template <class T, class R, class Op, class TB = T>
class BinaryKernel final : public plan::Kernel {
 public:
  explicit BinaryKernel(Broadcast bc) : bc_(std::move(bc)) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* a = static_cast<const T*>(inputs[0]);
    const TB* b = static_cast<const TB*>(inputs[1]);
    R* y = static_cast<R*>(outputs[0]);
    const int64_t sa = bc_.inner_stride(0), sb = bc_.inner_stride(1);
    parallel_chunks(bc_.numel(), kParallelGrain, [&](int64_t begin, int64_t end) {
      bc_.for_segments(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
        segment(a + off[0], sa, b + off[1], sb, y + o, n);
      });
    });
  }

 private:
  static void segment(const T* __restrict a, int64_t sa, const TB* __restrict b, int64_t sb,
                      R* __restrict y, int64_t n) {
    const Op op;
    if (sa && sb) {
      for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
    } else if (sa) {
      const TB bv = *b;
      for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], bv);
    } else if (sb) {
      const T av = *a;
      for (int64_t i = 0; i < n; ++i) y[i] = op(av, b[i]);
    } else {
      const R v = op(*a, *b);
      for (int64_t i = 0; i < n; ++i) y[i] = v;
    }
  }

  Broadcast bc_;
};

// Checks two inputs (of the same dtype unless `same_dtype` is false) that broadcast to
// output 0 (dtype `out`, or input 0's dtype when `out` is nullptr) and returns the
// resolved broadcast.
Broadcast binary_broadcast(const KernelSpec& spec, const DType* out, bool same_dtype = true);

// BinaryKernel<T, T, Op<T>> for two inputs of one dtype in kSet, the output of that dtype.
template <template <class> class Op, TypeSet kSet>
std::unique_ptr<plan::Kernel> make_binary(const KernelSpec& spec) {
  check_arity(spec, 2, 2, 1, 1);
  check_dtype_set(spec, 0, kSet);
  Broadcast bc = binary_broadcast(spec, nullptr);
  return dispatch<kSet>(spec.inputs[0].dtype, [&](auto t) {
    using T = decltype(t);
    return std::make_unique<BinaryKernel<T, T, Op<T>>>(std::move(bc));
  });
}

}  // namespace fastinfer::ops
