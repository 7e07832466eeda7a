// Validation and attribute helpers shared by the op kernels. Every error is a
// std::invalid_argument whose message starts with spec.where(), so a failing plan build
// names the node.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "fastinfer/plan.h"

namespace fastinfer::ops {

using plan::DType;
using plan::KernelSpec;
using plan::TensorDesc;

[[noreturn]] void fail(const KernelSpec& spec, const std::string& what);

// plan::register_kernel with a guard: a std::invalid_argument from a shared helper
// (broadcast, strided copy) that does not already name the node gets spec.where() put in
// front, so every build error says which node failed.
bool register_op(const std::string& op, plan::KernelFactory factory);

std::string shape_str(const std::vector<int64_t>& shape);  // "[2, 3]"
int64_t numel(const std::vector<int64_t>& shape);

// Checks the number of inputs (counting omitted optional ones) and outputs.
void check_arity(const KernelSpec& spec, size_t min_in, size_t max_in, size_t min_out,
                 size_t max_out);
bool present(const KernelSpec& spec, size_t input);  // given and not omitted

// Throws "<where>: <role> dtype int8 is not supported (float32, int64)" unless
// the dtype of input `i` is in `allowed`.
void check_dtype(const KernelSpec& spec, size_t input, std::initializer_list<DType> allowed);
// Output `o` must have dtype `t` and shape `shape` (what the op computes from its inputs).
void check_output(const KernelSpec& spec, size_t o, DType t, const std::vector<int64_t>& shape);
// Inputs i and j have the same dtype.
void check_same_dtype(const KernelSpec& spec, size_t i, size_t j);

// Normalises an axis in [-rank, rank) to [0, rank).
int64_t normalize_axis(const KernelSpec& spec, int64_t axis, int64_t rank, const char* what);

// Reads a constant int32/int64 1-D (or scalar) input as int64 values; throws when the
// input is not a plan constant (shapes are static here, so Python must have folded it).
std::vector<int64_t> constant_ints(const KernelSpec& spec, size_t input, const char* what);

// A description of input i for messages: "input 1 (float32[2, 3])".
std::string input_str(const KernelSpec& spec, size_t i);

}  // namespace fastinfer::ops
