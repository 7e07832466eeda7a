#include <pybind11/pybind11.h>

#include "bindings/registry.h"

namespace fastinfer::bindings {
void register_f32(pybind11::module_& m) { (void)m; }
}  // namespace fastinfer::bindings
