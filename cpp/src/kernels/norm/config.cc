// The normalisation kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/norm/kernels.h"

namespace fastinfer::norm {
namespace {

const NormKernels* g_kernels = &kNormRef;

void fill_kernels(Isa isa) {
  g_kernels = &kNormRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kNormAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kNormAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("norm_f32", fill_kernels, describe_kernels);

}  // namespace

const NormKernels& norm_kernels() { return *g_kernels; }

}  // namespace fastinfer::norm
