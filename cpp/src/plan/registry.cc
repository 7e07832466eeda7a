// The op -> kernel factory table, filled by static initializers in the kernel files.
#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "fastinfer/plan.h"

namespace fastinfer::plan {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<std::string, KernelFactory> factories;
};

// Function-local static: safe to use from other files' static initializers.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

bool register_kernel(const std::string& op, KernelFactory factory) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[op] = std::move(factory);
  return true;
}

bool has_kernel(const std::string& op) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.factories.count(op) > 0;
}

std::vector<std::string> registered_ops() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> ops;
  for (const auto& kv : r.factories) ops.push_back(kv.first);
  std::sort(ops.begin(), ops.end());
  return ops;
}

std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec) {
  KernelFactory factory;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(spec.op);
    if (it == r.factories.end()) {
      throw std::invalid_argument("no native kernel for op " + spec.op + " (node '" + spec.name +
                                  "')");
    }
    factory = it->second;
  }
  std::unique_ptr<Kernel> k = factory(spec);
  if (!k) throw std::invalid_argument(spec.where() + ": the kernel factory returned nothing");
  return k;
}

}  // namespace fastinfer::plan
