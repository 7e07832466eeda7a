// The seam between the Attention op (ops/attention) and its per-ISA kernels: one call
// computes softmax(q k_t * scale + mask) v for a block of query rows of one (batch, head).
// Free of intrinsics; each kernel is defined in the file named after its ISA.
#pragma once

#include <cstdint>

namespace fastinfer::attention {

struct AttentionArgs {
  const float* q;   // rows x d, row-major
  const float* kt;  // d x sk, row-major (K already transposed)
  const float* v;   // sk x dv, row-major
  // Additive mask or null: element (i, j) of the block at mask[i * mask_row + j * mask_col];
  // mask_col is 0 (broadcast over keys) or 1.
  const float* mask;
  int64_t mask_row, mask_col;
  int64_t rows, sk, d, dv;
  // Causal: key j is visible to query row i of the block iff j <= first_row + i (ONNX's
  // is_causal without a cache, torch's is_causal: the top-left triangle).
  bool causal;
  int64_t first_row;
  // A row whose probabilities are NaN (every key masked with -inf, or NaN scores) gives
  // zeros instead of NaN: the Where(IsNaN(p), 0, p) that torch's exporter writes after the
  // softmax.
  bool nan_probs_to_zero;
  float scale;
  float* y;  // rows x dv, row-major
};

using AttentionFn = void (*)(const AttentionArgs& a);

// The family's table (config.cc).
struct AttentionKernels {
  const char* name;
  AttentionFn rows;
};

const AttentionKernels& attention_kernels();  // for the active ISA

// A key whose mask value is at or below this (for every row of a tile) gets exactly its
// mask value as its score in float32 (s * scale is below half an ulp of the mask unless
// |s * scale| > 1e22), so the kernels skip its dot products: a materialised causal or
// padding mask costs no multiply-adds where it masks.
constexpr float kSkipMask = -1e30f;

extern const AttentionKernels kAttentionRef;
#if FASTINFER_X86
extern const AttentionKernels kAttentionAvx2;
extern const AttentionKernels kAttentionAvx512;
#endif

}  // namespace fastinfer::attention
