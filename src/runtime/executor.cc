#include "runtime/executor.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "ir/infer.h"
#include "tensor/tensor_alloc.h"
#include "tensor/value.h"

namespace onnxrt::runtime {

RunState::RunState(const plan::ExecutionPlan& plan) : slots(plan.slots.size()), pooled(plan.slots.size(), nullptr) {
  if (plan.arena_bytes > 0) {
    void* p = std::aligned_alloc(64, static_cast<size_t>(plan.arena_bytes));
    if (p) arena = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  }
}

void load_constants(const plan::ExecutionPlan& plan, RunState& state) {
  for (size_t i = 0; i < plan.constants.size(); ++i)
    if (plan.constants[i].defined()) state.slots[i] = plan.constants[i];
}

void release_pooled(RunState& state, size_t idx) {
  void* p = state.pooled[idx];
  if (p == nullptr) return;
  state.pooled[idx] = nullptr;
  if (auto it = state.pooled_extra_holders.find(p); it != state.pooled_extra_holders.end()) {
    if (--it->second == 0) state.pooled_extra_holders.erase(it);
    return;
  }
  state.pool.release(p);
}

void reset(const plan::ExecutionPlan& plan, RunState& state) {
  for (size_t i = 0; i < state.slots.size(); ++i) {
    release_pooled(state, i);
    if (!plan.slots[i].is_constant || plan.slots[i].is_graph_input) state.slots[i] = Value();
  }
}

namespace {

class StepContext final : public kernels::KernelContext {
 public:
  StepContext(const plan::ExecutionPlan& plan, const plan::Step& step, RunState& state, ThreadPool& threads)
      : plan_(plan), step_(step), state_(state), threads_(threads) {}
  ~StepContext() override {
    for (void* p : scratch_) state_.pool.release(p);
  }

  size_t num_inputs() const override { return step_.inputs.size(); }
  const Tensor* input(size_t i) const override {
    const Value* v = input_value(i);
    return v && v->is_tensor() ? &v->tensor() : nullptr;
  }
  size_t num_outputs() const override { return step_.outputs.size(); }
  Tensor* output(size_t i) override {
    if (i >= step_.outputs.size() || step_.outputs[i] == plan::kNoSlot) return nullptr;
    Value& v = state_.slots[static_cast<size_t>(step_.outputs[i])];
    return v.is_tensor() ? &v.tensor() : nullptr;
  }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override;
  void* scratch(size_t bytes) override {
    void* p = state_.pool.acquire(bytes);
    if (p) scratch_.push_back(p);
    return p;
  }
  ThreadPool& threads() override { return threads_; }
  const ir::Node& node() const override { return *step_.node; }

  const Value* input_value(size_t i) const override {
    if (i >= step_.inputs.size() || step_.inputs[i] == plan::kNoSlot) return nullptr;
    return &state_.slots[static_cast<size_t>(step_.inputs[i])];
  }
  Status set_output_value(size_t i, Value v) override;
  bool set_output_view(size_t i, const Tensor& base, size_t byte_offset, DType dtype, const Shape& shape) override;
  Expected<std::vector<Value>> run_subgraph(std::string_view attr_name, std::span<const Value> inputs) override;

  // Allocates output i with its final shape; see the placement rules in the plan header.
  Status allocate(size_t i, DType dtype, const Shape& shape);

 private:
  void release_slot(plan::Slot slot) { release_pooled(state_, static_cast<size_t>(slot)); }

  // Output 0 of a view step (Kernel::output_is_view) when input 0 lives in a pooled buffer of
  // the same bytes: the output holds that buffer too, instead of a copy. (Arena inputs get this
  // from the memory plan; a pooled buffer is written only by the step that acquired it.)
  bool view_of_pooled_input(plan::Slot out, DType dtype, const Shape& shape) {
    if (!step_.kernel || !step_.kernel->output_is_view() || step_.inputs.empty() || step_.inputs[0] == plan::kNoSlot)
      return false;
    const auto in = static_cast<size_t>(step_.inputs[0]);
    void* p = state_.pooled[in];
    const Value& v = state_.slots[in];
    if (p == nullptr || !v.is_tensor() || v.tensor().raw() != p || v.tensor().dtype() != dtype ||
        v.tensor().size() != shape_size(shape))
      return false;
    state_.pooled[static_cast<size_t>(out)] = p;
    ++state_.pooled_extra_holders[p];
    state_.slots[static_cast<size_t>(out)] = Tensor::borrow(dtype, shape, p, nullptr);
    return true;
  }

  // A value placed in a Concat's output that is a graph output (plan::SlotInfo::placed_in): its
  // part of that output, which is allocated here if this is the first part made.
  Tensor placed_part(const plan::SlotInfo& info) {
    const auto o = static_cast<size_t>(info.placed_in);
    const plan::SlotInfo& oi = plan_.slots[o];
    Value& whole = state_.slots[o];
    if (!whole.is_tensor() || whole.tensor().shape() != oi.shape || whole.tensor().dtype() != oi.dtype)
      whole = state_.outputs->allocate(oi.dtype, oi.shape);
    Tensor& t = whole.tensor();
    return Tensor::borrow(info.dtype, info.shape, static_cast<char*>(t.raw()) + info.placed_offset, t.storage());
  }

  // Output 0 of a view step whose input 0 holds its own storage (a graph input, a constant):
  // the output shows the same bytes. (The memory plan shares blocks only between intermediates.)
  bool view_of_kept_input(DType dtype, const Shape& shape) {
    if (!step_.kernel || !step_.kernel->output_is_view()) return false;
    const Tensor* x = input(0);
    return x && x->dtype() == dtype && x->size() == shape_size(shape) && set_output_view(0, *x, 0, dtype, shape);
  }

  const plan::ExecutionPlan& plan_;
  const plan::Step& step_;
  RunState& state_;
  ThreadPool& threads_;
  std::vector<void*> scratch_;
};

Status StepContext::allocate(size_t i, DType dtype, const Shape& shape) {
  const plan::Slot slot = step_.outputs[i];
  if (slot == plan::kNoSlot) return Status::ok();
  const plan::SlotInfo& info = plan_.slots[static_cast<size_t>(slot)];
  release_slot(slot);  // a kernel that allocates an output twice gives the first buffer back
  Value& v = state_.slots[static_cast<size_t>(slot)];
  // Dims computed from input values (Expand, Range, CenterCropPad, ...) can be anything: refuse a
  // negative dim, an element count or byte size that overflows, and a tensor larger than the
  // machine's memory (it cannot succeed, and on an overcommitting system would die in memset).
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) return runtime_error(node().describe() + ": negative output dim " + std::to_string(d));
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(d), &count))
      return runtime_error(node().describe() + ": output " + std::to_string(i) + " shape " +
                           shape_to_string(shape) + " has more elements than fit in 64 bits");
  }
  static const uint64_t physical_bytes = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                                         static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (count > (uint64_t{1} << 62) / 16 || dtype_storage_bytes(dtype, count) > physical_bytes) {
    return runtime_error(node().describe() + ": output " + std::to_string(i) + " shape " + shape_to_string(shape) +
                         " needs more memory than this machine has");
  }
  // The arena block was sized for the planned shape; anything else goes to the pool.
  const bool fits_arena = info.arena_offset >= 0 && state_.arena && info.static_shape && info.shape == shape &&
                          info.dtype == dtype;
  const bool planned_shape = info.static_shape && info.shape == shape && info.dtype == dtype;
  if (info.has_placed_inputs && planned_shape && v.is_tensor() && v.tensor().shape() == shape &&
      v.tensor().dtype() == dtype) {
    return Status::ok();  // allocated when its first placed input was made; holds those inputs
  } else if (info.is_graph_output || dtype == DType::kString) {
    v = state_.outputs->allocate(dtype, shape);  // handed to the caller: must own its storage
  } else if (info.placed_in != plan::kNoSlot && info.arena_offset < 0 && planned_shape) {
    v = placed_part(info);
  } else if (i == 0 && view_of_kept_input(dtype, shape)) {
    return Status::ok();
  } else if (fits_arena) {
    v = Tensor::borrow(dtype, shape, static_cast<char*>(state_.arena.get()) + info.arena_offset, nullptr);
  } else if (i == 0 && view_of_pooled_input(slot, dtype, shape)) {
    return Status::ok();
  } else {
    const size_t bytes = dtype_storage_bytes(dtype, static_cast<size_t>(shape_size(shape)));
    void* p = state_.pool.acquire(bytes);
    if (!p) {
      return runtime_error(node().describe() + ": out of memory allocating " + std::to_string(bytes) +
                           " bytes for output " + std::to_string(i));
    }
    state_.pooled[static_cast<size_t>(slot)] = p;
    v = Tensor::borrow(dtype, shape, p, nullptr);
  }
  return Status::ok();
}

Tensor* StepContext::allocate_output(size_t i, DType dtype, Shape shape) {
  if (i >= step_.outputs.size() || step_.outputs[i] == plan::kNoSlot) return nullptr;
  if (!allocate(i, dtype, shape).is_ok()) return nullptr;
  return output(i);
}

Status StepContext::set_output_value(size_t i, Value v) {
  if (i >= step_.outputs.size()) {
    return runtime_error(node().describe() + ": output " + std::to_string(i) + " does not exist");
  }
  const plan::Slot slot = step_.outputs[i];
  if (slot == plan::kNoSlot) return Status::ok();
  // The value may be an input that lives in this run's arena or pool and is released after this
  // step; the output must not die with it.
  Value owned = owned_value(v);
  release_slot(slot);
  state_.slots[static_cast<size_t>(slot)] = std::move(owned);
  return Status::ok();
}

bool StepContext::set_output_view(size_t i, const Tensor& base, size_t byte_offset, DType dtype, const Shape& shape) {
  if (i >= step_.outputs.size() || step_.outputs[i] == plan::kNoSlot) return false;
  const plan::Slot slot = step_.outputs[i];
  if (plan_.slots[static_cast<size_t>(slot)].is_graph_output || !base.storage() || dtype == DType::kString)
    return false;
  const int64_t count = shape_size(shape);
  if (count < 0 || byte_offset > base.nbytes() ||
      dtype_storage_bytes(dtype, static_cast<size_t>(count)) > base.nbytes() - byte_offset)
    return false;
  release_slot(slot);
  state_.slots[static_cast<size_t>(slot)] =
      Tensor::borrow(dtype, shape, static_cast<char*>(const_cast<void*>(base.raw())) + byte_offset, base.storage());
  return true;
}

Expected<std::vector<Value>> StepContext::run_subgraph(std::string_view attr_name, std::span<const Value> inputs) {
  const plan::ExecutionPlan* sub = nullptr;
  for (const plan::SubPlan& sp : step_.subplans)
    if (sp.attr_name == attr_name) sub = sp.plan.get();
  if (!sub) {
    return invalid_model(node().describe() + ": has no graph attribute '" + std::string(attr_name) + "'");
  }
  if (inputs.size() != sub->input_slots.size()) {
    return invalid_model(node().describe() + ": subgraph '" + std::string(attr_name) + "' takes " +
                         std::to_string(sub->input_slots.size()) + " inputs, the op passes " +
                         std::to_string(inputs.size()));
  }
  std::unique_ptr<RunState>& nested = state_.nested[sub];
  if (!nested) {
    nested = std::make_unique<RunState>(*sub);
    load_constants(*sub, *nested);
  }
  RunState& ns = *nested;
  ns.hooks = state_.hooks;
  for (const plan::OuterBinding& b : sub->outer_bindings)
    ns.slots[static_cast<size_t>(b.inner)] = state_.slots[static_cast<size_t>(b.outer)];
  for (size_t k = 0; k < inputs.size(); ++k) ns.slots[static_cast<size_t>(sub->input_slots[k])] = inputs[k];
  Status st = execute(*sub, ns, threads_);
  std::vector<Value> out;
  if (st.is_ok()) {
    out.reserve(sub->output_slots.size());
    for (plan::Slot s : sub->output_slots) out.push_back(owned_value(ns.slots[static_cast<size_t>(s)]));
  }
  reset(*sub, ns);
  ns.pool.trim();
  ns.hooks = nullptr;  // the hooks live only as long as this run
  if (!st.is_ok()) return st.with_context(node().describe() + " subgraph '" + std::string(attr_name) + "': ");
  return out;
}

Status run_step(const plan::ExecutionPlan& plan, const plan::Step& step, RunState& state, ThreadPool& threads) {
  StepContext ctx(plan, step, state, threads);
  if (step.kernel_sets_outputs) {
    ONNXRT_RETURN_IF_ERROR(step.kernel->run(ctx));
    for (size_t i = 0; i < step.outputs.size(); ++i) {
      if (step.outputs[i] == plan::kNoSlot) continue;
      const auto slot = static_cast<size_t>(step.outputs[i]);
      if (plan.slots[slot].is_tensor && !state.slots[slot].is_tensor()) {
        return runtime_error(step.node->describe() + ": produced " + state.slots[slot].describe() +
                             " for output " + std::to_string(i) + ", expected a tensor");
      }
    }
    return Status::ok();
  }
  if (step.static_shapes) {
    for (size_t i = 0; i < step.outputs.size(); ++i) {
      if (step.outputs[i] == plan::kNoSlot) continue;
      const plan::SlotInfo& info = plan.slots[static_cast<size_t>(step.outputs[i])];
      ONNXRT_RETURN_IF_ERROR(ctx.allocate(i, info.dtype, info.shape));
    }
  } else {
    std::vector<ir::ValueType> types(step.inputs.size());
    std::vector<const ir::ValueType*> type_ptrs(step.inputs.size(), nullptr);
    std::vector<const Tensor*> values(step.inputs.size(), nullptr);
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      const Tensor* t = ctx.input(i);
      if (!t) continue;
      types[i] = ir::ValueType::tensor(t->dtype(), to_sym_shape(t->shape()));
      type_ptrs[i] = &types[i];
      values[i] = t;
    }
    ir::InferContext ictx(*step.node, type_ptrs, values, nullptr);
    // Inference fails at run time only on inputs the model cannot take (e.g. a Reshape target
    // that does not fit the fed shape): that is the caller's input problem.
    Status st = step.infer(ictx);
    if (!st.is_ok()) return Status(ErrorCode::kInvalidArgument, st.message());
    if (!ictx.dynamic_output_shape) {
      for (size_t i = 0; i < step.outputs.size(); ++i) {
        if (step.outputs[i] == plan::kNoSlot) continue;
        const ir::ValueType& t = ictx.outputs[i];
        if (!t.is_static()) {
          return runtime_error(step.node->describe() + ": could not determine the shape of output " +
                               std::to_string(i) + " at run time");
        }
        ONNXRT_RETURN_IF_ERROR(ctx.allocate(i, t.dtype, to_static_shape(t.shape)));
      }
    }
  }
  return step.kernel->run(ctx);
}

// "float[1,3,224,224]" style entries for the profile: {"float":[1,3,224,224]} as onnxruntime.
std::string type_shape_json(const Value* v) {
  if (!v || !v->is_tensor()) return "{}";
  const Tensor& t = v->tensor();
  std::string s = "{" + json_quote(dtype_name(t.dtype())) + ":[";
  for (size_t d = 0; d < t.shape().size(); ++d) s += (d ? "," : "") + std::to_string(t.shape()[d]);
  return s + "]}";
}

// run_step with the run's hooks: timing for the profiler, then the after-step callback. Kept out
// of line: it is the cold path of every step.
[[gnu::noinline]] Status run_step_hooked(const plan::ExecutionPlan& plan, const plan::Step& step, RunState& state, ThreadPool& threads) {
  RunHooks& hooks = *state.hooks;
  if (!hooks.profiler) {
    ONNXRT_RETURN_IF_ERROR(run_step(plan, step, state, threads));
    if (hooks.after_step) hooks.after_step(plan, step, state);
    return Status::ok();
  }
  // Shapes are formatted outside the timed region; inputs before the step, as they were fed.
  std::string inputs = "[";
  for (size_t i = 0; i < step.inputs.size(); ++i) {
    const Value* v = step.inputs[i] == plan::kNoSlot ? nullptr : &state.slots[static_cast<size_t>(step.inputs[i])];
    inputs += (i ? "," : "") + type_shape_json(v);
  }
  inputs += "]";
  const ProfileClock::time_point begin = ProfileClock::now();
  Status st = run_step(plan, step, state, threads);
  const ProfileClock::time_point end = ProfileClock::now();
  ONNXRT_RETURN_IF_ERROR(st);

  const ir::Node& n = *step.node;
  const size_t index = static_cast<size_t>(&step - plan.steps.data());
  const std::string node_name = n.name.empty() ? n.op_type + "_" + std::to_string(index) : n.name;
  std::string outputs = "[";
  for (size_t i = 0; i < step.outputs.size(); ++i) {
    const Value* v = step.outputs[i] == plan::kNoSlot ? nullptr : &state.slots[static_cast<size_t>(step.outputs[i])];
    outputs += (i ? "," : "") + type_shape_json(v);
  }
  outputs += "]";
  ProfileEvent e;
  e.name = node_name + "_kernel_time";  // onnxruntime's event name, which its tools key on
  e.ts_us = hooks.profiler->micros_since_start(begin);
  e.dur_us = std::chrono::duration_cast<std::chrono::microseconds>(end - begin).count();
  e.tid = profile_thread_id();
  e.args_json = "\"op_name\":" + json_quote(n.op_type) + ",\"node_name\":" + json_quote(node_name) +
                ",\"domain\":" + json_quote(n.domain) + ",\"node_index\":\"" + std::to_string(index) +
                "\",\"provider\":\"CPUExecutionProvider\",\"kernel\":" + json_quote(step.kernel->variant()) +
                ",\"backend\":" + json_quote(step.reference_kernel ? "reference" : "cpu") +
                ",\"dur_ns\":" +
                std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(end - begin).count()) +
                ",\"input_type_shape\":" + inputs + ",\"output_type_shape\":" + outputs;
  hooks.events.push_back(std::move(e));
  if (hooks.after_step) hooks.after_step(plan, step, state);
  return Status::ok();
}

// A kernel reports bad values through its Status; a C++ exception out of one (a container asked
// for a size past max_size(), a failed allocation, a worker task's error rethrown by the pool) is
// turned into an error that names the node here, so it never ends the caller's process.
Status run_step_guarded(const plan::ExecutionPlan& plan, const plan::Step& step, RunState& state, ThreadPool& threads) {
  try {
    if (state.hooks) [[unlikely]] return run_step_hooked(plan, step, state, threads);
    return run_step(plan, step, state, threads);
  } catch (const std::bad_alloc&) {
    return runtime_error(step.node->describe() + ": out of memory");
  } catch (const std::exception& e) {
    return internal_error(step.node->describe() + ": failed with a C++ exception: " + e.what());
  }
}

}  // namespace

Status execute(const plan::ExecutionPlan& plan, RunState& state, ThreadPool& threads) {
  for (const plan::Step& step : plan.steps) {
    ONNXRT_RETURN_IF_ERROR(run_step_guarded(plan, step, state, threads));
    for (plan::Slot s : step.release_after) {
      release_pooled(state, static_cast<size_t>(s));
      state.slots[static_cast<size_t>(s)] = Value();
    }
  }
  return Status::ok();
}

}  // namespace onnxrt::runtime
