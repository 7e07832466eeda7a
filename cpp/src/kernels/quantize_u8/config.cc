// Picks the quantization kernels for the active ISA, and the composed per-row and
// per-tensor operations.
#include <algorithm>
#include <string>

#include "fastinfer/cpu_info.h"
#include "fastinfer/gemm_int8.h"
#include "fastinfer/thread_pool.h"
#include "kernels/config_registry.h"
#include "kernels/quantize_u8/kernel.h"

namespace fastinfer::int8 {

namespace {

// The table, filled once for the active path (kernels/config_registry.h).
const QuantizeKernels* g_kernels = &kQuantizeRef;

void fill_kernels(Isa isa) {
  g_kernels = &kQuantizeRef;
#if defined(FASTINFER_X86)
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kQuantizeAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kQuantizeAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("quantize_u8", fill_kernels, describe_kernels);

}  // namespace

const QuantizeKernels& quantize_kernels() { return *g_kernels; }

const char* quantize_kernel_name() { return quantize_kernels().name; }

void quantize_rows_u8(const float* x, int64_t m, int64_t k, uint8_t* q, float* scales,
                      int32_t* zero_points) {
  const QuantizeKernels& qk = quantize_kernels();
  // Rows are independent; split them over threads only when there is real work.
  const int64_t rows_per_task = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(k, 1));
  const int64_t tasks = (m + rows_per_task - 1) / rows_per_task;
  parallel_for(tasks, [&](int64_t t) {
    const int64_t end = std::min(m, (t + 1) * rows_per_task);
    for (int64_t r = t * rows_per_task; r < end; ++r) {
      float lo, hi;
      qk.min_max(x + r * k, k, &lo, &hi);
      choose_qparams(lo, hi, &scales[r], &zero_points[r]);
      qk.quantize(x + r * k, k, 1.0f / scales[r], zero_points[r], q + r * k);
    }
  });
}

void quantize_tensor_u8(const float* x, int64_t count, uint8_t* q, float* scale,
                        int32_t* zero_point) {
  const QuantizeKernels& qk = quantize_kernels();
  float lo, hi;
  qk.min_max(x, count, &lo, &hi);
  choose_qparams(lo, hi, scale, zero_point);
  qk.quantize(x, count, 1.0f / *scale, *zero_point, q);
}

}  // namespace fastinfer::int8
