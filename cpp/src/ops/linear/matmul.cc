// MatMul with numpy semantics: 1-D operands are promoted (and the added dimension
// dropped from the result), leading batch dimensions broadcast. A 2-D (or 1-D) constant B
// is packed once at build time and the whole of A goes through one f32::linear call;
// two activations (attention scores Q @ K^T) pack each batch's B per call.
#include <algorithm>
#include <memory>
#include <vector>

#include "fastinfer/gemm_f32.h"
#include "fastinfer/plan.h"
#include "fastinfer/thread_pool.h"
#include "ops/linear/dynamic_pack.h"
#include "ops/linear/spec_checks.h"

namespace fastinfer::ops {
namespace {

class MatMulKernel final : public plan::Kernel {
 public:
  int64_t m = 0, k = 0, n = 0;
  bool b_unbatched = false;                   // B has no batch dims: A's batches fold into M
  int64_t a_rows = 0;                         // rows of A in one linear call when b_unbatched
  std::vector<int64_t> a_offsets, b_offsets;  // per output batch, in floats
  bool has_packed = false;
  std::shared_ptr<const f32::PackedWeights> packed;  // shared with other plans (shared_pack)
  int64_t zero_count = -1;  // >= 0: K or the output is empty, write that many zeros

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* a = static_cast<const float*>(inputs[0]);
    const float* b = static_cast<const float*>(inputs[1]);
    float* y = static_cast<float*>(outputs[0]);
    if (zero_count >= 0) {
      std::fill(y, y + zero_count, 0.0f);
      return;
    }
    if (has_packed) {
      f32::linear(a, a_rows, k, *packed, nullptr, Activation::kNone, y);
      return;
    }
    if (b_unbatched) {
      f32::PackedWeights& w = thread_packed_scratch();
      pack_strided(b, k, n, n, 1, 1.0f, &w);
      f32::linear(a, a_rows, k, w, nullptr, Activation::kNone, y);
      return;
    }
    const int64_t batches = static_cast<int64_t>(a_offsets.size());
    auto one = [&](int64_t i) {
      f32::PackedWeights& w = thread_packed_scratch();
      pack_strided(b + b_offsets[i], k, n, n, 1, 1.0f, &w);
      f32::linear(a + a_offsets[i], m, k, w, nullptr, Activation::kNone, y + i * m * n);
    };
    // Many small products (heads): one per task, each GEMM inline on its thread. Few
    // large ones: in turn, each threaded inside f32::linear.
    if (batches >= num_threads() && m * n * k < (int64_t{1} << 22)) {
      parallel_for(batches, one);
    } else {
      for (int64_t i = 0; i < batches; ++i) one(i);
    }
  }
};

std::unique_ptr<plan::Kernel> make_matmul(const plan::KernelSpec& spec) {
  require_f32_io(spec, 2, 2, 1);
  require_output_f32(spec, 0);
  std::vector<int64_t> as = spec.inputs[0].shape, bs = spec.inputs[1].shape;
  if (as.empty() || bs.empty()) fail(spec, "inputs must have rank >= 1 (got a scalar)");
  const bool a_vec = as.size() == 1, b_vec = bs.size() == 1;
  if (a_vec) as.insert(as.begin(), 1);
  if (b_vec) bs.push_back(1);
  auto kern = std::make_unique<MatMulKernel>();
  kern->m = as[as.size() - 2];
  kern->k = as.back();
  kern->n = bs.back();
  if (bs[bs.size() - 2] != kern->k) {
    fail(spec, "inner dimensions differ: A " + shape_str(spec.inputs[0].shape) + ", B " +
                   shape_str(spec.inputs[1].shape));
  }
  // Broadcast batch dims (right-aligned).
  const size_t ab = as.size() - 2, bb = bs.size() - 2, nb = std::max(ab, bb);
  std::vector<int64_t> batch(nb);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t da = i + ab >= nb ? as[i + ab - nb] : 1;
    const int64_t db = i + bb >= nb ? bs[i + bb - nb] : 1;
    if (da != db && da != 1 && db != 1) {
      fail(spec, "batch dimensions do not broadcast: A " + shape_str(spec.inputs[0].shape) +
                     ", B " + shape_str(spec.inputs[1].shape));
    }
    batch[i] = std::max(da, db);
    if (da == 0 || db == 0) batch[i] = 0;
  }
  std::vector<int64_t> out = batch;
  if (!a_vec) out.push_back(kern->m);
  if (!b_vec) out.push_back(kern->n);
  require_output_shape(spec, 0, out);
  const int64_t m = kern->m, k = kern->k, n = kern->n;
  if (product(out, 0, out.size()) == 0 || k == 0) {
    kern->zero_count = product(out, 0, out.size());  // empty product: all zeros (or nothing)
    return kern;
  }

  kern->b_unbatched = bb == 0 || product(bs, 0, bb) == 1;
  if (kern->b_unbatched) {
    // B's batch dims are all 1, so every output batch uses the same B and A's batches are
    // contiguous rows (A is not broadcast because B adds no batch extent).
    const int64_t b_batch = product(batch, 0, nb);
    const int64_t a_batch = product(as, 0, ab);
    if (a_batch == b_batch) {
      kern->a_rows = a_batch * m;
      if (const void* c = constant_input(spec, 1)) {
        kern->packed = f32::shared_pack(static_cast<const float*>(c), k, n);
        kern->has_packed = true;
      }
      return kern;
    }
    kern->b_unbatched = false;
  }
  // General case: per output batch, offsets of A and B under broadcasting.
  const int64_t batches = product(batch, 0, nb);
  kern->a_offsets.resize(batches);
  kern->b_offsets.resize(batches);
  std::vector<int64_t> idx(nb, 0);
  for (int64_t t = 0; t < batches; ++t) {
    int64_t ao = 0, bo = 0, astride = m * k, bstride = k * n;
    for (size_t i = nb; i-- > 0;) {
      const int64_t da = i + ab >= nb ? as[i + ab - nb] : 1;
      const int64_t db = i + bb >= nb ? bs[i + bb - nb] : 1;
      if (da != 1) ao += idx[i] * astride;
      if (db != 1) bo += idx[i] * bstride;
      astride *= da;
      bstride *= db;
    }
    kern->a_offsets[t] = ao;
    kern->b_offsets[t] = bo;
    for (size_t i = nb; i-- > 0;) {
      if (++idx[i] < batch[i]) break;
      idx[i] = 0;
    }
  }
  return kern;
}

const bool kRegistered = plan::register_kernel("MatMul", make_matmul);

}  // namespace
}  // namespace fastinfer::ops
