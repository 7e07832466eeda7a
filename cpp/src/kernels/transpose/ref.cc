// The portable 2-D transpose (kernels.h).
#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {

void transpose32_ref(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                     int64_t n_i, int64_t n_j) {
  transpose_tiles(src, ld_src, dst, ld_dst, n_i, n_j);
}

const TransposeKernels kTransposeRef = {"x32-transpose-scalar", &transpose32_ref};

}  // namespace fastinfer::transpose
