#include <string>
#include <utility>
#include <vector>

#include "ops/reduce/reduce_kernel.h"

namespace fastinfer::ops {

std::vector<int64_t> index_offsets(const std::vector<int64_t>& shape,
                                   const std::vector<int64_t>& strides) {
  std::vector<int64_t> offsets{0};
  for (size_t d = shape.size(); d-- > 0;) {
    std::vector<int64_t> next;
    next.reserve(offsets.size() * static_cast<size_t>(shape[d]));
    for (int64_t i = 0; i < shape[d]; ++i) {
      for (int64_t off : offsets) next.push_back(off + i * strides[d]);
    }
    offsets.swap(next);
  }
  // Built from the last axis outwards, so the first axis varies slowest: row-major.
  return offsets;
}

ReduceLayout make_reduce_layout(const std::vector<int64_t>& shape, const std::vector<bool>& red) {
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
  ReduceLayout l;
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
  l.reduce_offsets = index_offsets(red_shape, red_strides);
  return l;
}

ReduceAxes reduce_axes(const KernelSpec& spec) {
  const auto& in = spec.inputs[0].shape;
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> axes =
      present(spec, 1) ? constant_ints(spec, 1, "axes") : plan::attr_ints(spec.attrs, "axes", {});
  const bool keepdims = plan::attr_int(spec.attrs, "keepdims", 1) != 0;
  ReduceAxes r;
  if (axes.empty() && plan::attr_int(spec.attrs, "noop_with_empty_axes", 0) != 0) {
    check_output(spec, 0, spec.inputs[0].dtype, in);
    r.noop = true;
    return r;
  }
  r.reduced.assign(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    const int64_t d = normalize_axis(spec, a, rank, "axis");
    if (r.reduced[d]) fail(spec, "axis " + std::to_string(a) + " is repeated");
    r.reduced[d] = true;
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (!r.reduced[d]) {
      r.out_shape.push_back(in[d]);
    } else if (keepdims) {
      r.out_shape.push_back(1);
    }
  }
  check_output(spec, 0, spec.inputs[0].dtype, r.out_shape);
  return r;
}

namespace {
const std::pair<unsigned, DType> kTypeBits[] = {{kReduceF64, DType::kFloat64},
                                                {kReduceI32, DType::kInt32},
                                                {kReduceI64, DType::kInt64},
                                                {kReduceBool, DType::kBool}};
}  // namespace

bool reduce_type_in(unsigned types, DType t) {
  if (t == DType::kFloat32) return true;
  for (const auto& [bit, dt] : kTypeBits) {
    if (dt == t) return (types & bit) != 0;
  }
  return false;
}

void fail_reduce_dtype(const KernelSpec& spec, unsigned types) {
  std::string list = plan::dtype_name(DType::kFloat32);
  for (const auto& [bit, dt] : kTypeBits) {
    if (types & bit) list += ", " + std::string(plan::dtype_name(dt));
  }
  fail(spec, std::string(plan::dtype_name(spec.inputs[0].dtype)) + " input 0 is not supported (" +
                 list + ")");
}

}  // namespace fastinfer::ops
