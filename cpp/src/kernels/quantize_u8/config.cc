// Picks the quantization kernels for the active ISA, and the composed per-row and
// per-tensor operations.
#include <algorithm>

#include "fastinfer/cpu_info.h"
#include "fastinfer/gemm_int8.h"
#include "fastinfer/thread_pool.h"
#include "kernels/quantize_u8/kernel.h"

namespace fastinfer::int8 {

const QuantizeKernels& quantize_kernels() {
#if defined(FASTINFER_X86)
  switch (active_isa()) {
    case Isa::kAvx512Vnni:
    case Isa::kAvx512:
      return kQuantizeAvx512;
    case Isa::kAvx2:
      return kQuantizeAvx2;
    case Isa::kScalar:
      break;
  }
#endif
  return kQuantizeRef;
}

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
