// The blocked conv kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/conv_blocked/kernels.h"

namespace fastinfer::conv_blocked {
namespace {

const ConvBlockedKernels* g_kernels = &kConvBlockedRef;

void fill_kernels(Isa isa) {
  g_kernels = &kConvBlockedRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kConvBlockedAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kConvBlockedAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return std::string(g_kernels->name) + ", " + g_kernels->dw_name; }

FASTINFER_KERNEL_FAMILY("conv_blocked", fill_kernels, describe_kernels);

}  // namespace

const ConvBlockedKernels& conv_blocked_kernels() { return *g_kernels; }

}  // namespace fastinfer::conv_blocked
