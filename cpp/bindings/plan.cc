// Binding of the compiled execution plan. Python's lowering builds it; Model.run calls
// run(), which validates the arrays and executes every step without the GIL.
#include "fastinfer/plan.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings/array_checks.h"
#include "bindings/pool_array.h"
#include "bindings/registry.h"
#include "fastinfer/gemm_f32.h"
#include "fastinfer/thread_pool.h"

namespace py = pybind11;

namespace fastinfer::bindings {
namespace {

using plan::Attrs;
using plan::AttrValue;
using plan::DType;
using plan::Plan;
using plan::TensorDesc;

DType dtype_of(const py::dtype& dt, const std::string& what) {
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

py::dtype numpy_dtype(DType t) {
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

TensorDesc desc_of(int32_t code, const std::vector<int64_t>& shape) {
  return TensorDesc{plan::dtype_from_code(code), shape};
}

AttrValue attr_value(const std::string& name, const py::handle& v) {
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

Attrs attrs_of(const py::dict& d) {
  Attrs out;
  for (auto kv : d) {
    const std::string name = py::str(kv.first);
    out[name] = attr_value(name, kv.second);
  }
  return out;
}

}  // namespace

void register_plan(py::module_& m) {
  py::class_<Plan>(m, "Plan", "A compiled execution plan (built by fastinfer's lowering).")
      .def(py::init<>())
      .def(
          "add_input",
          [](Plan& p, int32_t dtype, const std::vector<int64_t>& shape, const std::string& name) {
            return p.add_input(desc_of(dtype, shape), name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_output",
          [](Plan& p, int32_t dtype, const std::vector<int64_t>& shape, const std::string& name) {
            return p.add_output(desc_of(dtype, shape), name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_intermediate",
          [](Plan& p, int32_t dtype, const std::vector<int64_t>& shape, const std::string& name) {
            return p.add_intermediate(desc_of(dtype, shape), name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_alias",
          [](Plan& p, int base, int32_t dtype, const std::vector<int64_t>& shape,
             const std::string& name) { return p.add_alias(base, desc_of(dtype, shape), name); },
          py::arg("base"), py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_constant",
          [](Plan& p, const py::array& value, const std::string& name, bool borrow) {
            py::array arr = py::array::ensure(value, py::array::c_style);
            if (!arr) throw py::type_error("constant '" + name + "' is not an array");
            TensorDesc d{dtype_of(arr.dtype(), "constant '" + name + "'"),
                         std::vector<int64_t>(arr.shape(), arr.shape() + arr.ndim())};
            // Borrow only what is already contiguous and 64-byte aligned (kernels may use
            // aligned loads on constants); anything else is copied.
            const bool usable =
                arr.ptr() == value.ptr() && reinterpret_cast<uintptr_t>(arr.data()) % 64 == 0;
            if (borrow && usable) return p.add_constant_view(d, arr.data(), name);
            return p.add_constant(d, arr.data(), name);
          },
          py::arg("value"), py::arg("name"), py::arg("borrow") = false,
          "borrow=True: use the array's memory in place; the caller must keep it alive and "
          "unchanged for the plan's lifetime.")
      .def(
          "add_constant_placeholder",
          [](Plan& p, int32_t dtype, const std::vector<int64_t>& shape, const std::string& name) {
            // For constants no kernel reads at run time (released weights whose packed copy
            // the kernel finds by id): no bytes behind it.
            static const int64_t kNothing[8] = {};
            return p.add_constant_view(desc_of(dtype, shape), kNothing, name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_step",
          [](Plan& p, const std::string& op, const std::string& name, const std::vector<int>& ins,
             const std::vector<int>& outs,
             const py::dict& attrs) { p.add_step(op, name, ins, outs, attrs_of(attrs)); },
          py::arg("op"), py::arg("name"), py::arg("inputs"), py::arg("outputs"),
          py::arg("attrs") = py::dict())
      .def("finalize", &Plan::finalize)
      .def(
          "run",
          [](const Plan& p, const py::sequence& inputs, bool profile,
             ThreadPool* pool) -> py::object {
            if (static_cast<int>(py::len(inputs)) != p.num_inputs()) {
              throw py::value_error("plan expects " + std::to_string(p.num_inputs()) +
                                    " inputs, got " + std::to_string(py::len(inputs)));
            }
            std::vector<py::array> keep;
            std::vector<const void*> in;
            for (int i = 0; i < p.num_inputs(); ++i) {
              const TensorDesc& d = p.desc(p.input_tensor(i));
              const std::string& nm = p.tensor_name(p.input_tensor(i));
              py::handle obj = inputs[static_cast<size_t>(i)];
              if (!py::isinstance<py::array>(obj)) {
                throw py::type_error("input '" + nm + "' must be a numpy.ndarray");
              }
              py::array arr = py::reinterpret_borrow<py::array>(obj);
              if (dtype_of(arr.dtype(), "input '" + nm + "'") != d.dtype) {
                throw py::type_error("input '" + nm + "' must have dtype " +
                                     plan::dtype_name(d.dtype) + ", got " +
                                     std::string(py::str(arr.dtype())));
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
              const TensorDesc& d = p.desc(p.output_tensor(i));
              std::vector<py::ssize_t> shape(d.shape.begin(), d.shape.end());
              py::array arr = pooled_array(numpy_dtype(d.dtype), shape);
              out.push_back(arr.mutable_data());
              outputs.append(arr);
            }
            std::vector<double> seconds;
            {
              py::gil_scoped_release release;
              std::optional<ScopedPool> scope;
              if (pool) scope.emplace(*pool);  // may wait for another thread's run on it
              p.run(in, out, profile ? &seconds : nullptr);
            }
            if (profile) return py::make_tuple(outputs, seconds);
            return outputs;
          },
          py::arg("inputs"), py::arg("profile") = false, py::arg("pool") = py::none(),
          "Runs the plan on input arrays (in add_input order); returns the outputs "
          "(and per-step seconds when profile=True). Releases the GIL. pool: a ThreadPool "
          "to run on (one run at a time; other callers wait); default: the process pool.")
      .def_property_readonly("num_steps", &Plan::num_steps)
      .def_property_readonly("num_inputs", &Plan::num_inputs)
      .def_property_readonly("num_outputs", &Plan::num_outputs)
      .def_property_readonly("arena_bytes", &Plan::arena_bytes)
      .def_property_readonly("arena_lower_bound", &Plan::arena_lower_bound)
      .def_property_readonly("intermediate_bytes", &Plan::intermediate_bytes)
      .def_property_readonly("constant_bytes", &Plan::constant_bytes)
      .def_property_readonly("arenas_allocated", &Plan::arenas_allocated)
      .def("steps", [](const Plan& p) {
        py::list out;
        for (int i = 0; i < p.num_steps(); ++i) {
          out.append(py::make_tuple(p.step_op(i), p.step_name(i)));
        }
        return out;
      });
  m.def("registered_ops", &plan::registered_ops);
  m.def(
      "_unpack_shared_weights",
      [](const std::string& id) -> py::object {
        auto packed = f32::find_packed(id);
        if (!packed) return py::none();
        py::array_t<float> out({packed->k, packed->n});
        f32::unpack(*packed, out.mutable_data());
        return std::move(out);
      },
      py::arg("id"), "The fp32 weights behind packed weights `id`, or None if released.");
  m.def(
      "_shared_weights_alive",
      [](const std::string& id) { return f32::find_packed(id) != nullptr; }, py::arg("id"));
}

}  // namespace fastinfer::bindings
