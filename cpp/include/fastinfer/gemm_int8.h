// int8 GEMM: u8 activations x s8 weights -> int32, with a fused epilogue.
//
// Weights follow y = x @ w with w of shape (K, N). They are packed once into panels of
// kPanelN columns; inside a panel, each column's K values are interleaved in groups of
// kGroupK bytes, so one 64-byte load holds 4 consecutive k for 16 columns: exactly the
// operand of vpdpbusd (and of the vpmaddubsw/vpmaddwd pair on paths without VNNI).
//   data[panel][k_group][column in panel][k in group]   (zero padded on K and N)
// Every ISA path reads this one layout, so weights packed once run on whichever path is
// active.
#pragma once

#include <cstdint>

#include "fastinfer/activation.h"
#include "fastinfer/aligned_buffer.h"

namespace fastinfer::int8 {

constexpr int kPanelN = 64;
constexpr int kGroupK = 4;
// Largest K for which sum_k (a - za) * w stays exact in int32 for any u8 a, s8 w:
// 255 * 128 * K < 2^31.
constexpr int64_t kMaxK = 65793;

struct PackedWeights {
  int64_t k = 0, n = 0;
  int64_t k_groups = 0, n_panels = 0;
  bool per_channel = false;
  AlignedBuffer<int8_t> data;       // n_panels * k_groups * kPanelN * kGroupK
  AlignedBuffer<int32_t> col_sums;  // n_panels * kPanelN: sum_k w[k, n], for zero points
  AlignedBuffer<float> scales;      // n_panels * kPanelN: per column (a tensor scale repeated)
  int64_t nbytes() const { return static_cast<int64_t>(data.bytes() + col_sums.bytes()); }
};

// Packs already-quantized weights w (row-major K x N int8, any value in [-128, 127]).
// `scales` has n entries (per_channel) or 1 (per tensor); null means 1.0.
PackedWeights pack_quantized(const int8_t* w, int64_t k, int64_t n, const float* scales,
                             bool per_channel);

// Quantizes fp32 weights symmetrically (scale = max|w| / 127 per output column, or per
// tensor; zero point 0, values in [-127, 127]) and packs them.
PackedWeights quantize_and_pack(const float* w, int64_t k, int64_t n, bool per_channel);

enum class Output { kInt32, kFloat32, kUint8 };

// What happens to each int32 accumulator acc[m, n] = sum_k a[m, k] * w[k, n]:
//   c = acc - za[m] * col_sum[n]                        (exact: the zero-point correction)
//   kInt32:   out = c
//   kFloat32: out = act(c * sa[m] * sw[n] + bias[n])
//   kUint8:   out = clamp(round(act(...) / out_scale) + out_zero_point, 0, 255)
struct Epilogue {
  Output output = Output::kInt32;
  const int32_t* a_zero_points = nullptr;  // per row (M); null: use a_zero_point
  int32_t a_zero_point = 0;
  const float* a_scales = nullptr;  // per row (M); null: use a_scale
  float a_scale = 1.0f;
  const float* bias = nullptr;  // N or null
  Activation activation = Activation::kNone;
  float out_scale = 1.0f;
  int32_t out_zero_point = 0;
};

// a: M x K u8 with row stride lda. out: M x N of the epilogue's type, row stride ldc
// (elements). Multi-threaded over tiles; dispatches on active_isa().
void gemm_u8s8(const uint8_t* a, int64_t m, int64_t lda, const PackedWeights& w, const Epilogue& ep,
               void* out, int64_t ldc);

// Dynamic quantization of activations: per row (or one range for the whole tensor),
// scale = (max(0, max x) - min(0, min x)) / 255, zero point = round(-min / scale),
// q = clamp(round(x / scale) + zero point, 0, 255) (as ONNX DynamicQuantizeLinear).
void quantize_rows_u8(const float* x, int64_t m, int64_t k, uint8_t* q, float* scales,
                      int32_t* zero_points);
void quantize_tensor_u8(const float* x, int64_t count, uint8_t* q, float* scale,
                        int32_t* zero_point);

// y = act(x @ w + bias) through the int8 path: x quantized per row, int8 GEMM, fp32 out.
void linear_int8(const float* x, int64_t m, const PackedWeights& w, const float* bias,
                 Activation act, float* y);

// Names of the kernels the active ISA uses, e.g. "qu8s8-gemm-6x64c4-avx512vnni".
const char* gemm_kernel_name();
const char* quantize_kernel_name();

}  // namespace fastinfer::int8
