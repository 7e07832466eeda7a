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

// The portable loop for any element type, also the vector paths' edges: 16 x 16 tiles, so
// the source lines of one tile stay in L1 while its columns are gathered.
template <class T>
void transpose_tiles(const T* src, int64_t ld_src, T* dst, int64_t ld_dst, int64_t n_i,
                     int64_t n_j) {
  constexpr int64_t kB = 16;
  for (int64_t i0 = 0; i0 < n_i; i0 += kB) {
    const int64_t i1 = i0 + kB < n_i ? i0 + kB : n_i;
    for (int64_t j0 = 0; j0 < n_j; j0 += kB) {
      const int64_t j1 = j0 + kB < n_j ? j0 + kB : n_j;
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1; ++j) dst[i * ld_dst + j] = src[j * ld_src + i];
      }
    }
  }
}

void transpose32_ref(const uint32_t* src, int64_t ld_src, uint32_t* dst, int64_t ld_dst,
                     int64_t n_i, int64_t n_j);

extern const TransposeKernels kTransposeRef;
#if FASTINFER_X86
extern const TransposeKernels kTransposeAvx2;
extern const TransposeKernels kTransposeAvx512;
#endif

}  // namespace fastinfer::transpose
