#include "runtime/executor.h"

#include <cstdlib>
#include <string>

#include "ir/infer.h"

namespace onnxrt::runtime {

RunState::RunState(const plan::ExecutionPlan& plan) : slots(plan.slots.size()), pooled(plan.slots.size(), nullptr) {
  if (plan.arena_bytes > 0) {
    void* p = std::aligned_alloc(64, static_cast<size_t>(plan.arena_bytes));
    if (p) arena = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
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
    if (i >= step_.inputs.size() || step_.inputs[i] == plan::kNoSlot) return nullptr;
    const Tensor& t = state_.slots[static_cast<size_t>(step_.inputs[i])];
    return t.defined() ? &t : nullptr;
  }
  size_t num_outputs() const override { return step_.outputs.size(); }
  Tensor* output(size_t i) override {
    if (i >= step_.outputs.size() || step_.outputs[i] == plan::kNoSlot) return nullptr;
    Tensor& t = state_.slots[static_cast<size_t>(step_.outputs[i])];
    return t.defined() ? &t : nullptr;
  }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override;
  void* scratch(size_t bytes) override {
    void* p = state_.pool.acquire(bytes);
    if (p) scratch_.push_back(p);
    return p;
  }
  ThreadPool& threads() override { return threads_; }
  const ir::Node& node() const override { return *step_.node; }

  // Allocates output i with its final shape; see the placement rules in the plan header.
  Status allocate(size_t i, DType dtype, const Shape& shape);

 private:
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
  Tensor& t = state_.slots[static_cast<size_t>(slot)];
  for (int64_t d : shape) {
    if (d < 0) return runtime_error(node().describe() + ": negative output dim " + std::to_string(d));
  }
  if (info.is_graph_output || dtype == DType::kString) {
    t = Tensor::allocate(dtype, shape);  // handed to the caller: must own its storage
  } else if (info.arena_offset >= 0 && state_.arena) {
    t = Tensor::borrow(dtype, shape, static_cast<char*>(state_.arena.get()) + info.arena_offset, nullptr);
  } else {
    const size_t bytes = dtype_storage_bytes(dtype, static_cast<size_t>(shape_size(shape)));
    void* p = state_.pool.acquire(bytes);
    if (!p) {
      return runtime_error(node().describe() + ": out of memory allocating " + std::to_string(bytes) +
                           " bytes for output " + std::to_string(i));
    }
    state_.pooled[static_cast<size_t>(slot)] = p;
    t = Tensor::borrow(dtype, shape, p, nullptr);
  }
  return Status::ok();
}

Tensor* StepContext::allocate_output(size_t i, DType dtype, Shape shape) {
  if (i >= step_.outputs.size() || step_.outputs[i] == plan::kNoSlot) return nullptr;
  if (!allocate(i, dtype, shape).is_ok()) return nullptr;
  return output(i);
}

Status run_step(const plan::ExecutionPlan& plan, const plan::Step& step, RunState& state, ThreadPool& threads) {
  StepContext ctx(plan, step, state, threads);
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

}  // namespace

Status execute(const plan::ExecutionPlan& plan, RunState& state, ThreadPool& threads) {
  for (const plan::Step& step : plan.steps) {
    ONNXRT_RETURN_IF_ERROR(run_step(plan, step, state, threads));
    for (plan::Slot s : step.release_after) {
      auto idx = static_cast<size_t>(s);
      if (state.pooled[idx]) {
        state.pool.release(state.pooled[idx]);
        state.pooled[idx] = nullptr;
      }
      state.slots[idx] = Tensor();
    }
  }
  return Status::ok();
}

}  // namespace onnxrt::runtime
