// Attention (a fastinfer op from the graph passes): softmax(q @ k_t * scale + mask) @ v for
// q (B, H, Sq, D), k_t (B, H, D, Sk), v (B, H, Sk, Dv), mask broadcastable to
// (B, H, Sq, Sk). Attributes: scale; causal (key j visible to query i iff j <= i);
// nan_probs_to_zero (a row of NaN probabilities, e.g. every key masked with -inf, gives 0
// instead of NaN). A task is one (b, h) and a block of query rows, computed by the
// attention kernel family (kernels/attention) with only a few rows of scores as scratch.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "kernels/attention/kernel.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class AttentionKernel final : public plan::Kernel {
 public:
  int64_t batch = 0, heads = 0, sq = 0, sk = 0, d = 0, dv = 0;
  float scale = 1.0f;
  bool causal = false, nan_probs_to_zero = false;
  bool has_mask = false;
  int64_t mask_strides[4] = {0, 0, 0, 0};  // per (b, h, i, j), 0 where broadcast

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* q = static_cast<const float*>(inputs[0]);
    const float* kt = static_cast<const float*>(inputs[1]);
    const float* v = static_cast<const float*>(inputs[2]);
    const float* mask = has_mask ? static_cast<const float*>(inputs[3]) : nullptr;
    float* y = static_cast<float*>(outputs[0]);
    const int64_t bh = batch * heads;
    if (bh == 0 || sq == 0 || dv == 0) return;
    if (sk == 0) {  // softmax over nothing
      std::fill(y, y + bh * sq * dv, nan_probs_to_zero ? 0.0f : std::nanf(""));
      return;
    }
    const attention::AttentionFn kernel = attention::attention_kernels().rows;
    // Row blocks cost nothing to add (no packing per task): enough tasks that every thread
    // gets several (causal blocks differ in cost), blocks of at least 16 rows.
    const int64_t want = 4 * static_cast<int64_t>(num_threads());
    const int64_t splits = std::clamp<int64_t>((want + bh - 1) / bh, 1, (sq + 15) / 16);
    const int64_t rows = (sq + splits - 1) / splits;
    const int64_t blocks = (sq + rows - 1) / rows;
    parallel_for(bh * blocks, [&](int64_t t) {
      const int64_t pair = t / blocks, r0 = (t % blocks) * rows;
      const int64_t b = pair / heads, h = pair % heads;
      attention::AttentionArgs a;
      a.q = q + (pair * sq + r0) * d;
      a.kt = kt + pair * d * sk;
      a.v = v + pair * sk * dv;
      a.mask =
          mask ? mask + b * mask_strides[0] + h * mask_strides[1] + r0 * mask_strides[2] : nullptr;
      a.mask_row = mask_strides[2];
      a.mask_col = mask_strides[3];
      a.rows = std::min(rows, sq - r0);
      a.sk = sk;
      a.d = d;
      a.dv = dv;
      a.causal = causal;
      a.first_row = r0;
      a.nan_probs_to_zero = nan_probs_to_zero;
      a.scale = scale;
      a.y = y + (pair * sq + r0) * dv;
      kernel(a);
    });
  }
};

std::unique_ptr<plan::Kernel> make_attention(const plan::KernelSpec& spec) {
  require_f32_io(spec, 3, 4, 1);
  require_output_f32(spec, 0);
  const auto& qs = spec.inputs[0].shape;
  const auto& ks = spec.inputs[1].shape;
  const auto& vs = spec.inputs[2].shape;
  if (qs.size() != 4 || ks.size() != 4 || vs.size() != 4) {
    fail(spec, "q, k_t and v must be 4-D (B, H, S, D), got q " + shape_str(qs) + ", k_t " +
                   shape_str(ks) + ", v " + shape_str(vs));
  }
  auto kern = std::make_unique<AttentionKernel>();
  kern->batch = qs[0];
  kern->heads = qs[1];
  kern->sq = qs[2];
  kern->d = qs[3];
  kern->sk = ks[3];
  kern->dv = vs[3];
  if (ks[0] != qs[0] || ks[1] != qs[1] || ks[2] != qs[3] || vs[0] != qs[0] || vs[1] != qs[1] ||
      vs[2] != ks[3]) {
    fail(spec, "shapes do not agree: q " + shape_str(qs) + " (B, H, Sq, D), k_t " + shape_str(ks) +
                   " (B, H, D, Sk), v " + shape_str(vs) + " (B, H, Sk, Dv)");
  }
  require_output_shape(spec, 0, {qs[0], qs[1], qs[2], vs[3]});
  kern->scale = static_cast<float>(plan::attr_float(spec.attrs, "scale", 1.0));
  if (!std::isfinite(kern->scale)) fail(spec, "scale must be finite");
  kern->causal = plan::attr_int(spec.attrs, "causal", 0) != 0;
  kern->nan_probs_to_zero = plan::attr_int(spec.attrs, "nan_probs_to_zero", 0) != 0;
  if (has_input(spec, 3)) {
    const auto& ms = spec.inputs[3].shape;
    const int64_t full[4] = {qs[0], qs[1], qs[2], ks[3]};
    if (ms.size() > 4) fail(spec, "mask must have rank <= 4, got " + shape_str(ms));
    int64_t stride = 1;
    for (size_t i = 0; i < ms.size(); ++i) {
      const size_t axis = 4 - ms.size() + (ms.size() - 1 - i);
      const int64_t dim = ms[ms.size() - 1 - i];
      if (dim != 1 && dim != full[axis]) {
        fail(spec, "mask " + shape_str(ms) + " does not broadcast to [" + std::to_string(full[0]) +
                       ", " + std::to_string(full[1]) + ", " + std::to_string(full[2]) + ", " +
                       std::to_string(full[3]) + "]");
      }
      kern->mask_strides[axis] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
    kern->has_mask = true;
  }
  return kern;
}

const bool kRegistered = plan::register_kernel("Attention", make_attention);

}  // namespace
}  // namespace fastinfer::ops
