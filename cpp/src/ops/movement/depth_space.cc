// DepthToSpace and SpaceToDepth (4-D NCHW, blocksize b, modes DCR and CRD) as one strided
// copy each: the reshape-transpose-reshape of the spec, with the output walked as a 6-D
// view and the input strides permuted to match.
//   DepthToSpace: y[n, c, h*b + i, w*b + j] = x[n, (i*b + j)*C' + c, h, w]   (DCR)
//                                           = x[n, c*b*b + i*b + j, h, w]    (CRD)
//   SpaceToDepth: y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]     (DCR)
//                 y[n, c*b*b + i*b + j, h, w] = x[n, c, h*b + i, w*b + j]     (CRD)
#include <memory>
#include <string>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/strided_copy_kernel.h"

namespace fastinfer::ops {
namespace {

template <bool kToSpace>
std::unique_ptr<plan::Kernel> make_depth_space(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  const auto& in = spec.inputs[0].shape;
  if (in.size() != 4) fail(spec, "the input must be 4-D (NCHW), got " + input_str(spec, 0));
  const int64_t b = plan::attr_int(spec.attrs, "blocksize", 0);
  if (b < 1) fail(spec, "blocksize must be positive, got " + std::to_string(b));
  const std::string mode = plan::attr_string(spec.attrs, "mode", "DCR");
  if (mode != "DCR" && mode != "CRD") fail(spec, "mode '" + mode + "' is not DCR or CRD");
  const bool dcr = mode == "DCR";
  const int64_t N = in[0], C = in[1], H = in[2], W = in[3];
  const int64_t sn = C * H * W, sc = H * W, sh = W;  // input strides
  std::vector<int64_t> out, view, src;
  if (kToSpace) {
    if (C % (b * b) != 0) {
      fail(spec, "channels " + std::to_string(C) + " are not a multiple of blocksize^2");
    }
    const int64_t c = C / (b * b);
    out = {N, c, H * b, W * b};
    view = {N, c, H, b, W, b};  // (n, c, h, i, w, j)
    src = dcr ? std::vector<int64_t>{sn, sc, sh, b * c * sc, 1, c * sc}
              : std::vector<int64_t>{sn, b * b * sc, sh, b * sc, 1, sc};
  } else {
    if (H % b != 0 || W % b != 0) {
      fail(spec, "height and width of " + spec.inputs[0].str() +
                     " are not multiples of blocksize " + std::to_string(b));
    }
    out = {N, C * b * b, H / b, W / b};
    if (dcr) {
      view = {N, b, b, C, H / b, W / b};  // (n, i, j, c, h, w)
      src = {sn, sh, 1, sc, b * sh, b};
    } else {
      view = {N, C, b, b, H / b, W / b};  // (n, c, i, j, h, w)
      src = {sn, sc, sh, 1, b * sh, b};
    }
  }
  check_output(spec, 0, spec.inputs[0].dtype, out);
  const auto elem = static_cast<int64_t>(plan::dtype_size(spec.inputs[0].dtype));
  std::vector<CopyStep> steps;
  steps.push_back(
      {0, 0, StridedCopy(elem, view, src, 0, StridedCopy::contiguous_strides(view), 0)});
  return std::make_unique<StridedCopyKernel>(std::move(steps));
}

const bool kRegistered = [] {
  register_op("DepthToSpace", make_depth_space<true>);
  register_op("SpaceToDepth", make_depth_space<false>);
  return true;
}();

}  // namespace
}  // namespace fastinfer::ops
