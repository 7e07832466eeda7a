// A shape-polymorphic plan: one compiled recipe that serves every input shape of a shape
// class. Python's compiler records the recipe once (tensors whose dims are expressions over
// the input dims, steps, guards); for each new combination of input dims the plan evaluates
// the expressions, checks the guards and builds a static Plan from the recipe: kernels bound
// to the sizes, intermediates placed by the arena planner. Built plans are kept in a bounded
// LRU keyed by the dims; their arenas come from one ArenaPool shared by the model.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fastinfer/arena_pool.h"
#include "fastinfer/plan.h"

namespace fastinfer::plan {

// Opcodes and guard kinds, shared with python/fastinfer/compile/symbolic.py.
enum ExprOp : int32_t {
  kConst = 0,
  kSym,
  kAdd,
  kSub,
  kMul,
  kFloorDiv,
  kMod,
  kMax,
  kMin,
};
enum GuardKind : int32_t { kEq = 0, kNe, kGt, kGe };

struct Expr {
  int32_t op;
  int64_t a, b;  // child expression ids; for kConst the value, for kSym the symbol
};

struct PolyStats {
  int64_t hits = 0, misses = 0, evictions = 0, guard_misses = 0, cached = 0;
  double bind_seconds = 0;  // total time spent building plans for new shapes
};

class PolyPlan {
 public:
  PolyPlan(std::shared_ptr<ArenaPool> arenas, int64_t capacity);

  void set_exprs(std::vector<Expr> exprs, int num_symbols);
  void add_guard(int expr, int kind);

  // Tensors, in the order the plan's tensors get their ids. Dims are expression ids.
  int add_input(DType dtype, const std::vector<int>& dims, const std::string& name);
  int add_output(DType dtype, const std::vector<int>& dims, const std::string& name);
  // A constant owned by the caller (kept alive as long as this object): used in place.
  int add_constant_view(const TensorDesc& desc, const void* data, const std::string& name);
  // An integer tensor of fixed shape whose elements are expressions (a Reshape target,
  // Slice ends, ...): materialised for each shape.
  int add_generated(DType dtype, const std::vector<int64_t>& shape,
                    const std::vector<int>& elements, const std::string& name);
  int add_intermediate(DType dtype, const std::vector<int>& dims, const std::string& name);
  int add_alias(int base, DType dtype, const std::vector<int>& dims, const std::string& name);
  void add_step(const std::string& op, const std::string& name, const std::vector<int>& inputs,
                const std::vector<int>& outputs, const Attrs& attrs);

  // The plan for these input shapes (built on first use, then cached), or nullptr when the
  // shapes are outside this plan's shape class (a guard fails, or a fixed dim differs).
  // Throws std::invalid_argument when building fails (a kernel refuses the sizes).
  std::shared_ptr<const Plan> bind(const std::vector<std::vector<int64_t>>& input_shapes);

  void set_capacity(int64_t capacity);
  void clear();
  PolyStats stats() const;
  int64_t capacity() const;
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_symbols() const { return num_symbols_; }
  const std::vector<std::pair<std::string, std::string>>& steps() const { return step_names_; }

 private:
  struct TensorRec {
    TensorKind kind;
    DType dtype;
    std::vector<int> dims;  // expression ids (not for constants/generated)
    std::string name;
    TensorDesc desc;             // constants and generated: the fixed desc
    const void* data = nullptr;  // constants: the caller's bytes
    std::vector<int> elements;   // generated: one expression per element
    int base = -1;               // aliases
    bool generated = false;
  };
  struct StepRec {
    std::string op, name;
    std::vector<int> inputs, outputs;
    Attrs attrs;
  };
  using Key = std::vector<int64_t>;

  bool evaluate(const std::vector<std::vector<int64_t>>& shapes, std::vector<int64_t>* values,
                Key* key) const;
  std::shared_ptr<const Plan> build(const std::vector<int64_t>& values) const;

  std::shared_ptr<ArenaPool> arenas_;
  std::vector<Expr> exprs_;
  int num_symbols_ = 0;
  std::vector<std::pair<int, int>> guards_;
  std::vector<TensorRec> tensors_;
  std::vector<int> inputs_;
  std::vector<StepRec> steps_;
  std::vector<std::pair<std::string, std::string>> step_names_;

  mutable std::mutex mu_;
  int64_t capacity_;
  std::list<Key> lru_;  // most recent first
  std::map<Key, std::pair<std::shared_ptr<const Plan>, std::list<Key>::iterator>> cache_;
  PolyStats stats_;
};

}  // namespace fastinfer::plan
