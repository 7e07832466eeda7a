#include "ops/conv/window_geometry.h"

#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

std::vector<int64_t> ints_of_len(const plan::KernelSpec& spec, const char* name, size_t len,
                                 int64_t fallback) {
  std::vector<int64_t> v = plan::attr_ints(spec.attrs, name, std::vector<int64_t>(len, fallback));
  if (v.size() != len) {
    fail(spec,
         std::string(name) + " must have " + std::to_string(len) + " values, got " + shape_str(v));
  }
  return v;
}

}  // namespace

Window2d resolve_window(const plan::KernelSpec& spec, const std::vector<int64_t>& spatial,
                        const std::vector<int64_t>& kernel, bool allow_ceil_mode) {
  const size_t nd = spatial.size();
  if (nd != 1 && nd != 2) {
    fail(spec,
         "only 1-D and 2-D windows are supported, got " + std::to_string(nd) + " spatial dims");
  }
  const std::vector<int64_t> ks = ints_of_len(spec, "kernel_shape", nd, 0);
  std::vector<int64_t> kern = kernel.empty() ? ks : kernel;
  if (!kernel.empty() && spec.attrs.count("kernel_shape") && ks != kernel) {
    fail(spec,
         "kernel_shape " + shape_str(ks) + " does not match the weights " + shape_str(kernel));
  }
  if (kernel.empty() && !spec.attrs.count("kernel_shape")) fail(spec, "kernel_shape is required");
  const auto strides = ints_of_len(spec, "strides", nd, 1);
  const auto dil = ints_of_len(spec, "dilations", nd, 1);
  const auto pads = ints_of_len(spec, "pads", 2 * nd, 0);
  const std::string auto_pad = plan::attr_string(spec.attrs, "auto_pad", "NOTSET");
  const bool ceil_mode = plan::attr_int(spec.attrs, "ceil_mode", 0) != 0;
  if (ceil_mode && !allow_ceil_mode) fail(spec, "ceil_mode is not an attribute of this op");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER") {
    fail(spec, "auto_pad '" + auto_pad + "' is not supported");
  }
  std::vector<WindowAxis> axes(nd);
  for (size_t i = 0; i < nd; ++i) {
    WindowAxis& a = axes[i];
    a.in = spatial[i];
    a.kernel = kern[i];
    a.stride = strides[i];
    a.dilation = dil[i];
    if (a.kernel < 1 || a.stride < 1 || a.dilation < 1) {
      fail(spec, "kernel_shape, strides and dilations must be positive, got kernel " +
                     shape_str(kern) + ", strides " + shape_str(strides) + ", dilations " +
                     shape_str(dil));
    }
    const int64_t extent = a.dilation * (a.kernel - 1) + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      a.out = (a.in + a.stride - 1) / a.stride;
      const int64_t total = std::max<int64_t>(0, (a.out - 1) * a.stride + extent - a.in);
      a.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      a.pad_end = total - a.pad_begin;
    } else {
      if (auto_pad == "NOTSET") {
        a.pad_begin = pads[i];
        a.pad_end = pads[i + nd];
        if (a.pad_begin < 0 || a.pad_end < 0)
          fail(spec, "pads must be >= 0, got " + shape_str(pads));
      }
      const int64_t span = a.in + a.pad_begin + a.pad_end - extent;
      // With ceil_mode a window larger than the padded input still gives one output (the
      // window clipped to the input), as onnxruntime and PyTorch compute it; HF
      // EfficientNet pools a 1x1 map with a 320x320 window this way.
      if (span < 0 && !(ceil_mode && span > -a.stride)) {
        fail(spec, "the window (extent " + std::to_string(extent) + ") is larger than the padded " +
                       "input (" + std::to_string(a.in + a.pad_begin + a.pad_end) + ")");
      }
      a.out = (ceil_mode ? (span + a.stride - 1) / a.stride : span / a.stride) + 1;
      // As PyTorch and onnxruntime: a window may not start inside the end padding.
      if (ceil_mode && (a.out - 1) * a.stride >= a.in + a.pad_begin) --a.out;
    }
  }
  Window2d w;
  if (nd == 1) {
    w.h = WindowAxis{1, 1, 1, 1, 0, 0, 1};
    w.w = axes[0];
  } else {
    w.h = axes[0];
    w.w = axes[1];
  }
  return w;
}

}  // namespace fastinfer::ops
