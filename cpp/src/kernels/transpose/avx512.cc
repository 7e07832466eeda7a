// AVX-512 2-D transpose: 16 x 16 blocks in zmm registers (kernels/common/transpose_avx512.h).
#include <immintrin.h>

#include "kernels/common/transpose_avx512.h"
#include "kernels/transpose/blocks_impl.h"
#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {
namespace {

void transpose32(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst, int64_t n_i,
                 int64_t n_j) {
  transpose_blocks<16>(src, ld_src, dst, ld_dst, n_i, n_j,
                       [](const uint32_t* s, int64_t lds, uint32_t* d, int64_t ldd) {
                         __m512 r[16];
                         for (int j = 0; j < 16; ++j)
                           r[j] = _mm512_loadu_ps(reinterpret_cast<const float*>(s + j * lds));
                         vec512::transpose16(r);
                         for (int i = 0; i < 16; ++i)
                           _mm512_storeu_ps(reinterpret_cast<float*>(d + i * ldd), r[i]);
                       });
}

}  // namespace

const TransposeKernels kTransposeAvx512 = {"x32-transpose-16x16-avx512", &transpose32};

}  // namespace fastinfer::transpose
