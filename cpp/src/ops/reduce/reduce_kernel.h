// The framework behind every Reduce* op: constant axes (the 'axes' attribute before opset
// 18, the constant 'axes' input from 18), keepdims and noop_with_empty_axes, one kernel
// template parameterised by a reducer.
//
// A reducer R<T> has an accumulator type and four static functions:
//   Acc init()                    the value of the empty set
//   Acc add(Acc a, T x)           takes one element in
//   Acc combine(Acc a, Acc b)     merges two partial accumulators (rows use 16 of them)
//   T finish(Acc a, int64_t n)    the result for n reduced elements
//
// Paths, chosen at build time after merging adjacent axes:
//   (outer, R)        reduced axes last: each row reduced with 16 partial accumulators
//                     (vectorised where Acc is T; also more accurate than one running sum)
//   (outer, R, inner) reduced axes in the middle: rows of `inner` accumulated elementwise
//   general           any other pattern: the reduced offsets are listed at build time
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/copy_kernel.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"
#include "ops/common/wrap_arith.h"

namespace fastinfer::ops {

struct ReduceLayout {
  int64_t outer = 1, reduce = 1, inner = 1;  // the (outer, R, inner) paths
  bool general = false;
  // General path: output element -> input offset via kept dims; plus reduced offsets.
  std::vector<int64_t> kept_shape, kept_strides, reduce_offsets;
};

// `reduced[d]`: axis d of `shape` is reduced.
ReduceLayout make_reduce_layout(const std::vector<int64_t>& shape,
                                const std::vector<bool>& reduced);

// The element offset of every index over `shape` (row-major order) in a view with
// `strides`.
std::vector<int64_t> index_offsets(const std::vector<int64_t>& shape,
                                   const std::vector<int64_t>& strides);

// The reduced axes of a Reduce* node and its output shape; `noop` when the node asks for
// no reduction at all (empty axes with noop_with_empty_axes=1).
struct ReduceAxes {
  bool noop = false;
  std::vector<bool> reduced;
  std::vector<int64_t> out_shape;
};
ReduceAxes reduce_axes(const KernelSpec& spec);

template <class T, class R>
class ReduceKernel final : public plan::Kernel {
 public:
  using Acc = typename R::Acc;

  explicit ReduceKernel(ReduceLayout l) : l_(std::move(l)) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const T* x = static_cast<const T*>(inputs[0]);
    T* y = static_cast<T*>(outputs[0]);
    if (l_.general) {
      general(x, y);
    } else if (l_.inner == 1) {
      parallel_chunks(l_.outer,
                      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(l_.reduce, 1)),
                      [&](int64_t o0, int64_t o1) {
                        for (int64_t o = o0; o < o1; ++o) y[o] = row(x + o * l_.reduce, l_.reduce);
                      });
    } else {
      const int64_t per_outer = l_.reduce * l_.inner;
      parallel_chunks(l_.outer,
                      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per_outer, 1)),
                      [&](int64_t o0, int64_t o1) {
                        std::vector<Acc> acc(static_cast<size_t>(l_.inner));
                        for (int64_t o = o0; o < o1; ++o) {
                          columns(x + o * per_outer, y + o * l_.inner, acc.data());
                        }
                      });
    }
  }

 private:
  static T row(const T* x, int64_t n) {
    constexpr int kLanes = 16;
    Acc acc[kLanes];
    for (int j = 0; j < kLanes; ++j) acc[j] = R::init();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) acc[j] = R::add(acc[j], x[i + j]);
    }
    for (int j = 0; i < n; ++i, ++j) acc[j] = R::add(acc[j], x[i]);
    for (int w = kLanes / 2; w > 0; w /= 2) {  // pairwise combine
      for (int j = 0; j < w; ++j) acc[j] = R::combine(acc[j], acc[j + w]);
    }
    return R::finish(acc[0], n);
  }

  void columns(const T* x, T* y, Acc* acc) const {
    const int64_t inner = l_.inner;
    for (int64_t i = 0; i < inner; ++i) acc[i] = R::init();
    for (int64_t r = 0; r < l_.reduce; ++r) {
      const T* xr = x + r * inner;
      for (int64_t i = 0; i < inner; ++i) acc[i] = R::add(acc[i], xr[i]);
    }
    for (int64_t i = 0; i < inner; ++i) y[i] = R::finish(acc[i], l_.reduce);
  }

  void general(const T* x, T* y) const {
    int64_t n_out = 1;
    for (int64_t d : l_.kept_shape) n_out *= d;
    const auto n_red = static_cast<int64_t>(l_.reduce_offsets.size());
    parallel_chunks(n_out, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n_red, 1)),
                    [&](int64_t o0, int64_t o1) {
                      for (int64_t o = o0; o < o1; ++o) {
                        int64_t base = 0, rem = o;
                        for (size_t d = l_.kept_shape.size(); d-- > 0;) {
                          base += (rem % l_.kept_shape[d]) * l_.kept_strides[d];
                          rem /= l_.kept_shape[d];
                        }
                        Acc acc = R::init();
                        for (int64_t off : l_.reduce_offsets) acc = R::add(acc, x[base + off]);
                        y[o] = R::finish(acc, n_red);
                      }
                    });
  }

  ReduceLayout l_;
};

// Dtype sets for make_reduce, as bits, besides float32.
enum ReduceTypes : unsigned {
  kReduceF64 = 1,
  kReduceI32 = 2,
  kReduceI64 = 4,
  kReduceBool = 8,
  kReduceNumbers = kReduceF64 | kReduceI32 | kReduceI64,
};

// The sum of term(x) over the reduced elements, then finish(sum): ReduceSum and the ops ONNX
// defines as a function of it (L1, L2, SumSquare, LogSum). Integers wrap.
template <class T, T (*Term)(T), T (*Finish)(T)>
struct SumOfR {
  using Acc = T;
  static T init() { return T(0); }
  static T add(T a, T x) { return wrap_add(a, Term(x)); }
  static T combine(T a, T b) { return wrap_add(a, b); }
  static T finish(T a, int64_t) { return Finish(a); }
};
template <class T>
T same(T x) {
  return x;
}

bool reduce_type_in(unsigned types, DType t);
// Throws "<where>: int8 input 0 is not supported (float32, ...)".
[[noreturn]] void fail_reduce_dtype(const KernelSpec& spec, unsigned types);

// A Reduce* kernel for the dtypes in `kTypes` (float32 is always among them); bool
// inputs (one byte, 0 or 1) use BoolR.
template <template <class> class R, unsigned kTypes, template <class> class BoolR = R>
std::unique_ptr<plan::Kernel> make_reduce(const KernelSpec& spec) {
  check_arity(spec, 1, 2, 1, 1);
  const DType t = spec.inputs[0].dtype;
  if (!reduce_type_in(kTypes, t)) fail_reduce_dtype(spec, kTypes);
  ReduceAxes axes = reduce_axes(spec);
  if (axes.noop) return make_copy_kernel(spec.inputs[0].nbytes());
  ReduceLayout layout = make_reduce_layout(spec.inputs[0].shape, axes.reduced);
  if (layout.general && layout.reduce_offsets.size() > (size_t{1} << 24)) {
    fail(spec, "this reduction pattern over more than 2^24 elements per output is not supported");
  }
  if constexpr ((kTypes & kReduceF64) != 0) {
    if (t == DType::kFloat64)
      return std::make_unique<ReduceKernel<double, R<double>>>(std::move(layout));
  }
  if constexpr ((kTypes & kReduceI32) != 0) {
    if (t == DType::kInt32)
      return std::make_unique<ReduceKernel<int32_t, R<int32_t>>>(std::move(layout));
  }
  if constexpr ((kTypes & kReduceI64) != 0) {
    if (t == DType::kInt64)
      return std::make_unique<ReduceKernel<int64_t, R<int64_t>>>(std::move(layout));
  }
  if constexpr ((kTypes & kReduceBool) != 0) {
    if (t == DType::kBool)
      return std::make_unique<ReduceKernel<uint8_t, BoolR<uint8_t>>>(std::move(layout));
  }
  return std::make_unique<ReduceKernel<float, R<float>>>(std::move(layout));
}

}  // namespace fastinfer::ops
