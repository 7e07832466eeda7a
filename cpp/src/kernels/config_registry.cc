#include "kernels/config_registry.h"

#include <algorithm>
#include <mutex>

namespace fastinfer::kernels {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<FamilyRegistration> families;
  bool configured = false;
  Isa isa = Isa::kScalar;
};

Registry& registry() {
  static Registry r;  // constructed on first use, before any static registration reads it
  return r;
}

}  // namespace

bool register_family(const FamilyRegistration& reg) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.families.push_back(reg);
  // A family registered after the first configure_all (static init order across files is
  // unspecified) is filled at once for the path already chosen.
  if (r.configured) reg.fill(r.isa);
  return true;
}

void configure_all(Isa isa) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const FamilyRegistration& f : r.families) f.fill(isa);
  r.configured = true;
  r.isa = isa;
}

std::vector<std::pair<std::string, std::string>> chosen_kernels() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::pair<std::string, std::string>> out;
  for (const FamilyRegistration& f : r.families) out.emplace_back(f.family, f.describe());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace fastinfer::kernels
