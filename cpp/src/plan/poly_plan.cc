// PolyPlan: evaluate the shape expressions, check the guards, build (or find) the static
// plan for these dims. Building replays the recipe through Plan's own API, so every check
// a static plan makes (kernel factories validating sizes, alias sizes) applies here too.
#include "fastinfer/poly_plan.h"

#include <chrono>
#include <cstring>
#include <stdexcept>

namespace fastinfer::plan {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  if (b == 0) throw std::invalid_argument("shape expression divides by zero");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) {
  if (b == 0) throw std::invalid_argument("shape expression takes a modulo by zero");
  return a - floor_div(a, b) * b;
}

}  // namespace

PolyPlan::PolyPlan(std::shared_ptr<ArenaPool> arenas, int64_t capacity)
    : arenas_(std::move(arenas)), capacity_(capacity) {
  if (capacity < 1) throw std::invalid_argument("plan cache capacity must be >= 1");
}

void PolyPlan::set_exprs(std::vector<Expr> exprs, int num_symbols) {
  for (size_t i = 0; i < exprs.size(); ++i) {
    const Expr& e = exprs[i];
    const bool leaf = e.op == kConst || e.op == kSym;
    if (e.op < kConst || e.op > kMin) throw std::invalid_argument("bad expression opcode");
    if (e.op == kSym && (e.a < 0 || e.a >= num_symbols)) {
      throw std::invalid_argument("expression uses an unknown symbol");
    }
    if (!leaf &&
        (e.a < 0 || e.b < 0 || e.a >= static_cast<int64_t>(i) || e.b >= static_cast<int64_t>(i))) {
      throw std::invalid_argument("expression children must come before their parent");
    }
  }
  exprs_ = std::move(exprs);
  num_symbols_ = num_symbols;
}

void PolyPlan::add_guard(int expr, int kind) {
  if (expr < 0 || expr >= static_cast<int>(exprs_.size()) || kind < kEq || kind > kGe) {
    throw std::invalid_argument("bad guard");
  }
  guards_.emplace_back(expr, kind);
}

namespace {
void check_dims(const std::vector<int>& dims, size_t n) {
  for (int d : dims) {
    if (d < 0 || static_cast<size_t>(d) >= n) {
      throw std::invalid_argument("dim expression id out of range");
    }
  }
}
}  // namespace

int PolyPlan::add_input(DType dtype, const std::vector<int>& dims, const std::string& name) {
  check_dims(dims, exprs_.size());
  tensors_.push_back({TensorKind::kInput, dtype, dims, name, {}, nullptr, {}, -1, false});
  inputs_.push_back(static_cast<int>(tensors_.size()) - 1);
  return static_cast<int>(tensors_.size()) - 1;
}

int PolyPlan::add_output(DType dtype, const std::vector<int>& dims, const std::string& name) {
  check_dims(dims, exprs_.size());
  tensors_.push_back({TensorKind::kOutput, dtype, dims, name, {}, nullptr, {}, -1, false});
  return static_cast<int>(tensors_.size()) - 1;
}

int PolyPlan::add_constant_view(const TensorDesc& desc, const void* data, const std::string& name) {
  tensors_.push_back({TensorKind::kConstant, desc.dtype, {}, name, desc, data, {}, -1, false});
  return static_cast<int>(tensors_.size()) - 1;
}

int PolyPlan::add_generated(DType dtype, const std::vector<int64_t>& shape,
                            const std::vector<int>& elements, const std::string& name) {
  if (dtype != DType::kInt64 && dtype != DType::kInt32) {
    throw std::invalid_argument("generated tensor '" + name + "' must be int64 or int32");
  }
  TensorDesc desc{dtype, shape};
  if (desc.numel() != static_cast<int64_t>(elements.size())) {
    throw std::invalid_argument("generated tensor '" + name + "' has " +
                                std::to_string(elements.size()) + " elements for shape " +
                                desc.str());
  }
  check_dims(elements, exprs_.size());
  tensors_.push_back({TensorKind::kConstant, dtype, {}, name, desc, nullptr, elements, -1, true});
  return static_cast<int>(tensors_.size()) - 1;
}

int PolyPlan::add_intermediate(DType dtype, const std::vector<int>& dims, const std::string& name) {
  check_dims(dims, exprs_.size());
  tensors_.push_back({TensorKind::kArena, dtype, dims, name, {}, nullptr, {}, -1, false});
  return static_cast<int>(tensors_.size()) - 1;
}

int PolyPlan::add_alias(int base, DType dtype, const std::vector<int>& dims,
                        const std::string& name) {
  check_dims(dims, exprs_.size());
  if (base < 0 || base >= static_cast<int>(tensors_.size())) {
    throw std::invalid_argument("alias '" + name + "' has a bad base");
  }
  tensors_.push_back({TensorKind::kAlias, dtype, dims, name, {}, nullptr, {}, base, false});
  return static_cast<int>(tensors_.size()) - 1;
}

void PolyPlan::add_step(const std::string& op, const std::string& name,
                        const std::vector<int>& inputs, const std::vector<int>& outputs,
                        const Attrs& attrs) {
  for (const std::vector<int>* list : {&inputs, &outputs}) {
    for (int t : *list) {
      if (t < -1 || t >= static_cast<int>(tensors_.size())) {
        throw std::invalid_argument(op + " '" + name + "': tensor id out of range");
      }
    }
  }
  steps_.push_back({op, name, inputs, outputs, attrs});
  step_names_.emplace_back(op, name);
}

bool PolyPlan::evaluate(const std::vector<std::vector<int64_t>>& shapes,
                        std::vector<int64_t>* values, Key* key) const {
  if (shapes.size() != inputs_.size()) {
    throw std::invalid_argument("plan expects " + std::to_string(inputs_.size()) + " inputs, got " +
                                std::to_string(shapes.size()));
  }
  // Symbols are read off the input dims that are plain symbols; every other dim is checked
  // against its expression below.
  std::vector<int64_t> sym(static_cast<size_t>(num_symbols_), -1);
  std::vector<bool> bound(static_cast<size_t>(num_symbols_), false);
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const TensorRec& t = tensors_[static_cast<size_t>(inputs_[i])];
    if (shapes[i].size() != t.dims.size()) return false;
    for (size_t j = 0; j < t.dims.size(); ++j) {
      const Expr& e = exprs_[static_cast<size_t>(t.dims[j])];
      if (e.op == kSym && !bound[static_cast<size_t>(e.a)]) {
        sym[static_cast<size_t>(e.a)] = shapes[i][j];
        bound[static_cast<size_t>(e.a)] = true;
      }
    }
  }
  for (bool b : bound) {
    if (!b) throw std::logic_error("a shape symbol is not an input dim");
  }
  values->resize(exprs_.size());
  for (size_t i = 0; i < exprs_.size(); ++i) {
    const Expr& e = exprs_[i];
    int64_t a = 0, b = 0;
    if (e.op != kConst && e.op != kSym) {
      a = (*values)[static_cast<size_t>(e.a)];
      b = (*values)[static_cast<size_t>(e.b)];
    }
    int64_t v = 0;
    switch (e.op) {
      case kConst:
        v = e.a;
        break;
      case kSym:
        v = sym[static_cast<size_t>(e.a)];
        break;
      case kAdd:
        v = a + b;
        break;
      case kSub:
        v = a - b;
        break;
      case kMul:
        v = a * b;
        break;
      case kFloorDiv:
        if (b == 0) return false;  // the shape is outside the class (the class had b != 0)
        v = floor_div(a, b);
        break;
      case kMod:
        if (b == 0) return false;
        v = floor_mod(a, b);
        break;
      case kMax:
        v = a > b ? a : b;
        break;
      case kMin:
        v = a < b ? a : b;
        break;
    }
    (*values)[i] = v;
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const TensorRec& t = tensors_[static_cast<size_t>(inputs_[i])];
    for (size_t j = 0; j < t.dims.size(); ++j) {
      if ((*values)[static_cast<size_t>(t.dims[j])] != shapes[i][j]) return false;
    }
  }
  for (const auto& [expr, kind] : guards_) {
    const int64_t v = (*values)[static_cast<size_t>(expr)];
    const bool ok = kind == kEq ? v == 0 : kind == kNe ? v != 0 : kind == kGt ? v > 0 : v >= 0;
    if (!ok) return false;
  }
  key->assign(sym.begin(), sym.end());
  return true;
}

std::shared_ptr<const Plan> PolyPlan::build(const std::vector<int64_t>& values) const {
  auto plan = std::make_shared<Plan>();
  auto dims_of = [&](const TensorRec& t) {
    TensorDesc d{t.dtype, {}};
    for (int e : t.dims) {
      const int64_t v = values[static_cast<size_t>(e)];
      if (v < 0) {
        throw std::invalid_argument("tensor '" + t.name + "' gets a negative dim (" +
                                    std::to_string(v) + ") for these input shapes");
      }
      d.shape.push_back(v);
    }
    return d;
  };
  std::vector<int> ids(tensors_.size(), -1);
  std::vector<int64_t> scratch;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorRec& t = tensors_[i];
    switch (t.kind) {
      case TensorKind::kInput:
        ids[i] = plan->add_input(dims_of(t), t.name);
        break;
      case TensorKind::kOutput:
        ids[i] = plan->add_output(dims_of(t), t.name);
        break;
      case TensorKind::kArena:
        ids[i] = plan->add_intermediate(dims_of(t), t.name);
        break;
      case TensorKind::kAlias:
        ids[i] = plan->add_alias(ids[static_cast<size_t>(t.base)], dims_of(t), t.name);
        break;
      case TensorKind::kConstant:
        if (!t.generated) {
          ids[i] = plan->add_constant_view(t.desc, t.data, t.name);
          break;
        }
        scratch.clear();
        for (int e : t.elements) scratch.push_back(values[static_cast<size_t>(e)]);
        if (t.dtype == DType::kInt64) {
          ids[i] = plan->add_constant(t.desc, scratch.data(), t.name);
        } else {
          std::vector<int32_t> narrow(scratch.begin(), scratch.end());
          ids[i] = plan->add_constant(t.desc, narrow.data(), t.name);
        }
        break;
    }
  }
  auto remap = [&](const std::vector<int>& list) {
    std::vector<int> out;
    out.reserve(list.size());
    for (int t : list) out.push_back(t < 0 ? -1 : ids[static_cast<size_t>(t)]);
    return out;
  };
  for (const StepRec& s : steps_)
    plan->add_step(s.op, s.name, remap(s.inputs), remap(s.outputs), s.attrs);
  plan->finalize();
  plan->set_arena_pool(arenas_);
  return plan;
}

std::shared_ptr<const Plan> PolyPlan::bind(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<int64_t> values;
  Key key;
  if (!evaluate(shapes, &values, &key)) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.guard_misses;
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      ++stats_.hits;
      return it->second.first;
    }
  }
  // Built outside the lock: kernels may pack weights. Two threads may build the same
  // shape at once; the second one's plan is dropped.
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const Plan> plan = build(values);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.misses;
  stats_.bind_seconds += seconds;
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second.first;
  lru_.push_front(key);
  cache_.emplace(key, std::make_pair(plan, lru_.begin()));
  while (static_cast<int64_t>(cache_.size()) > capacity_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
    ++stats_.evictions;
  }
  return plan;
}

void PolyPlan::set_capacity(int64_t capacity) {
  if (capacity < 1) throw std::invalid_argument("plan cache capacity must be >= 1");
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity;
  while (static_cast<int64_t>(cache_.size()) > capacity_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
    ++stats_.evictions;
  }
}

void PolyPlan::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  lru_.clear();
}

PolyStats PolyPlan::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PolyStats s = stats_;
  s.cached = static_cast<int64_t>(cache_.size());
  return s;
}

int64_t PolyPlan::capacity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return capacity_;
}

}  // namespace fastinfer::plan
