// The conv kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/conv/kernels.h"

namespace fastinfer::conv {
namespace {

const ConvKernels* g_kernels = &kConvRef;

void fill_kernels(Isa isa) {
  g_kernels = &kConvRef;
#if FASTINFER_X86
  // VNNI adds nothing for fp32.
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kConvAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kConvAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() {
  return std::string(g_kernels->name) + ", " + g_kernels->depthwise_name;
}

FASTINFER_KERNEL_FAMILY("conv", fill_kernels, describe_kernels);

}  // namespace

const ConvKernels& conv_kernels() { return *g_kernels; }

}  // namespace fastinfer::conv
