// ONNX Gemm: Y = alpha * A' @ B' + beta * C, A' = transA ? A^T : A, likewise B'. alpha and
// the transpose of B are folded into the packed weights (at build time for a constant B);
// beta * C becomes the fused bias when it is a constant row vector, else a pass over Y.
#include <algorithm>
#include <memory>
#include <vector>

#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "ops/linear/dynamic_pack.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class GemmKernel final : public plan::Kernel {
 public:
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  bool has_packed = false;
  f32::PackedWeights packed;
  std::vector<float> bias;  // beta * C as a row vector, when C is a constant row
  bool c_pass = false;      // add beta * C[i * c_rs + j * c_cs] after the GEMM
  int64_t c_rs = 0, c_cs = 0;

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* a = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    if (m == 0 || n == 0) return;
    if (k == 0) {
      std::fill(y, y + m * n, 0.0f);
      if (!bias.empty()) {
        for (int64_t i = 0; i < m; ++i) std::copy(bias.begin(), bias.end(), y + i * n);
      }
    } else {
      if (trans_a) {
        // linear reads x row-major, so A^T is materialised (A is usually small here).
        thread_local std::vector<float> at;
        at.resize(static_cast<size_t>(m * k));
        for (int64_t r = 0; r < k; ++r) {
          for (int64_t c = 0; c < m; ++c) at[c * k + r] = a[r * m + c];
        }
        a = at.data();
      }
      const float* b = bias.empty() ? nullptr : bias.data();
      if (has_packed) {
        f32::linear(a, m, k, packed, b, Activation::kNone, y);
      } else {
        f32::PackedWeights& w = thread_packed_scratch();
        const float* src = static_cast<const float*>(inputs[1]);
        if (trans_b) {
          pack_strided(src, k, n, 1, k, alpha, &w);
        } else {
          pack_strided(src, k, n, n, 1, alpha, &w);
        }
        f32::linear(a, m, k, w, b, Activation::kNone, y);
      }
    }
    if (c_pass) {
      const float* c = static_cast<const float*>(inputs[2]);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) y[i * n + j] += beta * c[i * c_rs + j * c_cs];
      }
    }
  }
};

std::unique_ptr<plan::Kernel> make_gemm(const plan::KernelSpec& spec) {
  require_f32_io(spec, 2, 3, 1);
  require_output_f32(spec, 0);
  const auto& as = spec.inputs[0].shape;
  const auto& bs = spec.inputs[1].shape;
  if (as.size() != 2 || bs.size() != 2) {
    fail(spec, "A and B must be 2-D, got A " + shape_str(as) + ", B " + shape_str(bs));
  }
  auto kern = std::make_unique<GemmKernel>();
  kern->trans_a = plan::attr_int(spec.attrs, "transA", 0) != 0;
  kern->trans_b = plan::attr_int(spec.attrs, "transB", 0) != 0;
  kern->alpha = static_cast<float>(plan::attr_float(spec.attrs, "alpha", 1.0));
  kern->beta = static_cast<float>(plan::attr_float(spec.attrs, "beta", 1.0));
  kern->m = kern->trans_a ? as[1] : as[0];
  kern->k = kern->trans_a ? as[0] : as[1];
  const int64_t kb = kern->trans_b ? bs[1] : bs[0];
  kern->n = kern->trans_b ? bs[0] : bs[1];
  const int64_t m = kern->m, k = kern->k, n = kern->n;
  if (kb != k) {
    fail(spec, "inner dimensions differ: A " + shape_str(as) +
                   (kern->trans_a ? " (transposed)" : "") + ", B " + shape_str(bs) +
                   (kern->trans_b ? " (transposed)" : ""));
  }
  require_output_shape(spec, 0, {m, n});

  if (has_input(spec, 2) && kern->beta != 0.0f) {
    const auto& cs = spec.inputs[2].shape;
    if (cs.size() > 2) fail(spec, "C must have rank <= 2, got " + shape_str(cs));
    const int64_t cr = cs.size() == 2 ? cs[0] : 1;
    const int64_t cc = cs.empty() ? 1 : cs.back();
    if ((cr != 1 && cr != m) || (cc != 1 && cc != n)) {
      fail(spec, "C " + shape_str(cs) + " does not broadcast to [" + std::to_string(m) + ", " +
                     std::to_string(n) + "]");
    }
    const void* c = constant_input(spec, 2);
    if (c && cr == 1) {
      const float* cf = static_cast<const float*>(c);
      kern->bias.resize(n);
      for (int64_t j = 0; j < n; ++j) kern->bias[j] = kern->beta * cf[cc == 1 ? 0 : j];
    } else {
      kern->c_pass = true;
      kern->c_rs = cr == 1 ? 0 : cc;
      kern->c_cs = cc == 1 ? 0 : 1;
    }
  }
  if (const void* c = constant_input(spec, 1); c && k > 0 && n > 0) {
    const float* b = static_cast<const float*>(c);
    if (kern->trans_b) {
      pack_strided(b, k, n, 1, k, kern->alpha, &kern->packed);
    } else {
      pack_strided(b, k, n, n, 1, kern->alpha, &kern->packed);
    }
    kern->has_packed = true;
  }
  return kern;
}

const bool kRegistered = plan::register_kernel("Gemm", make_gemm);

}  // namespace
}  // namespace fastinfer::ops
