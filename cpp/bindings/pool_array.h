// numpy arrays whose memory comes from a Pool: the helper kernels use for their outputs.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "fastinfer/pool.h"

namespace fastinfer::bindings {

namespace py = pybind11;

// numpy's limit on dimensions (NPY_MAXDIMS is 32 in numpy 1.x; 2.x allows 64).
constexpr size_t kMaxNdim = 32;

// Bytes for `shape` of items of `itemsize`, with a ValueError naming the shape when a
// dimension is negative or the product overflows.
inline size_t pooled_nbytes(const std::vector<py::ssize_t>& shape, py::ssize_t itemsize) {
  if (shape.size() > kMaxNdim) {
    throw py::value_error("shape has " + std::to_string(shape.size()) + " dimensions; at most " +
                          std::to_string(kMaxNdim) + " are supported");
  }
  int64_t nbytes = itemsize;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      throw py::value_error("shape[" + std::to_string(i) + "] must be >= 0, got " +
                            std::to_string(shape[i]));
    }
    if (shape[i] != 0 && nbytes > std::numeric_limits<int64_t>::max() / shape[i]) {
      std::string dims = "(";
      for (size_t j = 0; j < shape.size(); ++j) dims += std::to_string(shape[j]) + ", ";
      dims.resize(dims.size() - 2);
      throw py::value_error("shape " + dims + (shape.size() == 1 ? ",)" : ")") + " of " +
                            std::to_string(itemsize) + "-byte items overflows a 64-bit size");
    }
    nbytes *= shape[i];
  }
  return static_cast<size_t>(nbytes);
}

// An uninitialised C-contiguous array of `dtype` and `shape` in a block from `pool`. The
// array's base is a capsule that owns the block, so the array and every view of it keep the
// block out of the pool until the last of them is gone (numpy views hold their base).
// Throws TypeError for dtypes holding Python objects (uninitialised pointers would crash),
// ValueError for bad or overflowing shapes, MemoryError when the OS refuses.
inline py::array pooled_array(const py::dtype& dtype, const std::vector<py::ssize_t>& shape,
                              Pool& pool = default_pool()) {
  if (dtype.attr("hasobject").cast<bool>()) {
    throw py::type_error("dtype " + std::string(py::str(dtype)) +
                         " holds Python objects; pooled arrays are uninitialised memory");
  }
  const size_t nbytes = pooled_nbytes(shape, dtype.itemsize());
  PoolBuffer block;
  try {
    block = pool.allocate(nbytes);
  } catch (const std::bad_alloc&) {
    // pybind11 would say only "std::bad_alloc"; say how much was asked for.
    PyErr_SetString(PyExc_MemoryError,
                    ("cannot allocate " + std::to_string(nbytes) + " bytes for an array").c_str());
    throw py::error_already_set();
  }
  void* data = block.data();
  auto* owned = new PoolBuffer(std::move(block));
  py::capsule base;
  try {
    base = py::capsule(owned, [](void* p) { delete static_cast<PoolBuffer*>(p); });
  } catch (...) {
    delete owned;
    throw;
  }
  // With a base given, pybind11 wraps `data` without copying; on failure the capsule frees.
  return py::array(dtype, shape, data, base);
}

}  // namespace fastinfer::bindings
