// The block walk shared by the vector transposes: whole B x B blocks through a register
// transpose, the right and bottom edges through the portable loop. Included by each ISA
// file with its own block function, so no code built with one ISA's flags is shared.
#pragma once

#include <cstdint>

#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {

// block(src, ld_src, dst, ld_dst): one B x B block, dst[i][j] = src[j][i].
template <int64_t B, typename Block>
void transpose_blocks(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                      int64_t n_i, int64_t n_j, Block block) {
  const int64_t full_i = n_i / B * B, full_j = n_j / B * B;
  for (int64_t i0 = 0; i0 < full_i; i0 += B) {
    for (int64_t j0 = 0; j0 < full_j; j0 += B) {
      block(src + j0 * ld_src + i0, ld_src, dst + i0 * ld_dst + j0, ld_dst);
    }
    if (full_j < n_j) {
      transpose32_ref(src + full_j * ld_src + i0, ld_src, dst + i0 * ld_dst + full_j, ld_dst, B,
                      n_j - full_j);
    }
  }
  if (full_i < n_i) {
    transpose32_ref(src + full_i, ld_src, dst + full_i * ld_dst, ld_dst, n_i - full_i, n_j);
  }
}

}  // namespace fastinfer::transpose
