// Validation of numpy arguments at the binding boundary. Every check names the argument
// and what was expected; dtype mismatches raise TypeError, everything else ValueError.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace fastinfer::bindings {

namespace py = pybind11;

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (i) s += ", ";
    s += std::to_string(a.shape(i));
  }
  if (a.ndim() == 1) s += ",";
  return s + ")";
}

// Returns `obj` as a numpy array of exactly dtype T, C-contiguous and aligned.
// Never converts silently: a float64 array where float32 is expected is a TypeError.
template <typename T>
py::array_t<T> as_array(const py::handle& obj, const char* name) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(name) + " must be a numpy.ndarray of dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  }
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  if (!arr.dtype().is(py::dtype::of<T>()) && !arr.dtype().equal(py::dtype::of<T>())) {
    throw py::type_error(std::string(name) + " must have dtype " +
                         std::string(py::str(py::dtype::of<T>())) + ", got " +
                         std::string(py::str(arr.dtype())));
  }
  const int flags = py::detail::array_proxy(arr.ptr())->flags;
  if (!(flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_)) {
    throw py::value_error(std::string(name) +
                          " must be C-contiguous (use numpy.ascontiguousarray), got strides " +
                          "of a non-contiguous view with shape " + shape_str(arr));
  }
  if (!(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
    throw py::value_error(std::string(name) + " must be aligned to its item size (" +
                          std::to_string(sizeof(T)) + " bytes)");
  }
  return py::reinterpret_borrow<py::array_t<T>>(arr);
}

inline void require_ndim(const py::array& a, const char* name, int lo, int hi) {
  if (a.ndim() < lo || a.ndim() > hi) {
    std::string want =
        lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
    throw py::value_error(std::string(name) + " must have " + want + " dimensions, got shape " +
                          shape_str(a));
  }
}

// a * b with a check that the product fits the index type the kernels use.
inline int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) {
    throw py::value_error(std::string(what) + " overflows a 64-bit size");
  }
  return a * b;
}

// A (..., K) input seen as M rows of K: checks the last dim and returns M together with
// the output shape (..., N).
struct RowsView {
  int64_t m;
  std::vector<py::ssize_t> out_shape;
};

inline RowsView rows_view(const py::array& x, const char* name, int64_t k, int64_t n,
                          const char* k_source) {
  require_ndim(x, name, 1, 32);
  const py::ssize_t last = x.shape(x.ndim() - 1);
  if (last != k) {
    throw py::value_error(std::string(name) + " has shape " + shape_str(x) +
                          " but its last dimension must equal K = " + std::to_string(k) + " of " +
                          k_source);
  }
  RowsView v{1, {}};
  for (py::ssize_t i = 0; i + 1 < x.ndim(); ++i) {
    v.m = checked_mul(v.m, x.shape(i), name);
    v.out_shape.push_back(x.shape(i));
  }
  checked_mul(v.m, n, "output size");
  v.out_shape.push_back(static_cast<py::ssize_t>(n));
  return v;
}

}  // namespace fastinfer::bindings
