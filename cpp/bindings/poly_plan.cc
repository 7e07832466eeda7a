// Binding of shape-polymorphic plans and the model's arena pool. Python's compiler records
// a recipe per shape class; run() binds the input shapes (building the static plan for new
// ones, without the GIL) and runs it.
#include "fastinfer/poly_plan.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bindings/plan_convert.h"
#include "bindings/registry.h"
#include "fastinfer/gemm_f32.h"

namespace py = pybind11;

namespace fastinfer::bindings {

using plan::PolyPlan;

namespace {

std::vector<std::vector<int64_t>> shapes_of(const py::sequence& inputs, const PolyPlan& p) {
  if (static_cast<int>(py::len(inputs)) != p.num_inputs()) {
    throw py::value_error("plan expects " + std::to_string(p.num_inputs()) + " inputs, got " +
                          std::to_string(py::len(inputs)));
  }
  std::vector<std::vector<int64_t>> shapes;
  for (py::handle obj : inputs) {
    if (!py::isinstance<py::array>(obj)) throw py::type_error("inputs must be numpy arrays");
    py::array arr = py::reinterpret_borrow<py::array>(obj);
    shapes.emplace_back(arr.shape(), arr.shape() + arr.ndim());
  }
  return shapes;
}

}  // namespace

void register_poly_plan(py::module_& m) {
  py::class_<ArenaPool, std::shared_ptr<ArenaPool>>(
      m, "ArenaPool", "Arenas shared by a model's plans: one buffer per concurrent run.")
      .def(py::init<>())
      .def("trim", &ArenaPool::trim)
      .def_property_readonly("bytes_held", &ArenaPool::bytes_held)
      .def_property_readonly("buffers", &ArenaPool::buffers)
      .def_property_readonly("peak_bytes", &ArenaPool::peak_bytes)
      .def_property_readonly("grows", &ArenaPool::grows);

  py::class_<PolyPlan>(m, "PolyPlan",
                       "A plan compiled once for a shape class, bound to sizes per run.")
      .def(py::init<std::shared_ptr<ArenaPool>, int64_t>(), py::arg("arenas"), py::arg("capacity"))
      .def(
          "set_exprs",
          [](PolyPlan& p, const std::vector<std::tuple<int32_t, int64_t, int64_t>>& nodes,
             int num_symbols) {
            std::vector<plan::Expr> exprs;
            exprs.reserve(nodes.size());
            for (const auto& [op, a, b] : nodes) exprs.push_back({op, a, b});
            p.set_exprs(std::move(exprs), num_symbols);
          },
          py::arg("nodes"), py::arg("num_symbols"))
      .def("add_guard", &PolyPlan::add_guard, py::arg("expr"), py::arg("kind"))
      .def(
          "add_input",
          [](PolyPlan& p, int32_t dtype, const std::vector<int>& dims, const std::string& name) {
            return p.add_input(plan::dtype_from_code(dtype), dims, name);
          },
          py::arg("dtype"), py::arg("dims"), py::arg("name"))
      .def(
          "add_output",
          [](PolyPlan& p, int32_t dtype, const std::vector<int>& dims, const std::string& name) {
            return p.add_output(plan::dtype_from_code(dtype), dims, name);
          },
          py::arg("dtype"), py::arg("dims"), py::arg("name"))
      .def(
          "add_intermediate",
          [](PolyPlan& p, int32_t dtype, const std::vector<int>& dims, const std::string& name) {
            return p.add_intermediate(plan::dtype_from_code(dtype), dims, name);
          },
          py::arg("dtype"), py::arg("dims"), py::arg("name"))
      .def(
          "add_alias",
          [](PolyPlan& p, int base, int32_t dtype, const std::vector<int>& dims,
             const std::string& name) {
            return p.add_alias(base, plan::dtype_from_code(dtype), dims, name);
          },
          py::arg("base"), py::arg("dtype"), py::arg("dims"), py::arg("name"))
      .def(
          "add_constant",
          [](PolyPlan& p, const py::array& value, const std::string& name) {
            // Used in place for the plan's lifetime: the caller keeps the array alive and
            // unchanged (the compiler holds the model's arrays).
            if (value.size() > 0 && (!(value.flags() & py::array::c_style) ||
                                     reinterpret_cast<uintptr_t>(value.data()) % 64 != 0)) {
              throw py::value_error("constant '" + name +
                                    "' must be C-contiguous and 64-byte aligned");
            }
            plan::TensorDesc d{dtype_of(value.dtype(), "constant '" + name + "'"),
                               std::vector<int64_t>(value.shape(), value.shape() + value.ndim())};
            return p.add_constant_view(d, value.data(), name);
          },
          py::arg("value"), py::arg("name"))
      .def(
          "add_constant_placeholder",
          [](PolyPlan& p, int32_t dtype, const std::vector<int64_t>& shape,
             const std::string& name) {
            // Released weights: kernels find their packed copy by id and read no bytes.
            static const int64_t kNothing[8] = {};
            return p.add_constant_view(desc_of(dtype, shape), kNothing, name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("name"))
      .def(
          "add_generated",
          [](PolyPlan& p, int32_t dtype, const std::vector<int64_t>& shape,
             const std::vector<int>& elements, const std::string& name) {
            return p.add_generated(plan::dtype_from_code(dtype), shape, elements, name);
          },
          py::arg("dtype"), py::arg("shape"), py::arg("elements"), py::arg("name"))
      .def(
          "add_step",
          [](PolyPlan& p, const std::string& op, const std::string& name,
             const std::vector<int>& ins, const std::vector<int>& outs,
             const py::dict& attrs) { p.add_step(op, name, ins, outs, attrs_of(attrs)); },
          py::arg("op"), py::arg("name"), py::arg("inputs"), py::arg("outputs"),
          py::arg("attrs") = py::dict())
      .def(
          "run",
          [](PolyPlan& p, const py::sequence& inputs, bool profile,
             ThreadPool* pool) -> py::object {
            std::vector<std::vector<int64_t>> shapes = shapes_of(inputs, p);
            std::shared_ptr<const plan::Plan> bound;
            {
              py::gil_scoped_release release;
              bound = p.bind(shapes);
            }
            if (!bound) return py::none();
            return run_plan(*bound, inputs, profile, pool);
          },
          py::arg("inputs"), py::arg("profile") = false, py::arg("pool") = py::none(),
          "Runs on input arrays; None when their shapes are outside this plan's class.")
      .def(
          "bind",
          [](PolyPlan& p, const py::sequence& inputs) {
            std::vector<std::vector<int64_t>> shapes = shapes_of(inputs, p);
            py::gil_scoped_release release;
            return p.bind(shapes) != nullptr;
          },
          py::arg("inputs"), "Builds (or finds) the plan for these shapes; False if outside.")
      .def("clear", &PolyPlan::clear)
      .def_property("capacity", &PolyPlan::capacity, &PolyPlan::set_capacity)
      .def("stats",
           [](const PolyPlan& p) {
             const plan::PolyStats s = p.stats();
             py::dict d;
             d["hits"] = s.hits;
             d["misses"] = s.misses;
             d["evictions"] = s.evictions;
             d["guard_misses"] = s.guard_misses;
             d["cached"] = s.cached;
             d["bind_seconds"] = s.bind_seconds;
             return d;
           })
      .def("steps", &PolyPlan::steps);

  m.def(
      "_pack_shared_weights",
      [](const std::string& id, const py::array_t<float, py::array::c_style>& w) {
        if (w.ndim() != 2) throw py::value_error("weights '" + id + "' must be 2-D (K, N)");
        // The model keeps the returned handle: the packed copy then lives as long as the
        // model, whichever of its plans are cached, and FusedLinear kernels find it by id.
        auto packed = f32::shared_pack_by_id(id, w.data(), w.shape(0), w.shape(1));
        return std::const_pointer_cast<f32::PackedWeights>(packed);
      },
      py::arg("id"), py::arg("weights"), "Packs (or finds) the fp32 weights known by `id`.");
}

}  // namespace fastinfer::bindings
