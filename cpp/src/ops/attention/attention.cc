// Attention (a fastinfer op from the graph passes): softmax(q @ k_t * scale + mask) @ v for
// q (B, H, Sq, D), k_t (B, H, D, Sk), v (B, H, Sk, Dv), mask broadcastable to
// (B, H, Sq, Sk). A task is one (b, h) and a block of query rows: it packs k_t (with the
// scale folded in) and v, and keeps only its block's scores, so memory stays at
// rows x Sk per thread instead of B x H x Sq x Sk.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/attention/softmax_rows.h"
#include "ops/linear/dynamic_pack.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

struct Scratch {
  f32::PackedWeights k, v;
  std::vector<float> scores;
};

Scratch& thread_scratch() {
  thread_local Scratch s;
  return s;
}

class AttentionKernel final : public plan::Kernel {
 public:
  int64_t batch = 0, heads = 0, sq = 0, sk = 0, d = 0, dv = 0;
  float scale = 1.0f;
  bool has_mask = false;
  // Probabilities that are NaN (a row masked out entirely) become 0, as torch's exported SDPA
  // does with Where(IsNaN(p), 0, p).
  bool nan_to_zero = false;
  int64_t mask_strides[4] = {0, 0, 0, 0};  // per (b, h, i, j), 0 where broadcast

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* q = static_cast<const float*>(inputs[0]);
    const float* kt = static_cast<const float*>(inputs[1]);
    const float* v = static_cast<const float*>(inputs[2]);
    const float* mask = has_mask ? static_cast<const float*>(inputs[3]) : nullptr;
    float* y = static_cast<float*>(outputs[0]);
    const int64_t bh = batch * heads;
    if (bh == 0 || sq == 0 || dv == 0) return;
    if (sk == 0) {
      // Softmax over nothing: NaN, or the guard's zeros.
      std::fill(y, y + bh * sq * dv, nan_to_zero ? 0.0f : std::nanf(""));
      return;
    }
    // Enough tasks for every thread; each extra row block re-packs k_t and v, which costs
    // 1/rows of its GEMMs, so blocks stay at >= 32 rows.
    const int64_t want = 2 * static_cast<int64_t>(num_threads());
    const int64_t splits = std::clamp<int64_t>((want + bh - 1) / bh, 1, (sq + 31) / 32);
    const int64_t rows = (sq + splits - 1) / splits;
    const int64_t blocks = (sq + rows - 1) / rows;
    parallel_for(bh * blocks, [&](int64_t t) {
      const int64_t pair = t / blocks, r0 = (t % blocks) * rows;
      const int64_t nr = std::min(rows, sq - r0);
      const int64_t b = pair / heads, h = pair % heads;
      Scratch& s = thread_scratch();
      pack_strided(kt + pair * d * sk, d, sk, sk, 1, scale, &s.k);
      pack_strided(v + pair * sk * dv, sk, dv, dv, 1, 1.0f, &s.v);
      s.scores.resize(static_cast<size_t>(nr * sk));
      float* sc = s.scores.data();
      if (d > 0) {
        f32::linear(q + (pair * sq + r0) * d, nr, d, s.k, nullptr, Activation::kNone, sc);
      } else {
        std::fill(sc, sc + nr * sk, 0.0f);
      }
      for (int64_t i = 0; i < nr; ++i) {
        const float* mrow =
            mask ? mask + b * mask_strides[0] + h * mask_strides[1] + (r0 + i) * mask_strides[2]
                 : nullptr;
        float* row = sc + i * sk;
        softmax_row(row, sk, mrow, mask_strides[3]);
        if (nan_to_zero) {
          // Written as a select (x == x is false only for NaN) so it vectorises.
          for (int64_t j = 0; j < sk; ++j) row[j] = row[j] == row[j] ? row[j] : 0.0f;
        }
      }
      f32::linear(sc, nr, sk, s.v, nullptr, Activation::kNone, y + (pair * sq + r0) * dv);
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
  kern->nan_to_zero = plan::attr_int(spec.attrs, "nan_to_zero", 0) != 0;
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
