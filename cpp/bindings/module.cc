// The one extension module, fastinfer._core. Each area registers its own bindings.
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <string>

#include "bindings/registry.h"
#include "fastinfer/cpu_info.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "fastinfer native core: kernels, memory pool and planner, batch packing";
  m.attr("__version__") = FASTINFER_VERSION;
  // The ISA path is chosen once, here: FASTINFER_ISA forces it (a clear error if this CPU
  // cannot run it), otherwise the best path cpuid and the OS allow.
  // Choosing it fills every kernel family's table (kernels/config_registry.h).
  const char* forced = std::getenv("FASTINFER_ISA");
  fastinfer::set_active_isa(forced && *forced ? fastinfer::parse_isa(forced)
                                              : fastinfer::best_supported_isa());
  fastinfer::bindings::register_runtime(m);
  fastinfer::bindings::register_int8(m);
  fastinfer::bindings::register_f32(m);
  fastinfer::bindings::register_memory(m);
  fastinfer::bindings::register_batch(m);
  fastinfer::bindings::register_plan(m);
  fastinfer::bindings::register_poly_plan(m);
}
