// Bindings of the int8 kernels: packing, raw and fused GEMMs, activation quantization.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <optional>
#include <string>

#include "bindings/array_checks.h"
#include "bindings/pool_array.h"
#include "bindings/registry.h"
#include "fastinfer/gemm_int8.h"

namespace py = pybind11;

namespace fastinfer::bindings {
namespace {

using int8::Epilogue;
using int8::Output;
using int8::PackedWeights;

const char* kPackedSource = "the packed weights";

Activation activation_arg(const std::optional<std::string>& name) {
  return name ? parse_activation(*name) : Activation::kNone;
}

const float* bias_arg(const py::object& bias, int64_t n, std::optional<py::array_t<float>>& keep) {
  if (bias.is_none()) return nullptr;
  keep = as_array<float>(bias, "bias");
  if (keep->ndim() != 1 || keep->shape(0) != n) {
    throw py::value_error("bias must have shape (" + std::to_string(n) + ",), got " +
                          shape_str(*keep));
  }
  return keep->data();
}

int32_t zero_point_value(const py::handle& v, const char* name) {
  if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v)) {
    throw py::type_error(std::string(name) + " must be an int in [0, 255]");
  }
  const long long z = v.cast<long long>();
  if (z < 0 || z > 255) {
    throw py::value_error(std::string(name) + " must be in [0, 255], got " + std::to_string(z));
  }
  return static_cast<int32_t>(z);
}

float positive_scale(const py::handle& v, const char* name) {
  if (!py::isinstance<py::float_>(v) && !py::isinstance<py::int_>(v)) {
    throw py::type_error(std::string(name) + " must be a positive float");
  }
  const double s = v.cast<double>();
  if (!(s > 0.0) || !std::isfinite(s)) {
    throw py::value_error(std::string(name) + " must be a positive finite float, got " +
                          std::to_string(s));
  }
  return static_cast<float>(s);
}

// Activation scale and zero point: one value for the tensor, or one per row (M,).
struct RowParams {
  std::optional<py::array_t<float>> scales;
  std::optional<py::array_t<int32_t>> zero_points;
};

void set_row_params(Epilogue& ep, RowParams& keep, const py::object& scale,
                    const py::object& zero_point, int64_t m) {
  if (py::isinstance<py::array>(scale)) {
    keep.scales = as_array<float>(scale, "a_scale");
    if (keep.scales->size() != m) {
      throw py::value_error("a_scale must be a float or an array of one scale per row (" +
                            std::to_string(m) + "), got shape " + shape_str(*keep.scales));
    }
    for (int64_t i = 0; i < m; ++i) {
      const float s = keep.scales->data()[i];
      if (!(s > 0.0f) || !std::isfinite(s)) {
        throw py::value_error("a_scale[" + std::to_string(i) + "] must be positive and finite");
      }
    }
    ep.a_scales = keep.scales->data();
  } else {
    ep.a_scale = positive_scale(scale, "a_scale");
  }
  if (py::isinstance<py::array>(zero_point)) {
    keep.zero_points = as_array<int32_t>(zero_point, "a_zero_point");
    if (keep.zero_points->size() != m) {
      throw py::value_error("a_zero_point must be an int or an int32 array of one per row (" +
                            std::to_string(m) + "), got shape " + shape_str(*keep.zero_points));
    }
    for (int64_t i = 0; i < m; ++i) {
      const int32_t z = keep.zero_points->data()[i];
      if (z < 0 || z > 255) {
        throw py::value_error("a_zero_point[" + std::to_string(i) + "] must be in [0, 255], got " +
                              std::to_string(z));
      }
    }
    ep.a_zero_points = keep.zero_points->data();
  } else {
    ep.a_zero_point = zero_point_value(zero_point, "a_zero_point");
  }
}

// The epilogue of the dequantizing and requantizing GEMMs: activation scale and zero point
// (per tensor or per row), bias and activation, with the arrays it points into kept alive.
struct ScaledEpilogue {
  Epilogue ep;
  RowParams keep_rows;
  std::optional<py::array_t<float>> keep_bias;
  ScaledEpilogue(const py::object& a, const PackedWeights& w, Output output,
                 const py::object& a_scale, const py::object& a_zero_point, const py::object& bias,
                 const std::optional<std::string>& activation) {
    py::array a_arr = as_array<uint8_t>(a, "a");
    const int64_t m = rows_view(a_arr, "a", w.k, w.n, kPackedSource).m;
    ep.output = output;
    set_row_params(ep, keep_rows, a_scale, a_zero_point, m);
    ep.bias = bias_arg(bias, w.n, keep_bias);
    ep.activation = activation_arg(activation);
  }
};

template <typename Out>
py::array_t<Out> run_gemm(const py::object& a_obj, const PackedWeights& w, const Epilogue& ep) {
  py::array_t<uint8_t> a = as_array<uint8_t>(a_obj, "a");
  RowsView rows = rows_view(a, "a", w.k, w.n, kPackedSource);
  // Outputs come from the tensor pool: steady-state calls reuse blocks instead of paying
  // for fresh pages on every call.
  auto out = py::array_t<Out>(pooled_array(py::dtype::of<Out>(), rows.out_shape));
  const uint8_t* a_ptr = a.data();
  Out* out_ptr = out.mutable_data();
  {
    py::gil_scoped_release release;
    int8::gemm_u8s8(a_ptr, rows.m, w.k, w, ep, out_ptr, w.n);
  }
  return out;
}

py::array_t<float> copy_to_numpy(const float* data, int64_t n) {
  py::array_t<float> out(n);
  std::copy(data, data + n, out.mutable_data());
  return out;
}

}  // namespace

void register_int8(py::module_& m) {
  py::class_<PackedWeights>(m, "PackedInt8Weights",
                            "int8 weights (K, N) packed once into the GEMM kernels' layout, "
                            "with per-column sums for zero-point correction.")
      .def_property_readonly("k", [](const PackedWeights& w) { return w.k; })
      .def_property_readonly("n", [](const PackedWeights& w) { return w.n; })
      .def_property_readonly("shape",
                             [](const PackedWeights& w) { return py::make_tuple(w.k, w.n); })
      .def_property_readonly("per_channel", [](const PackedWeights& w) { return w.per_channel; })
      .def_property_readonly("nbytes", &PackedWeights::nbytes)
      .def_property_readonly(
          "scales",
          [](const PackedWeights& w) {
            return copy_to_numpy(w.scales.data(), w.per_channel ? w.n : 1);
          },
          "Weight scales: one per output column, or one for the tensor.")
      .def_property_readonly(
          "col_sums",
          [](const PackedWeights& w) {
            py::array_t<int32_t> out(w.n);
            std::copy(w.col_sums.data(), w.col_sums.data() + w.n, out.mutable_data());
            return out;
          },
          "sum over K of the int8 weights of each column (for zero-point correction).")
      .def("__repr__", [](const PackedWeights& w) {
        return "PackedInt8Weights(k=" + std::to_string(w.k) + ", n=" + std::to_string(w.n) +
               ", per_channel=" + (w.per_channel ? "True" : "False") +
               ", nbytes=" + std::to_string(w.nbytes()) + ")";
      });

  m.def(
      "pack_int8",
      [](const py::object& w_obj, bool per_channel) {
        py::array_t<float> w = as_array<float>(w_obj, "w");
        require_ndim(w, "w", 2, 2);
        const float* p = w.data();
        const int64_t k = w.shape(0), n = w.shape(1);
        py::gil_scoped_release release;
        return int8::quantize_and_pack(p, k, n, per_channel);
      },
      py::arg("w"), py::arg("per_channel") = true);

  m.def(
      "pack_int8_quantized",
      [](const py::object& w_obj, const py::object& scales_obj) {
        py::array_t<int8_t> w = as_array<int8_t>(w_obj, "w");
        require_ndim(w, "w", 2, 2);
        const int64_t k = w.shape(0), n = w.shape(1);
        const float* scales = nullptr;
        bool per_channel = false;
        std::optional<py::array_t<float>> keep;
        if (!scales_obj.is_none()) {
          keep = as_array<float>(scales_obj, "scales");
          if (keep->ndim() != 1 || (keep->shape(0) != n && keep->shape(0) != 1)) {
            throw py::value_error("scales must have shape (" + std::to_string(n) +
                                  ",) or (1,), got " + shape_str(*keep));
          }
          for (py::ssize_t i = 0; i < keep->shape(0); ++i) {
            const float s = keep->data()[i];
            if (!(s > 0.0f) || !std::isfinite(s)) {
              throw py::value_error("scales[" + std::to_string(i) +
                                    "] must be positive and finite");
            }
          }
          scales = keep->data();
          per_channel = keep->shape(0) == n && n > 1;
        }
        const int8_t* p = w.data();
        py::gil_scoped_release release;
        return int8::pack_quantized(p, k, n, scales, per_channel);
      },
      py::arg("w"), py::arg("scales") = py::none());

  m.def(
      "gemm_u8s8",
      [](const py::object& a, const PackedWeights& w, const py::object& a_zero_point) {
        Epilogue ep;
        ep.output = Output::kInt32;
        ep.a_zero_point = zero_point_value(a_zero_point, "a_zero_point");
        return run_gemm<int32_t>(a, w, ep);
      },
      py::arg("a"), py::arg("packed_w"), py::arg("a_zero_point") = 0);

  m.def(
      "gemm_u8s8_dequant",
      [](const py::object& a, const PackedWeights& w, const py::object& a_scale,
         const py::object& a_zero_point, const py::object& bias,
         const std::optional<std::string>& activation) {
        ScaledEpilogue e(a, w, Output::kFloat32, a_scale, a_zero_point, bias, activation);
        const Epilogue& ep = e.ep;
        return run_gemm<float>(a, w, ep);
      },
      py::arg("a"), py::arg("packed_w"), py::arg("a_scale"), py::arg("a_zero_point") = 0,
      py::arg("bias") = py::none(), py::arg("activation") = py::none());

  m.def(
      "gemm_u8s8_requant",
      [](const py::object& a, const PackedWeights& w, const py::object& a_scale,
         const py::object& a_zero_point, const py::object& out_scale,
         const py::object& out_zero_point, const py::object& bias,
         const std::optional<std::string>& activation) {
        ScaledEpilogue e(a, w, Output::kUint8, a_scale, a_zero_point, bias, activation);
        Epilogue& ep = e.ep;
        ep.out_scale = positive_scale(out_scale, "out_scale");
        ep.out_zero_point = zero_point_value(out_zero_point, "out_zero_point");
        return run_gemm<uint8_t>(a, w, ep);
      },
      py::arg("a"), py::arg("packed_w"), py::arg("a_scale"), py::arg("a_zero_point"),
      py::arg("out_scale"), py::arg("out_zero_point"), py::arg("bias") = py::none(),
      py::arg("activation") = py::none());

  m.def(
      "quantize_u8",
      [](const py::object& x_obj, bool per_row) -> py::tuple {
        py::array_t<float> x = as_array<float>(x_obj, "x");
        require_ndim(x, "x", 1, 32);
        const int64_t k = x.shape(x.ndim() - 1);
        const int64_t m = k > 0 ? x.size() / k : 0;
        std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
        py::array_t<uint8_t> q(shape);
        const float* xp = x.data();
        uint8_t* qp = q.mutable_data();
        if (per_row) {
          std::vector<py::ssize_t> row_shape(x.shape(), x.shape() + x.ndim() - 1);
          py::array_t<float> scales(row_shape);
          py::array_t<int32_t> zps(row_shape);
          float* sp = scales.mutable_data();
          int32_t* zp = zps.mutable_data();
          {
            py::gil_scoped_release release;
            int8::quantize_rows_u8(xp, m, k, qp, sp, zp);
          }
          return py::make_tuple(q, scales, zps);
        }
        float scale = 1.0f;
        int32_t zp = 0;
        {
          py::gil_scoped_release release;
          int8::quantize_tensor_u8(xp, x.size(), qp, &scale, &zp);
        }
        return py::make_tuple(q, scale, zp);
      },
      py::arg("x"), py::arg("per_row") = true);

  m.def(
      "linear_int8",
      [](const py::object& x_obj, const PackedWeights& w, const py::object& bias,
         const std::optional<std::string>& activation) {
        py::array_t<float> x = as_array<float>(x_obj, "x");
        RowsView rows = rows_view(x, "x", w.k, w.n, kPackedSource);
        std::optional<py::array_t<float>> keep_bias;
        const float* b = bias_arg(bias, w.n, keep_bias);
        const Activation act = activation_arg(activation);
        auto out = py::array_t<float>(pooled_array(py::dtype::of<float>(), rows.out_shape));
        const float* xp = x.data();
        float* yp = out.mutable_data();
        {
          py::gil_scoped_release release;
          int8::linear_int8(xp, rows.m, w, b, act, yp);
        }
        return out;
      },
      py::arg("x"), py::arg("packed_w"), py::arg("bias") = py::none(),
      py::arg("activation") = py::none());

  m.def("int8_kernel_names",
        [] { return py::make_tuple(int8::gemm_kernel_name(), int8::quantize_kernel_name()); });
}

}  // namespace fastinfer::bindings
