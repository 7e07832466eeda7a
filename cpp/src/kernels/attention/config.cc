// The attention kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/attention/kernel.h"
#include "kernels/config_registry.h"

namespace fastinfer::attention {
namespace {

const AttentionKernels* g_kernels = &kAttentionRef;

void fill_kernels(Isa isa) {
  g_kernels = &kAttentionRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kAttentionAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kAttentionAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("attention_f32", fill_kernels, describe_kernels);

}  // namespace

const AttentionKernels& attention_kernels() { return *g_kernels; }

}  // namespace fastinfer::attention
