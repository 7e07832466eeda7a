// The transpose kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/transpose/kernels.h"

namespace fastinfer::transpose {
namespace {

const TransposeKernels* g_kernels = &kTransposeRef;

void fill_kernels(Isa isa) {
  g_kernels = &kTransposeRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kTransposeAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kTransposeAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("transpose_x32", fill_kernels, describe_kernels);

}  // namespace

const TransposeKernels& transpose_kernels() { return *g_kernels; }

}  // namespace fastinfer::transpose
