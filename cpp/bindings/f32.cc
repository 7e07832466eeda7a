// fp32 GEMM bindings: PackedF32Weights, pack_f32 and linear_f32.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings/array_checks.h"
#include "bindings/registry.h"
#include "fastinfer/activation.h"
#include "fastinfer/gemm_f32.h"
#include "kernels/gemm_f32/kernels.h"

namespace py = pybind11;

namespace fastinfer::bindings {
namespace {

Activation activation_arg(const py::object& obj) {
  if (obj.is_none()) return Activation::kNone;
  if (!py::isinstance<py::str>(obj)) {
    throw py::type_error("activation must be None, 'relu', 'gelu' or 'gelu_tanh', got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  }
  return parse_activation(obj.cast<std::string>());  // std::invalid_argument -> ValueError
}

std::shared_ptr<f32::PackedWeights> pack_f32(const py::handle& w_obj) {
  py::array_t<float> w = as_array<float>(w_obj, "w");
  require_ndim(w, "w", 2, 2);
  const int64_t k = w.shape(0), n = w.shape(1);
  if (k == 0 || n == 0) {
    throw py::value_error("w must be non-empty, got shape " + shape_str(w));
  }
  checked_mul(checked_mul(k, n, "w"), 4, "w");
  const float* data = w.data();
  auto packed = std::make_shared<f32::PackedWeights>();
  {
    py::gil_scoped_release release;
    *packed = f32::pack(data, k, n);
  }
  return packed;
}

py::array_t<float> linear_f32(const py::handle& x_obj, const f32::PackedWeights& w,
                              const py::object& bias_obj, const py::object& act_obj) {
  py::array_t<float> x = as_array<float>(x_obj, "x");
  if (x.ndim() < 1) throw py::value_error("x must have at least 1 dimension, got a scalar");
  const int64_t k = x.shape(x.ndim() - 1);
  if (k != w.k) {
    throw py::value_error("x.shape[-1] must equal the packed weights' K: x has shape " +
                          shape_str(x) + ", weights have shape (" + std::to_string(w.k) + ", " +
                          std::to_string(w.n) + ")");
  }
  const float* bias = nullptr;
  py::array_t<float> bias_arr;
  if (!bias_obj.is_none()) {
    bias_arr = as_array<float>(bias_obj, "bias");
    if (bias_arr.ndim() != 1 || bias_arr.shape(0) != w.n) {
      throw py::value_error("bias must have shape (" + std::to_string(w.n) + ",), got " +
                            shape_str(bias_arr));
    }
    bias = bias_arr.data();
  }
  const Activation act = activation_arg(act_obj);

  std::vector<py::ssize_t> out_shape(x.shape(), x.shape() + x.ndim());
  out_shape.back() = static_cast<py::ssize_t>(w.n);
  int64_t m = 1;
  for (py::ssize_t i = 0; i + 1 < x.ndim(); ++i) m = checked_mul(m, x.shape(i), "x.shape");
  checked_mul(m, w.n, "output size");
  py::array_t<float> y(out_shape);
  const float* xd = x.data();
  float* yd = y.mutable_data();
  {
    py::gil_scoped_release release;
    f32::linear(xd, m, k, w, bias, act, yd);
  }
  return y;
}

}  // namespace

void register_f32(py::module_& m) {
  py::class_<f32::PackedWeights, std::shared_ptr<f32::PackedWeights>>(
      m, "PackedF32Weights",
      "fp32 weights (K, N) packed once into the panel layout every kernel path reads.")
      .def_property_readonly("k", [](const f32::PackedWeights& w) { return w.k; })
      .def_property_readonly("n", [](const f32::PackedWeights& w) { return w.n; })
      .def_property_readonly("nbytes", [](const f32::PackedWeights& w) { return w.data.bytes(); })
      .def("__repr__", [](const f32::PackedWeights& w) {
        return "PackedF32Weights(k=" + std::to_string(w.k) + ", n=" + std::to_string(w.n) +
               ", nbytes=" + std::to_string(w.data.bytes()) + ")";
      });
  m.def("pack_f32", &pack_f32, py::arg("w"),
        "Pack float32 weights w of shape (K, N) for linear_f32 (y = x @ w).");
  m.def("linear_f32", &linear_f32, py::arg("x"), py::arg("packed"), py::arg("bias") = py::none(),
        py::arg("activation") = py::none(),
        "act(x @ w + bias) for float32 x of shape (..., K); returns (..., N) float32.");
  m.def(
      "_f32_blocking",
      [] {
        const f32::detail::Blocking b = f32::detail::blocking();
        return py::make_tuple(b.kc, b.mc);
      },
      "(kc, mc): the fp32 GEMM's K and M block sizes on the active ISA path.");
  m.def(
      "_f32_set_blocking", [](int64_t kc, int64_t mc) { f32::detail::set_blocking({kc, mc}); },
      py::arg("kc"), py::arg("mc"),
      "Override the fp32 GEMM's K and M block sizes until the next ISA change (tests and "
      "benchmarks only).");
  m.def(
      "f32_kernel_name", [] { return std::string(f32::kernel_name()); },
      "Name of the fp32 GEMM kernel on the active ISA path.");
}

}  // namespace fastinfer::bindings
