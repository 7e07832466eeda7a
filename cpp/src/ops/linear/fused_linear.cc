// FusedLinear (a fastinfer op from the graph passes): y = act(x @ W + bias) over the last
// dim of x. W (K, N) is packed once when it is a constant; bias and activation run in
// f32::linear's epilogue, on each tile while it is in registers.
#include <memory>
#include <string>

#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "ops/linear/dynamic_pack.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class FusedLinearKernel final : public plan::Kernel {
 public:
  int64_t m = 0, k = 0, n = 0;
  bool has_packed = false;
  std::shared_ptr<const f32::PackedWeights> packed;  // shared with other plans (shared_pack)
  std::vector<float> bias;                           // a constant bias, copied
  bool dynamic_bias = false;                         // the bias is input 2 at run time
  Activation act = Activation::kNone;

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const float* b = dynamic_bias ? static_cast<const float*>(inputs[2])
                                  : (bias.empty() ? nullptr : bias.data());
    if (k == 0) {
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) y[i * n + j] = b ? b[j] : 0.0f;
      }
    } else if (has_packed) {
      f32::linear(x, m, k, *packed, b, act, y);
    } else {
      f32::PackedWeights& w = thread_packed_scratch();
      pack_strided(static_cast<const float*>(inputs[1]), k, n, n, 1, 1.0f, &w);
      f32::linear(x, m, k, w, b, act, y);
    }
    if (k == 0 && act != Activation::kNone) {
      for (int64_t i = 0; i < m * n; ++i) y[i] = apply_activation_ref(act, y[i]);
    }
  }
};

std::unique_ptr<plan::Kernel> make_fused_linear(const plan::KernelSpec& spec) {
  require_f32_io(spec, 2, 3, 1);
  require_output_f32(spec, 0);
  const auto& xs = spec.inputs[0].shape;
  const auto& ws = spec.inputs[1].shape;
  if (xs.empty()) fail(spec, "x must have rank >= 1, got a scalar");
  if (ws.size() != 2) fail(spec, "W must be 2-D (K, N), got " + shape_str(ws));
  auto kern = std::make_unique<FusedLinearKernel>();
  kern->k = xs.back();
  kern->n = ws[1];
  kern->m = product(xs, 0, xs.size() - 1);
  if (ws[0] != kern->k) {
    fail(spec, "x " + shape_str(xs) + " and W " + shape_str(ws) + " disagree on K");
  }
  std::vector<int64_t> out(xs.begin(), xs.end() - 1);
  out.push_back(kern->n);
  require_output_shape(spec, 0, out);
  const std::string act = plan::attr_string(spec.attrs, "activation", "");
  if (act.empty() || act == "relu" || act == "gelu" || act == "gelu_tanh") {
    kern->act = parse_activation(act);
  } else {
    fail(spec, "activation '" + act + "' is not supported (expected '', 'relu', 'gelu' or " +
                   "'gelu_tanh')");
  }
  if (has_input(spec, 2)) {
    if (spec.inputs[2].shape != std::vector<int64_t>{kern->n}) {
      fail(spec, "bias must have shape [" + std::to_string(kern->n) + "], got " +
                     shape_str(spec.inputs[2].shape));
    }
    if (const void* c = constant_input(spec, 2)) {
      const float* b = static_cast<const float*>(c);
      kern->bias.assign(b, b + kern->n);
    } else {
      kern->dynamic_bias = true;
    }
  }
  const std::string weight_id = plan::attr_string(spec.attrs, "weight_id", "");
  const bool released = plan::attr_int(spec.attrs, "weight_released", 0) != 0;
  if (const void* c = constant_input(spec, 1); c && kern->k > 0 && kern->n > 0) {
    // A released weight's constant is a placeholder: only its packed copy (by id) is real.
    const float* w = released ? nullptr : static_cast<const float*>(c);
    kern->packed = weight_id.empty() ? f32::shared_pack(w, kern->k, kern->n)
                                     : f32::shared_pack_by_id(weight_id, w, kern->k, kern->n);
    kern->has_packed = true;
  }
  return kern;
}

const bool kRegistered = plan::register_kernel("FusedLinear", make_fused_linear);

}  // namespace
}  // namespace fastinfer::ops
