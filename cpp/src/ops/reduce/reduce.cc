// ReduceSum, ReduceMean, ReduceMax, ReduceMin over constant axes: the 'axes' attribute
// (opset < 18, except ReduceSum which moved to an input in 13) or the constant 'axes'
// input (opset >= 18); keepdims; noop_with_empty_axes.
//
// Paths, chosen at build time after merging adjacent axes:
//   (outer, R)        reduced axes last: each row reduced with 16 partial accumulators
//                     (vectorised; also more accurate than one running sum)
//   (outer, R, inner) reduced axes in the middle: rows of `inner` accumulated elementwise
//   general           any other pattern: the reduced offsets are listed at build time
// Reducing an empty set gives 0 (Sum), NaN (Mean), -inf / +inf (Max / Min; the lowest /
// highest value for integers).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "ops/common/copy_kernel.h"
#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

template <class T>
struct SumR {
  static T init() { return T(0); }
  static T add(T a, T x) {
    if constexpr (std::is_integral_v<T>) {  // wraps like Add instead of signed overflow UB
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(x));
    }
    return a + x;
  }
  static T finish(T a, int64_t) { return a; }
};
template <class T>
struct MeanR {
  static T init() { return T(0); }
  static T add(T a, T x) { return a + x; }
  static T finish(T a, int64_t n) { return a / static_cast<T>(n); }
};
template <class T>
struct MaxR {
  static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
  }
  static T add(T a, T x) { return (a < x || x != x) ? x : a; }  // NaN wins, as in numpy
  static T finish(T a, int64_t) { return a; }
};
template <class T>
struct MinR {
  static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
  }
  static T add(T a, T x) { return (x < a || x != x) ? x : a; }
  static T finish(T a, int64_t) { return a; }
};

// bool (one byte, 0 or 1; opset 20): ReduceMax is "any", ReduceMin is "all"; the empty
// set gives false and true.
template <class>
struct AnyR {
  static uint8_t init() { return 0; }
  static uint8_t add(uint8_t a, uint8_t x) { return a | (x != 0); }
  static uint8_t finish(uint8_t a, int64_t) { return a; }
};
template <class>
struct AllR {
  static uint8_t init() { return 1; }
  static uint8_t add(uint8_t a, uint8_t x) { return a & (x != 0); }
  static uint8_t finish(uint8_t a, int64_t) { return a; }
};

struct Layout {
  int64_t outer = 1, reduce = 1, inner = 1;  // the (outer, R, inner) paths
  bool general = false;
  // General path: output element -> input offset via kept dims; plus reduced offsets.
  std::vector<int64_t> kept_shape, kept_strides, reduce_offsets;
};

template <class T, class R>
class ReduceKernel final : public plan::Kernel {
 public:
  explicit ReduceKernel(Layout l) : l_(std::move(l)) {}

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
                        for (int64_t o = o0; o < o1; ++o) {
                          columns(x + o * per_outer, y + o * l_.inner);
                        }
                      });
    }
  }

 private:
  static T row(const T* x, int64_t n) {
    constexpr int kLanes = 16;
    T acc[kLanes];
    for (int j = 0; j < kLanes; ++j) acc[j] = R::init();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) acc[j] = R::add(acc[j], x[i + j]);
    }
    for (int j = 0; i < n; ++i, ++j) acc[j] = R::add(acc[j], x[i]);
    for (int w = kLanes / 2; w > 0; w /= 2) {  // pairwise combine
      for (int j = 0; j < w; ++j) acc[j] = R::add(acc[j], acc[j + w]);
    }
    return R::finish(acc[0], n);
  }

  void columns(const T* x, T* y) const {
    const int64_t inner = l_.inner;
    for (int64_t i = 0; i < inner; ++i) y[i] = R::init();
    for (int64_t r = 0; r < l_.reduce; ++r) {
      const T* xr = x + r * inner;
      for (int64_t i = 0; i < inner; ++i) y[i] = R::add(y[i], xr[i]);
    }
    for (int64_t i = 0; i < inner; ++i) y[i] = R::finish(y[i], l_.reduce);
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
                        T acc = R::init();
                        for (int64_t off : l_.reduce_offsets) acc = R::add(acc, x[base + off]);
                        y[o] = R::finish(acc, n_red);
                      }
                    });
  }

  Layout l_;
};

Layout make_layout(const std::vector<int64_t>& shape, const std::vector<bool>& red) {
  // Merge adjacent dims with the same role, dropping size-1 dims (they change nothing).
  std::vector<int64_t> dims;
  std::vector<bool> roles;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!dims.empty() && roles.back() == red[d]) {
      dims.back() *= shape[d];
    } else {
      dims.push_back(shape[d]);
      roles.push_back(red[d]);
    }
  }
  Layout l;
  const size_t n = dims.size();
  if (n == 0) return l;
  int reduced_groups = 0;
  for (bool r : roles) reduced_groups += r;
  if (reduced_groups == 0) {
    l.outer = numel(dims);
    return l;
  }
  if (reduced_groups == 1) {
    size_t k = 0;
    while (!roles[k]) ++k;
    for (size_t d = 0; d < k; ++d) l.outer *= dims[d];
    l.reduce = dims[k];
    for (size_t d = k + 1; d < n; ++d) l.inner *= dims[d];
    return l;
  }
  l.general = true;
  std::vector<int64_t> strides(n);
  int64_t s = 1;
  for (size_t d = n; d-- > 0;) {
    strides[d] = s;
    s *= dims[d];
  }
  std::vector<int64_t> red_shape, red_strides;
  for (size_t d = 0; d < n; ++d) {
    auto& sh = roles[d] ? red_shape : l.kept_shape;
    auto& st = roles[d] ? red_strides : l.kept_strides;
    sh.push_back(dims[d]);
    st.push_back(strides[d]);
  }
  l.reduce_offsets.push_back(0);
  for (size_t d = red_shape.size(); d-- > 0;) {
    std::vector<int64_t> next;
    for (int64_t i = 0; i < red_shape[d]; ++i) {
      for (int64_t off : l.reduce_offsets) next.push_back(off + i * red_strides[d]);
    }
    l.reduce_offsets.swap(next);
  }
  return l;
}

template <template <class> class R, template <class> class BoolR = R>
std::unique_ptr<plan::Kernel> make_reduce(const KernelSpec& spec, bool ints, bool bools = false) {
  check_arity(spec, 1, 2, 1, 1);
  if (bools) {
    check_dtype(spec, 0, {DType::kFloat32, DType::kInt32, DType::kInt64, DType::kBool});
  } else if (ints) {
    check_dtype(spec, 0, {DType::kFloat32, DType::kInt32, DType::kInt64});
  } else {
    check_dtype(spec, 0, {DType::kFloat32});
  }
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes =
      present(spec, 1) ? constant_ints(spec, 1, "axes") : plan::attr_ints(spec.attrs, "axes", {});
  const bool keepdims = plan::attr_int(spec.attrs, "keepdims", 1) != 0;
  const bool noop = plan::attr_int(spec.attrs, "noop_with_empty_axes", 0) != 0;
  if (axes.empty() && noop) {
    check_output(spec, 0, spec.inputs[0].dtype, in);
    return make_copy_kernel(spec.inputs[0].nbytes());
  }
  std::vector<bool> red(rank, axes.empty());
  for (int64_t a : axes) {
    const int64_t d = normalize_axis(spec, a, rank, "axis");
    if (red[d]) fail(spec, "axis " + std::to_string(a) + " is repeated");
    red[d] = true;
  }
  std::vector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!red[d]) {
      out.push_back(in[d]);
    } else if (keepdims) {
      out.push_back(1);
    }
  }
  check_output(spec, 0, spec.inputs[0].dtype, out);
  Layout layout = make_layout(in, red);
  if (layout.general && layout.reduce_offsets.size() > (size_t{1} << 24)) {
    fail(spec, "this reduction pattern over more than 2^24 elements per output is not supported");
  }
  switch (spec.inputs[0].dtype) {
    case DType::kInt32:
      return std::make_unique<ReduceKernel<int32_t, R<int32_t>>>(std::move(layout));
    case DType::kInt64:
      return std::make_unique<ReduceKernel<int64_t, R<int64_t>>>(std::move(layout));
    case DType::kBool:
      return std::make_unique<ReduceKernel<uint8_t, BoolR<uint8_t>>>(std::move(layout));
    default:
      return std::make_unique<ReduceKernel<float, R<float>>>(std::move(layout));
  }
}

const bool kRegistered = [] {
  register_op("ReduceSum", [](const KernelSpec& s) { return make_reduce<SumR>(s, true); });
  register_op("ReduceMean", [](const KernelSpec& s) { return make_reduce<MeanR>(s, false); });
  register_op("ReduceMax",
              [](const KernelSpec& s) { return make_reduce<MaxR, AnyR>(s, true, true); });
  register_op("ReduceMin",
              [](const KernelSpec& s) { return make_reduce<MinR, AllR>(s, true, true); });
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
