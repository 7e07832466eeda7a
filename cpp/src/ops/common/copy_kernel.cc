#include "ops/common/copy_kernel.h"

#include <cstring>

#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

class CopyKernel final : public plan::Kernel {
 public:
  explicit CopyKernel(int64_t nbytes) : nbytes_(nbytes) {}
  void run(const void* const* inputs, void* const* outputs) const override {
    parallel_memcpy(outputs[0], inputs[0], nbytes_);
  }

 private:
  int64_t nbytes_;
};

}  // namespace

void parallel_memcpy(void* dst, const void* src, int64_t nbytes) {
  if (dst == src || nbytes <= 0) return;  // aliased in place: nothing to do
  // Copies are bandwidth bound; a second core only helps for sizes past L2.
  constexpr int64_t kGrain = int64_t{1} << 20;
  parallel_chunks(nbytes, kGrain, [&](int64_t begin, int64_t end) {
    std::memcpy(static_cast<char*>(dst) + begin, static_cast<const char*>(src) + begin,
                static_cast<size_t>(end - begin));
  });
}

std::unique_ptr<plan::Kernel> make_copy_kernel(int64_t nbytes) {
  return std::make_unique<CopyKernel>(nbytes);
}

}  // namespace fastinfer::ops
