// LRN (float32, N x C x spatial...): y = x / (bias + alpha / size * sum of x^2 over the
// channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta. For each channel the
// window's squares are summed a whole spatial plane at a time.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "ops/common/op_util.h"
#include "ops/common/parallel.h"

namespace fastinfer::ops {
namespace {

class LrnKernel final : public plan::Kernel {
 public:
  LrnKernel(int64_t n, int64_t c, int64_t spatial, int64_t size, float alpha, float beta,
            float bias)
      : n_(n), c_(c), spatial_(spatial), size_(size), alpha_(alpha), beta_(beta), bias_(bias) {}

  void run(const void* const* inputs, void* const* outputs) const override {
    const float* x = static_cast<const float*>(inputs[0]);
    float* y = static_cast<float*>(outputs[0]);
    const int64_t lo = (size_ - 1) / 2, hi = size_ / 2;  // floor and ceil of (size-1)/2
    const float k = alpha_ / static_cast<float>(size_);
    parallel_chunks(
        n_ * c_, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(spatial_ * size_, 1)),
        [&](int64_t p0, int64_t p1) {
          std::vector<float> sq(static_cast<size_t>(spatial_));
          for (int64_t p = p0; p < p1; ++p) {
            const int64_t n = p / c_, c = p % c_;
            std::fill(sq.begin(), sq.end(), 0.0f);
            for (int64_t w = std::max<int64_t>(0, c - lo); w <= std::min(c_ - 1, c + hi); ++w) {
              const float* xw = x + (n * c_ + w) * spatial_;
              for (int64_t s = 0; s < spatial_; ++s) sq[s] += xw[s] * xw[s];
            }
            const float* xp = x + p * spatial_;
            float* yp = y + p * spatial_;
            for (int64_t s = 0; s < spatial_; ++s) {
              yp[s] = xp[s] / std::pow(bias_ + k * sq[s], beta_);
            }
          }
        });
  }

 private:
  int64_t n_, c_, spatial_, size_;
  float alpha_, beta_, bias_;
};

std::unique_ptr<plan::Kernel> make_lrn(const KernelSpec& spec) {
  check_arity(spec, 1, 1, 1, 1);
  check_dtype(spec, 0, {DType::kFloat32});
  const auto& in = spec.inputs[0].shape;
  if (in.size() < 2) fail(spec, "the input must be N x C x ..., got " + input_str(spec, 0));
  const int64_t size = plan::attr_int(spec.attrs, "size", 0);
  if (size < 1) fail(spec, "size must be positive, got " + std::to_string(size));
  check_output(spec, 0, DType::kFloat32, in);
  return std::make_unique<LrnKernel>(
      in[0], in[1], numel({in.begin() + 2, in.end()}), size,
      static_cast<float>(plan::attr_float(spec.attrs, "alpha", 1e-4)),
      static_cast<float>(plan::attr_float(spec.attrs, "beta", 0.75)),
      static_cast<float>(plan::attr_float(spec.attrs, "bias", 1.0)));
}

const bool kRegistered = register_op("LRN", make_lrn);

}  // namespace
}  // namespace fastinfer::ops
