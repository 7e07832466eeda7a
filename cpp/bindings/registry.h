// One registration function per binding file; module.cc calls them all.
#pragma once

#include <pybind11/pybind11.h>

namespace fastinfer::bindings {
void register_runtime(pybind11::module_& m);
void register_int8(pybind11::module_& m);
void register_f32(pybind11::module_& m);
void register_memory(pybind11::module_& m);
void register_batch(pybind11::module_& m);
void register_plan(pybind11::module_& m);
void register_poly_plan(pybind11::module_& m);
}  // namespace fastinfer::bindings
