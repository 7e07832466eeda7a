// Binding of the compiled execution plan. Python's lowering builds it; Model.run calls
// run(), which validates the arrays and executes every step without the GIL.
#include "fastinfer/plan.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings/plan_convert.h"
#include "bindings/registry.h"
#include "fastinfer/gemm_f32.h"

namespace py = pybind11;

namespace fastinfer::bindings {

using plan::Plan;
using plan::TensorDesc;

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
          [](const Plan& p, const py::sequence& inputs, bool profile, ThreadPool* pool) {
            return run_plan(p, inputs, profile, pool);
          },
          py::arg("inputs"), py::arg("profile") = false, py::arg("pool") = py::none(),
          "Runs the plan on input arrays (in add_input order); returns the outputs "
          "(and per-step seconds when profile=True). Releases the GIL.")
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
