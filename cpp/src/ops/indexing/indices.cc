#include "ops/indexing/indices.h"

#include <limits>
#include <stdexcept>
#include <type_traits>

#include "ops/common/dtype_dispatch.h"

namespace fastinfer::ops {
namespace {

int64_t checked(const std::string& where, int64_t v, int64_t dim) {
  if (v < -dim || v >= dim) {
    throw std::out_of_range(where + ": index " + std::to_string(v) +
                            " is out of range for an axis of size " + std::to_string(dim));
  }
  return v < 0 ? v + dim : v;
}

std::vector<int64_t> as_int64(const void* data, plan::DType t, int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  read_as_int64(data, t, n, v.data());
  return v;
}

}  // namespace

void read_as_int64(const void* data, plan::DType t, int64_t n, int64_t* out) {
  visit_dtype<int64_t, int32_t, float, double, int8_t, uint8_t>(t, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* p = static_cast<const T*>(data);
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        // NaN and values past int64 would be UB to convert: they become the lowest int64,
        // which is out of range for every axis.
        const bool fits = p[i] > -9.2e18 && p[i] < 9.2e18;
        out[i] = fits ? static_cast<int64_t>(p[i]) : std::numeric_limits<int64_t>::min();
      } else {
        out[i] = static_cast<int64_t>(p[i]);
      }
    }
    return 0;
  });
}

std::vector<int64_t> axis_element_offsets(const std::string& where,
                                          const std::vector<int64_t>& data_shape,
                                          const std::vector<int64_t>& indices_shape, int64_t axis,
                                          const void* indices, plan::DType indices_dtype) {
  const size_t rank = data_shape.size();
  int64_t n = 1;
  for (int64_t d : indices_shape) n *= d;
  std::vector<int64_t> off = as_int64(indices, indices_dtype, n);
  std::vector<int64_t> strides(rank, 1);
  for (size_t d = rank; d-- > 1;) strides[d - 1] = strides[d] * data_shape[d];
  // Odometer over the index positions; `base` is the offset of the position with the
  // axis coordinate left out.
  std::vector<int64_t> pos(rank, 0);
  int64_t base = 0;
  const auto a = static_cast<size_t>(axis);
  for (int64_t e = 0; e < n; ++e) {
    off[e] = base + checked(where, off[e], data_shape[a]) * strides[a];
    for (size_t d = rank; d-- > 0;) {
      if (d != a) base += strides[d];
      if (++pos[d] < indices_shape[d]) break;
      if (d != a) base -= pos[d] * strides[d];
      pos[d] = 0;
    }
  }
  return off;
}

std::vector<int64_t> tuple_offsets(const std::string& where, const void* indices,
                                   plan::DType indices_dtype, int64_t n,
                                   const std::vector<int64_t>& dims,
                                   const std::vector<int64_t>& strides) {
  const auto k = static_cast<int64_t>(dims.size());
  const std::vector<int64_t> idx = as_int64(indices, indices_dtype, n * k);
  std::vector<int64_t> off(static_cast<size_t>(n), 0);
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t c = 0; c < k; ++c) off[t] += checked(where, idx[t * k + c], dims[c]) * strides[c];
  }
  return off;
}

}  // namespace fastinfer::ops
