// The 2-D transpose of 32-bit elements behind the Transpose op (and any strided copy whose
// last two axes swap): one table per path (config.cc fills it when the module loads or a
// test forces a path). The elements are moved as bits, so floats and int32 alike.
#pragma once

#include <cstdint>

namespace fastinfer::transpose {

struct TransposeKernels {
  const char* name;
  // dst[i * ld_dst + j] = src[j * ld_src + i] for i in [0, n_i), j in [0, n_j).
  void (*transpose32)(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                      int64_t n_i, int64_t n_j);
};

const TransposeKernels& transpose_kernels();  // for the active ISA

// The portable loop, also the vector paths' edges: 16 x 16 tiles, so the source lines of one
// tile stay in L1 while its columns are gathered.
void transpose32_ref(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                     int64_t n_i, int64_t n_j);

extern const TransposeKernels kTransposeRef;
#if FASTINFER_X86
extern const TransposeKernels kTransposeAvx2;
extern const TransposeKernels kTransposeAvx512;
#endif

}  // namespace fastinfer::transpose
