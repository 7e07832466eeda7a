// One configuration table per kernel family, filled for the active path when the module
// loads (and again when a test forces another path), like XNNPACK's gemm-config.
//
// A family keeps its table in a global struct of kernel pointers and names, initialised to
// its portable reference kernels, and registers a fill function here with
// FASTINFER_KERNEL_FAMILY. Call sites read the table; they never test the ISA themselves.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fastinfer/cpu_info.h"

namespace fastinfer::kernels {

struct FamilyRegistration {
  const char* family;         // e.g. "gemm_f32"
  void (*fill)(Isa isa);      // points the family's table at isa's kernels
  std::string (*describe)();  // the chosen kernel names, for logs and tests
};

// Called from static initialisers (FASTINFER_KERNEL_FAMILY); returns a dummy for them.
bool register_family(const FamilyRegistration& reg);

// Fills every registered family's table for isa. Called by set_active_isa.
void configure_all(Isa isa);

// (family, chosen kernels) for every family, sorted by family.
std::vector<std::pair<std::string, std::string>> chosen_kernels();

}  // namespace fastinfer::kernels

#define FASTINFER_KERNEL_FAMILY_CAT2(a, b) a##b
#define FASTINFER_KERNEL_FAMILY_CAT(a, b) FASTINFER_KERNEL_FAMILY_CAT2(a, b)
// Registers a family at static-initialisation time: FASTINFER_KERNEL_FAMILY("name", fill,
// describe) in the family's config.cc.
#define FASTINFER_KERNEL_FAMILY(family, fill, describe)                                    \
  [[maybe_unused]] static const bool FASTINFER_KERNEL_FAMILY_CAT(kRegistered_, __LINE__) = \
      ::fastinfer::kernels::register_family({family, fill, describe})
