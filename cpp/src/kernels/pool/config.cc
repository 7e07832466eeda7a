// The pooling kernel table, filled once for the active path (kernels/config_registry.h).
#include <string>

#include "fastinfer/cpu_info.h"
#include "kernels/config_registry.h"
#include "kernels/pool/kernels.h"

namespace fastinfer::pool {
namespace {

const PoolKernels* g_kernels = &kPoolRef;

void fill_kernels(Isa isa) {
  g_kernels = &kPoolRef;
#if FASTINFER_X86
  if (isa.has(IsaFeature::kAvx512)) {
    g_kernels = &kPoolAvx512;
  } else if (isa.has(IsaFeature::kAvx2Fma)) {
    g_kernels = &kPoolAvx2;
  }
#else
  (void)isa;
#endif
}

std::string describe_kernels() { return g_kernels->name; }

FASTINFER_KERNEL_FAMILY("pool_f32", fill_kernels, describe_kernels);

}  // namespace

const PoolKernels& pool_kernels() { return *g_kernels; }

}  // namespace fastinfer::pool
