// The portable 2-D transpose (kernels.h).
#include <algorithm>

#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {

void transpose32_ref(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                     int64_t n_i, int64_t n_j) {
  constexpr int64_t kB = 16;
  for (int64_t i0 = 0; i0 < n_i; i0 += kB) {
    const int64_t i1 = std::min(n_i, i0 + kB);
    for (int64_t j0 = 0; j0 < n_j; j0 += kB) {
      const int64_t j1 = std::min(n_j, j0 + kB);
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1; ++j) dst[i * ld_dst + j] = src[j * ld_src + i];
      }
    }
  }
}

const TransposeKernels kTransposeRef = {"x32-transpose-scalar", &transpose32_ref};

}  // namespace fastinfer::transpose
