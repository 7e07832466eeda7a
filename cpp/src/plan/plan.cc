// The Plan: tensor table, steps, arena placement and execution.
#include "fastinfer/plan.h"

#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "fastinfer/aligned_buffer.h"
#include "fastinfer/planner.h"

namespace fastinfer::plan {

struct Slot {
  Slot(const TensorDesc& d, TensorKind k, const std::string& n) : desc(d), kind(k), name(n) {}
  TensorDesc desc;
  TensorKind kind;
  std::string name;
  int io_index = -1;               // position among inputs or outputs
  int base = -1;                   // for aliases: the tensor whose bytes this one shares
  int64_t offset = 0;              // for arena tensors
  AlignedBuffer<uint8_t> data;     // for constants the plan owns
  const void* external = nullptr;  // for constants the caller owns (add_constant_view)
  const uint8_t* bytes() const {
    return external ? static_cast<const uint8_t*>(external) : data.data();
  }
  int64_t first_use = -1, last_use = -1;
};

struct StepRec {
  std::string op, name;
  std::vector<int> inputs, outputs;
  std::unique_ptr<Kernel> kernel;
};

struct Plan::Impl {
  std::vector<Slot> tensors;
  std::vector<StepRec> steps;
  std::vector<int> inputs, outputs;
  bool finalized = false;
  int64_t arena_bytes = 0, lower_bound = 0, intermediate_bytes = 0, constant_bytes = 0;
  mutable std::mutex arena_mu;
  mutable std::vector<AlignedBuffer<uint8_t>> free_arenas;
  mutable int64_t arenas_allocated = 0;
  std::shared_ptr<ArenaPool> arena_pool;  // when set, arenas come from it

  void check_open(const char* what) const {
    if (finalized) throw std::logic_error(std::string("plan is finalized: cannot ") + what);
  }
  const Slot& slot(int t) const {
    if (t < 0 || t >= static_cast<int>(tensors.size())) {
      throw std::invalid_argument("tensor id " + std::to_string(t) + " is out of range");
    }
    return tensors[static_cast<size_t>(t)];
  }
  // The tensor that owns the bytes of t (t itself unless an alias).
  int root(int t) const {
    while (tensors[static_cast<size_t>(t)].kind == TensorKind::kAlias) {
      t = tensors[static_cast<size_t>(t)].base;
    }
    return t;
  }
  int add(Slot s) {
    for (int64_t d : s.desc.shape) {
      if (d < 0) throw std::invalid_argument("tensor '" + s.name + "' has a negative dim");
    }
    dtype_size(s.desc.dtype);  // validates the dtype
    tensors.push_back(std::move(s));
    return static_cast<int>(tensors.size()) - 1;
  }
};

Plan::Plan() : impl_(std::make_unique<Impl>()) {}
Plan::~Plan() = default;

int Plan::add_input(const TensorDesc& desc, const std::string& name) {
  impl_->check_open("add inputs");
  Slot s{desc, TensorKind::kInput, name};
  s.io_index = static_cast<int>(impl_->inputs.size());
  int id = impl_->add(std::move(s));
  impl_->inputs.push_back(id);
  return id;
}

int Plan::add_output(const TensorDesc& desc, const std::string& name) {
  impl_->check_open("add outputs");
  Slot s{desc, TensorKind::kOutput, name};
  s.io_index = static_cast<int>(impl_->outputs.size());
  int id = impl_->add(std::move(s));
  impl_->outputs.push_back(id);
  return id;
}

int Plan::add_constant(const TensorDesc& desc, const void* data, const std::string& name) {
  impl_->check_open("add constants");
  Slot s{desc, TensorKind::kConstant, name};
  const int64_t bytes = desc.nbytes();
  s.data = AlignedBuffer<uint8_t>(static_cast<size_t>(bytes > 0 ? bytes : 1));
  if (bytes > 0) std::memcpy(s.data.data(), data, static_cast<size_t>(bytes));
  impl_->constant_bytes += bytes;
  return impl_->add(std::move(s));
}

int Plan::add_constant_view(const TensorDesc& desc, const void* data, const std::string& name) {
  impl_->check_open("add constants");
  Slot s(desc, TensorKind::kConstant, name);
  s.external = data;
  impl_->constant_bytes += desc.nbytes();
  return impl_->add(std::move(s));
}

int Plan::add_intermediate(const TensorDesc& desc, const std::string& name) {
  impl_->check_open("add tensors");
  return impl_->add(Slot(desc, TensorKind::kArena, name));
}

int Plan::add_alias(int base, const TensorDesc& desc, const std::string& name) {
  impl_->check_open("add tensors");
  const Slot& b = impl_->slot(base);
  if (b.desc.nbytes() != desc.nbytes()) {
    throw std::invalid_argument("alias '" + name + "' (" + desc.str() +
                                ") must have the size of '" + b.name + "' (" + b.desc.str() + ")");
  }
  Slot s{desc, TensorKind::kAlias, name};
  s.base = base;
  return impl_->add(std::move(s));
}

void Plan::add_step(const std::string& op, const std::string& name, const std::vector<int>& inputs,
                    const std::vector<int>& outputs, const Attrs& attrs) {
  impl_->check_open("add steps");
  KernelSpec spec;
  spec.op = op;
  spec.name = name;
  spec.attrs = attrs;
  for (int t : inputs) {
    if (t < 0) {
      spec.inputs.push_back(TensorDesc{});
      spec.input_present.push_back(false);
      spec.constant_inputs.push_back(nullptr);
      continue;
    }
    const Slot& s = impl_->slot(t);
    spec.inputs.push_back(s.desc);
    spec.input_present.push_back(true);
    const Slot& r = impl_->tensors[static_cast<size_t>(impl_->root(t))];
    spec.constant_inputs.push_back(r.kind == TensorKind::kConstant ? r.bytes() : nullptr);
  }
  for (int t : outputs) {
    const Slot& s = impl_->slot(t);
    const Slot& r = impl_->tensors[static_cast<size_t>(impl_->root(t))];
    if (r.kind == TensorKind::kConstant || r.kind == TensorKind::kInput) {
      throw std::invalid_argument(spec.where() + ": cannot write to " +
                                  (r.kind == TensorKind::kInput ? "input" : "constant") + " '" +
                                  s.name + "'");
    }
    spec.outputs.push_back(s.desc);
  }
  StepRec step{op, name, inputs, outputs, make_kernel(spec)};
  const int64_t index = static_cast<int64_t>(impl_->steps.size());
  for (const std::vector<int>* list : {&inputs, &outputs}) {
    for (int t : *list) {
      if (t < 0) continue;
      Slot& r = impl_->tensors[static_cast<size_t>(impl_->root(t))];
      if (r.first_use < 0) r.first_use = index;
      r.last_use = index;
    }
  }
  impl_->steps.push_back(std::move(step));
}

void Plan::finalize() {
  impl_->check_open("finalize twice");
  std::vector<TensorLifetime> lifetimes;
  std::vector<int> arena_ids;
  for (size_t i = 0; i < impl_->tensors.size(); ++i) {
    Slot& s = impl_->tensors[i];
    if (s.kind != TensorKind::kArena) continue;
    if (s.first_use < 0) continue;  // declared but never used: needs no bytes
    lifetimes.push_back({s.desc.nbytes(), s.first_use, s.last_use});
    arena_ids.push_back(static_cast<int>(i));
    impl_->intermediate_bytes += s.desc.nbytes();
  }
  ArenaPlan placed = plan_arena(lifetimes, static_cast<int64_t>(kAlignment));
  for (size_t j = 0; j < arena_ids.size(); ++j) {
    impl_->tensors[static_cast<size_t>(arena_ids[j])].offset = placed.offsets[j];
  }
  impl_->arena_bytes = placed.arena_bytes;
  impl_->lower_bound = placed.lower_bound_bytes;
  impl_->finalized = true;
}

void Plan::set_arena_pool(std::shared_ptr<ArenaPool> pool) { impl_->arena_pool = std::move(pool); }

namespace {
// Runs one step; an exception leaves with the step named, keeping its type (so
// std::invalid_argument still reaches Python as ValueError).
void run_step(const Kernel& kernel, const std::string& op, const std::string& name,
              const void* const* ins, void* const* outs) {
  const std::string where = op + " '" + name + "'";
  try {
    kernel.run(ins, outs);
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw std::invalid_argument(where + ": " + e.what());
  } catch (const std::out_of_range& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw std::out_of_range(where + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw std::runtime_error(where + ": " + e.what());
  }
}
}  // namespace

void Plan::run(const std::vector<const void*>& input_ptrs, const std::vector<void*>& output_ptrs,
               std::vector<double>* step_seconds) const {
  const Impl& p = *impl_;
  if (!p.finalized) throw std::logic_error("plan.run() before finalize()");
  if (input_ptrs.size() != p.inputs.size() || output_ptrs.size() != p.outputs.size()) {
    throw std::invalid_argument("plan expects " + std::to_string(p.inputs.size()) + " inputs and " +
                                std::to_string(p.outputs.size()) + " outputs, got " +
                                std::to_string(input_ptrs.size()) + " and " +
                                std::to_string(output_ptrs.size()));
  }
  // Each concurrent run has its own arena; arenas are reused run after run.
  AlignedBuffer<uint8_t> arena;
  if (p.arena_pool) {
    arena = p.arena_pool->acquire(p.arena_bytes);
  } else {
    std::lock_guard<std::mutex> lock(p.arena_mu);
    if (!p.free_arenas.empty()) {
      arena = std::move(p.free_arenas.back());
      p.free_arenas.pop_back();
    } else {
      ++p.arenas_allocated;
    }
  }
  if (arena.size() < static_cast<size_t>(p.arena_bytes)) {
    arena = AlignedBuffer<uint8_t>(static_cast<size_t>(p.arena_bytes > 0 ? p.arena_bytes : 1));
  }
  struct ReturnArena {
    const Impl& p;
    AlignedBuffer<uint8_t>& arena;
    ~ReturnArena() {
      if (p.arena_pool) {
        p.arena_pool->release(std::move(arena));
        return;
      }
      std::lock_guard<std::mutex> lock(p.arena_mu);
      p.free_arenas.push_back(std::move(arena));
    }
  } give_back{p, arena};

  std::vector<void*> ptr(p.tensors.size(), nullptr);
  for (size_t i = 0; i < p.tensors.size(); ++i) {
    const Slot& s = p.tensors[i];
    switch (s.kind) {
      case TensorKind::kInput:
        ptr[i] = const_cast<void*>(input_ptrs[static_cast<size_t>(s.io_index)]);
        break;
      case TensorKind::kOutput:
        ptr[i] = output_ptrs[static_cast<size_t>(s.io_index)];
        break;
      case TensorKind::kConstant:
        ptr[i] = const_cast<uint8_t*>(s.bytes());
        break;
      case TensorKind::kArena:
        ptr[i] = arena.data() + s.offset;
        break;
      case TensorKind::kAlias:
        ptr[i] = ptr[static_cast<size_t>(s.base)];  // bases are always added first
        break;
    }
  }
  if (step_seconds) step_seconds->assign(p.steps.size(), 0.0);
  std::vector<const void*> ins;
  std::vector<void*> outs;
  for (size_t k = 0; k < p.steps.size(); ++k) {
    const StepRec& st = p.steps[k];
    ins.clear();
    outs.clear();
    for (int t : st.inputs) ins.push_back(t < 0 ? nullptr : ptr[static_cast<size_t>(t)]);
    for (int t : st.outputs) outs.push_back(ptr[static_cast<size_t>(t)]);
    if (step_seconds) {
      const auto start = std::chrono::steady_clock::now();
      run_step(*st.kernel, st.op, st.name, ins.data(), outs.data());
      (*step_seconds)[k] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } else {
      run_step(*st.kernel, st.op, st.name, ins.data(), outs.data());
    }
  }
}

const TensorDesc& Plan::desc(int tensor) const { return impl_->slot(tensor).desc; }
const std::string& Plan::tensor_name(int tensor) const { return impl_->slot(tensor).name; }
int Plan::num_inputs() const { return static_cast<int>(impl_->inputs.size()); }
int Plan::num_outputs() const { return static_cast<int>(impl_->outputs.size()); }
int Plan::input_tensor(int i) const { return impl_->inputs.at(static_cast<size_t>(i)); }
int Plan::output_tensor(int i) const { return impl_->outputs.at(static_cast<size_t>(i)); }
int Plan::num_steps() const { return static_cast<int>(impl_->steps.size()); }
const std::string& Plan::step_op(int step) const {
  return impl_->steps.at(static_cast<size_t>(step)).op;
}
const std::string& Plan::step_name(int step) const {
  return impl_->steps.at(static_cast<size_t>(step)).name;
}
int64_t Plan::arena_bytes() const { return impl_->arena_bytes; }
int64_t Plan::arena_lower_bound() const { return impl_->lower_bound; }
int64_t Plan::intermediate_bytes() const { return impl_->intermediate_bytes; }
int64_t Plan::constant_bytes() const { return impl_->constant_bytes; }
int64_t Plan::arenas_allocated() const {
  std::lock_guard<std::mutex> lock(impl_->arena_mu);
  return impl_->arenas_allocated;
}

}  // namespace fastinfer::plan
