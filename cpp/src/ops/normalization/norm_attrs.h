// The attributes the normalisation ops share: epsilon (default 1e-5, non-negative) and
// stash_type, where only 1 (float32 statistics) is supported.
#pragma once

#include "ops/common/op_util.h"

namespace fastinfer::ops {

inline float norm_epsilon(const KernelSpec& spec) {
  if (plan::attr_int(spec.attrs, "stash_type", 1) != 1) {
    fail(spec, "stash_type other than 1 (float32) is not supported");
  }
  const double eps = plan::attr_float(spec.attrs, "epsilon", 1e-5);
  if (!(eps >= 0.0)) fail(spec, "epsilon must be non-negative");
  return static_cast<float>(eps);
}

}  // namespace fastinfer::ops
