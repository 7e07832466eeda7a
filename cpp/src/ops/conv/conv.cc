// Conv / FusedConv (NCHW, 1-D or 2-D). Per image and group the patches are packed by
// im2col_packed and multiplied by the group's weights in one f32::linear call whose rows
// are output channels, so the result lands in NCHW directly; bias and activation follow
// in a pass over the group's planes while they are in cache. One input channel per group
// (depthwise) uses the direct kernel instead.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/conv/depthwise.h"
#include "ops/conv/im2col.h"
#include "ops/conv/window_geometry.h"
#include "ops/linear/dynamic_pack.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class ConvKernel final : public plan::Kernel {
 public:
  int64_t batch = 0, in_c = 0, out_c = 0, groups = 1;
  Window2d g;
  std::vector<float> weights;  // (out_c, in_c / groups, kh, kw), copied from the constant
  std::vector<float> bias;     // empty: none
  Activation act = Activation::kNone;

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t cg = in_c / groups, mg = out_c / groups;
    const int64_t in_plane = g.h.in * g.w.in, out_plane = g.h.out * g.w.out;
    const int64_t taps = g.h.kernel * g.w.kernel, k = cg * taps;
    if (cg == 1) {
      parallel_for(
          batch * out_c,
          [&](int64_t t) {
            const int64_t n = t / out_c, m = t % out_c;
            depthwise_plane(x + (n * in_c + m / mg) * in_plane, weights.data() + m * taps,
                            bias.empty() ? 0.0f : bias[m], act, g, y + t * out_plane);
          },
          static_cast<int>(
              std::clamp<int64_t>(batch * out_c * out_plane * taps >> 15, 1, 1 << 20)));
      return;
    }
    f32::PackedWeights& patches = thread_packed_scratch();
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t gi = 0; gi < groups; ++gi) {
        im2col_packed(x + (n * in_c + gi * cg) * in_plane, cg, g, &patches);
        float* out = y + (n * out_c + gi * mg) * out_plane;
        // Without a bias the activation fuses into the GEMM; bias is per row (channel)
        // here and linear's bias is per column, so then both go to the pass below.
        f32::linear(weights.data() + gi * mg * k, mg, k, patches, nullptr,
                    bias.empty() ? act : Activation::kNone, out);
        if (!bias.empty()) {
          for (int64_t m = 0; m < mg; ++m) {
            const float b = bias[gi * mg + m];
            float* o = out + m * out_plane;
            if (act == Activation::kRelu) {
              for (int64_t i = 0; i < out_plane; ++i) {
                const float v = o[i] + b;
                o[i] = v < 0.0f ? 0.0f : v;  // keeps NaN
              }
            } else {
              for (int64_t i = 0; i < out_plane; ++i) o[i] = apply_activation_ref(act, o[i] + b);
            }
          }
        }
      }
    }
  }
};

std::unique_ptr<plan::Kernel> make_conv(const plan::KernelSpec& spec) {
  require_f32_io(spec, 2, 3, 1);
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  const auto& ws = spec.inputs[1].shape;
  if (xs.size() != 3 && xs.size() != 4) {
    fail(spec,
         "only 1-D and 2-D convolutions (input rank 3 or 4) are supported, X is " + shape_str(xs));
  }
  if (ws.size() != xs.size()) {
    fail(spec, "W " + shape_str(ws) + " must have the rank of X " + shape_str(xs));
  }
  const void* w_data = constant_input(spec, 1);
  if (!w_data) fail(spec, "W must be a constant initializer");
  auto kern = std::make_unique<ConvKernel>();
  kern->batch = xs[0];
  kern->in_c = xs[1];
  kern->out_c = ws[0];
  kern->groups = plan::attr_int(spec.attrs, "group", 1);
  const int64_t groups = kern->groups;
  if (groups < 1 || kern->in_c % groups != 0 || kern->out_c % groups != 0) {
    fail(spec, "group " + std::to_string(groups) + " must divide the input channels (" +
                   std::to_string(kern->in_c) + ") and output channels (" +
                   std::to_string(kern->out_c) + ")");
  }
  if (ws[1] != kern->in_c / groups) {
    fail(spec, "W " + shape_str(ws) + " needs " + std::to_string(kern->in_c / groups) +
                   " input channels per group (X " + shape_str(xs) + ", group " +
                   std::to_string(groups) + ")");
  }
  const std::vector<int64_t> spatial(xs.begin() + 2, xs.end());
  const std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  kern->g = resolve_window(spec, spatial, kernel, /*allow_ceil_mode=*/false);
  std::vector<int64_t> out{kern->batch, kern->out_c};
  if (xs.size() == 4) out.push_back(kern->g.h.out);
  out.push_back(kern->g.w.out);
  require_output_shape(spec, 0, out);
  if (product(out, 0, out.size()) > 0 && kern->in_c == 0) fail(spec, "X has no channels");

  const float* w = static_cast<const float*>(w_data);
  kern->weights.assign(w, w + product(ws, 0, ws.size()));
  if (has_input(spec, 2)) {
    if (spec.inputs[2].shape != std::vector<int64_t>{kern->out_c}) {
      fail(spec, "B must have shape [" + std::to_string(kern->out_c) + "], got " +
                     shape_str(spec.inputs[2].shape));
    }
    const void* b = constant_input(spec, 2);
    if (!b) fail(spec, "B must be a constant initializer");
    kern->bias.assign(static_cast<const float*>(b), static_cast<const float*>(b) + kern->out_c);
  }
  if (spec.op == "FusedConv") {
    const std::string act = plan::attr_string(spec.attrs, "activation", "");
    if (!act.empty() && act != "relu") {
      fail(spec, "activation '" + act + "' is not supported (expected '' or 'relu')");
    }
    kern->act = parse_activation(act);
  }
  return kern;
}

const bool kRegistered =
    plan::register_kernel("Conv", make_conv) && plan::register_kernel("FusedConv", make_conv);

}  // namespace
}  // namespace fastinfer::ops
