// Conversions shared by the plan bindings (plan.cc, poly_plan.cc): numpy dtypes to plan
// dtypes, Python attribute values, and running a static plan on numpy arrays.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings/array_checks.h"
#include "bindings/pool_array.h"
#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"

namespace fastinfer::bindings {

namespace py = pybind11;
using plan::Attrs;
using plan::AttrValue;
using plan::DType;

using plan::Attrs;
using plan::AttrValue;
using plan::DType;
using plan::Plan;
using plan::TensorDesc;

inline DType dtype_of(const py::dtype& dt, const std::string& what) {
  const char kind = dt.kind();
  const py::ssize_t size = dt.itemsize();
  if (kind == 'f' && size == 4) return DType::kFloat32;
  if (kind == 'f' && size == 8) return DType::kFloat64;
  if (kind == 'i' && size == 8) return DType::kInt64;
  if (kind == 'i' && size == 4) return DType::kInt32;
  if (kind == 'i' && size == 1) return DType::kInt8;
  if (kind == 'u' && size == 1) return DType::kUint8;
  if (kind == 'b' && size == 1) return DType::kBool;
  throw py::type_error(what + " has dtype " + std::string(py::str(dt)) +
                       ", which the native backend does not support");
}

inline py::dtype numpy_dtype(DType t) {
  switch (t) {
    case DType::kFloat32:
      return py::dtype::of<float>();
    case DType::kFloat64:
      return py::dtype::of<double>();
    case DType::kInt64:
      return py::dtype::of<int64_t>();
    case DType::kInt32:
      return py::dtype::of<int32_t>();
    case DType::kInt8:
      return py::dtype::of<int8_t>();
    case DType::kUint8:
      return py::dtype::of<uint8_t>();
    case DType::kBool:
      return py::dtype::of<bool>();
  }
  throw py::type_error("unknown dtype");
}

inline plan::TensorDesc desc_of(int32_t code, const std::vector<int64_t>& shape) {
  return plan::TensorDesc{plan::dtype_from_code(code), shape};
}

inline AttrValue attr_value(const std::string& name, const py::handle& v) {
  if (py::isinstance<py::bool_>(v)) return static_cast<int64_t>(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) return v.cast<int64_t>();
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(v);
    bool all_int = true;
    for (py::handle item : seq) {
      if (!py::isinstance<py::int_>(item)) all_int = false;
    }
    if (all_int) return v.cast<std::vector<int64_t>>();
    return v.cast<std::vector<double>>();
  }
  throw py::type_error("attribute '" + name + "' has unsupported type " +
                       std::string(py::str(py::type::handle_of(v).attr("__name__"))));
}

inline Attrs attrs_of(const py::dict& d) {
  Attrs out;
  for (auto kv : d) {
    const std::string name = py::str(kv.first);
    out[name] = attr_value(name, kv.second);
  }
  return out;
}

// Runs `p` on numpy inputs (validated against the plan's descs); returns the outputs, or
// (outputs, per-step seconds) when profile. The GIL is released while the steps run, on
// `pool` when given (the model's own threads; the call may wait for another thread's run
// on it), else on the process default pool.
inline py::object run_plan(const plan::Plan& p, const py::sequence& inputs, bool profile,
                           ThreadPool* pool = nullptr) {
  if (static_cast<int>(py::len(inputs)) != p.num_inputs()) {
    throw py::value_error("plan expects " + std::to_string(p.num_inputs()) + " inputs, got " +
                          std::to_string(py::len(inputs)));
  }
  std::vector<py::array> keep;
  std::vector<const void*> in;
  for (int i = 0; i < p.num_inputs(); ++i) {
    const plan::TensorDesc& d = p.desc(p.input_tensor(i));
    const std::string& nm = p.tensor_name(p.input_tensor(i));
    py::handle obj = inputs[static_cast<size_t>(i)];
    if (!py::isinstance<py::array>(obj)) {
      throw py::type_error("input '" + nm + "' must be a numpy.ndarray");
    }
    py::array arr = py::reinterpret_borrow<py::array>(obj);
    if (dtype_of(arr.dtype(), "input '" + nm + "'") != d.dtype) {
      throw py::type_error("input '" + nm + "' must have dtype " + plan::dtype_name(d.dtype) +
                           ", got " + std::string(py::str(arr.dtype())));
    }
    std::vector<int64_t> shape(arr.shape(), arr.shape() + arr.ndim());
    if (shape != d.shape) {
      throw py::value_error("input '" + nm + "' must have shape " + d.str() + ", got " +
                            shape_str(arr));
    }
    arr = py::array::ensure(arr, py::array::c_style | py::array::forcecast);
    keep.push_back(arr);
    in.push_back(arr.data());
  }
  py::list outputs;
  std::vector<void*> out;
  for (int i = 0; i < p.num_outputs(); ++i) {
    const plan::TensorDesc& d = p.desc(p.output_tensor(i));
    std::vector<py::ssize_t> shape(d.shape.begin(), d.shape.end());
    py::array arr = pooled_array(numpy_dtype(d.dtype), shape);
    out.push_back(arr.mutable_data());
    outputs.append(arr);
  }
  std::vector<double> seconds;
  {
    py::gil_scoped_release release;
    std::optional<ScopedPool> scope;
    if (pool) scope.emplace(*pool);
    p.run(in, out, profile ? &seconds : nullptr);
  }
  if (profile) return py::make_tuple(outputs, seconds);
  return outputs;
}

}  // namespace fastinfer::bindings
