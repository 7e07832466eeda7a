// The compiled execution plan: a flat list of kernel calls over tensors that live in
// caller-provided buffers (inputs, outputs), in the plan (constants, pre-packed weights) or
// at planned offsets in one arena (intermediates). Python lowers a graph to a Plan; running
// it is one C++ call. Plans are compiled for one input-shape signature, so every tensor
// shape here is static.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "fastinfer/arena_pool.h"

namespace fastinfer::plan {

// ONNX TensorProto data type codes, so Python can pass them through unchanged.
enum class DType : int32_t {
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kInt32 = 6,
  kInt64 = 7,
  kBool = 9,  // one byte, 0 or 1
  kFloat64 = 11,
};

size_t dtype_size(DType t);           // throws std::invalid_argument for unknown codes
const char* dtype_name(DType t);      // "float32", "int64", ...
DType dtype_from_code(int32_t code);  // validates the code

struct TensorDesc {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  int64_t numel() const;    // product of shape (1 for a scalar)
  int64_t nbytes() const;   // numel * dtype_size
  std::string str() const;  // e.g. "float32[2, 3]"
};

// One ONNX attribute value.
using AttrValue =
    std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;
using Attrs = std::map<std::string, AttrValue>;

// Attribute accessors that throw std::invalid_argument naming the attribute on a type
// mismatch, and return `fallback` when it is absent.
int64_t attr_int(const Attrs& a, const std::string& name, int64_t fallback);
double attr_float(const Attrs& a, const std::string& name, double fallback);
std::string attr_string(const Attrs& a, const std::string& name, const std::string& fallback);
std::vector<int64_t> attr_ints(const Attrs& a, const std::string& name,
                               const std::vector<int64_t>& fallback);
std::vector<double> attr_floats(const Attrs& a, const std::string& name,
                                const std::vector<double>& fallback);

// A kernel bound to static shapes. Built once per plan (weights are packed then), run
// many times, possibly concurrently from several threads: run() must not mutate members.
class Kernel {
 public:
  virtual ~Kernel() = default;
  // inputs[i] / outputs[i] point at the tensors described at build time. An optional
  // input that the node omits is a nullptr.
  virtual void run(const void* const* inputs, void* const* outputs) const = 0;
};

// What a factory sees when a step is added.
struct KernelSpec {
  std::string op;                   // ONNX op type, or a fastinfer fused op ("FusedLinear", ...)
  std::string name;                 // node name, for error messages
  std::vector<TensorDesc> inputs;   // dtype {} and empty shape for an omitted optional input
  std::vector<bool> input_present;  // false where the node omits an optional input
  std::vector<TensorDesc> outputs;
  // Data of inputs that are plan constants (initializers), else nullptr: lets a kernel
  // pre-pack weights at build time.
  std::vector<const void*> constant_inputs;
  Attrs attrs;
  // A short description for errors: "Conv 'conv1'".
  std::string where() const { return op + " '" + name + "'"; }
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelSpec&)>;

// Registers `op`. Kernel files call this from a static initializer:
//   static const bool kRegistered = register_kernel("Add", make_add);
bool register_kernel(const std::string& op, KernelFactory factory);
bool has_kernel(const std::string& op);
std::vector<std::string> registered_ops();
// Throws std::invalid_argument ("no native kernel for op X") when `op` is unknown; the
// factory itself throws std::invalid_argument for dtypes, shapes or attributes it does not
// support, naming spec.where().
std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec);

enum class TensorKind { kInput, kOutput, kConstant, kArena, kAlias };

class Plan {
 public:
  Plan();
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  // Tensors. Constants are copied into the plan. An alias shares the bytes of `base`
  // (Reshape, Squeeze, ...): same size, another shape.
  int add_input(const TensorDesc& desc, const std::string& name);
  int add_output(const TensorDesc& desc, const std::string& name);
  int add_constant(const TensorDesc& desc, const void* data, const std::string& name);
  // A constant whose bytes stay owned by the caller, who keeps them alive and unchanged as
  // long as the plan lives (the Python lowering holds the model's arrays). No copy.
  int add_constant_view(const TensorDesc& desc, const void* data, const std::string& name);
  int add_intermediate(const TensorDesc& desc, const std::string& name);
  int add_alias(int base, const TensorDesc& desc, const std::string& name);

  // Steps run in the order added. `inputs` may contain -1 for an omitted optional input.
  void add_step(const std::string& op, const std::string& name, const std::vector<int>& inputs,
                const std::vector<int>& outputs, const Attrs& attrs);

  // Places intermediates in one arena with the static planner; no more tensors or steps.
  void finalize();
  // Runs take their arenas from `pool` (shared by a model's plans) instead of the plan's
  // own free list.
  void set_arena_pool(std::shared_ptr<ArenaPool> pool);

  // Runs all steps. input_ptrs / output_ptrs follow the order of add_input / add_output.
  // Thread safe: each concurrent run takes its own arena from a free list. When
  // step_seconds is given it receives each step's wall time. An exception thrown by a
  // kernel is rethrown with the same type and the step's "Op 'node': " in front.
  void run(const std::vector<const void*>& input_ptrs, const std::vector<void*>& output_ptrs,
           std::vector<double>* step_seconds = nullptr) const;

  const TensorDesc& desc(int tensor) const;
  const std::string& tensor_name(int tensor) const;
  int num_inputs() const;
  int num_outputs() const;
  int input_tensor(int i) const;   // tensor id of the i-th input
  int output_tensor(int i) const;  // tensor id of the i-th output
  int num_steps() const;
  const std::string& step_op(int step) const;
  const std::string& step_name(int step) const;
  int64_t arena_bytes() const;         // planned arena size
  int64_t arena_lower_bound() const;   // max bytes live at once
  int64_t intermediate_bytes() const;  // sum of intermediates, without reuse
  int64_t constant_bytes() const;
  int64_t arenas_allocated() const;  // arenas created so far (one per concurrent run)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastinfer::plan
