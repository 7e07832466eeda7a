#include <pybind11/pybind11.h>

#include "bindings/registry.h"

namespace fastinfer::bindings {
void register_batch(pybind11::module_& m) { (void)m; }
}  // namespace fastinfer::bindings
