// AVX2 2-D transpose: 8 x 8 blocks in ymm registers (kernels/common/transpose_avx2.h).
#include <immintrin.h>

#include "kernels/common/transpose_avx2.h"
#include "kernels/transpose/blocks_impl.h"
#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {
namespace {

void transpose32(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst, int64_t n_i,
                 int64_t n_j) {
  transpose_blocks<8>(src, ld_src, dst, ld_dst, n_i, n_j,
                      [](const uint32_t* s, int64_t lds, uint32_t* d, int64_t ldd) {
                        __m256 r[8];
                        for (int j = 0; j < 8; ++j)
                          r[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(s + j * lds));
                        vec256::transpose8(r);
                        for (int i = 0; i < 8; ++i)
                          _mm256_storeu_ps(reinterpret_cast<float*>(d + i * ldd), r[i]);
                      });
}

}  // namespace

const TransposeKernels kTransposeAvx2 = {"x32-transpose-8x8-avx2", &transpose32};

}  // namespace fastinfer::transpose
