// fp32 GEMM with pre-packed weights and a fused epilogue: y = act(x @ w + bias).
// Free of intrinsics: the kernels live in cpp/src/kernels/gemm_f32/<isa>.cc and are
// chosen from active_isa() on every call, so weights packed once serve every path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fastinfer/activation.h"
#include "fastinfer/aligned_buffer.h"

namespace fastinfer::f32 {

// Width of one packed column panel. 32 floats = two zmm or four ymm registers, so the
// AVX-512 kernel reads a whole panel row and the AVX2 kernel reads half of one.
constexpr int64_t kPanelWidth = 32;

// w (K, N) row-major, repacked as [ceil(N/32) panels][K][32]: a kernel walking down K
// reads one contiguous stream. Columns past N in the last panel are zero.
struct PackedWeights {
  int64_t k = 0;
  int64_t n = 0;
  AlignedBuffer<float> data;

  int64_t panels() const { return (n + kPanelWidth - 1) / kPanelWidth; }
  const float* panel(int64_t p) const { return data.data() + p * k * kPanelWidth; }
};

// Packs w (k x n, row-major, as numpy/ONNX MatMul). Throws std::invalid_argument if
// k or n is not positive.
PackedWeights pack(const float* w, int64_t k, int64_t n);

// pack(), shared: plans compiled for several input shapes of one model reuse one packed
// copy of each constant weight instead of packing (and holding) it once per plan. Keyed by
// the weight's address, its shape and a hash of sampled values; entries live as long as
// some kernel holds them.
std::shared_ptr<const PackedWeights> shared_pack(const float* w, int64_t k, int64_t n);

// Packed weights named by a caller-chosen id (the Python model names its constants), so a
// model can drop its fp32 copy once packed: later plans find the packed copy by id. `w`
// may be null only if the id is already packed; throws std::invalid_argument otherwise.
std::shared_ptr<const PackedWeights> shared_pack_by_id(const std::string& id, const float* w,
                                                       int64_t k, int64_t n);
// The packed copy of `id` if some plan still holds it, else null.
std::shared_ptr<const PackedWeights> find_packed(const std::string& id);
// Writes the (k, n) row-major weights a PackedWeights was made from.
void unpack(const PackedWeights& p, float* w);

// y (m x n) = act(x (m x k) @ w + bias). `bias` may be null (else n floats). x and y are
// row-major and contiguous; `k` must equal w.k. Runs on the intra-op thread pool.
void linear(const float* x, int64_t m, int64_t k, const PackedWeights& w, const float* bias,
            Activation act, float* y);

// Name of the kernel linear() uses on the active ISA path, e.g. "f32-gemm-12x32-avx512".
const char* kernel_name();

}  // namespace fastinfer::f32
