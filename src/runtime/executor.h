// Runs an ExecutionPlan over one RunState. The plan is shared and immutable; everything a run
// writes lives in the RunState, so concurrent runs on one session need no lock.
#pragma once

#include <memory>
#include <vector>

#include "base/thread_pool.h"
#include "plan/execution_plan.h"
#include "runtime/buffer_pool.h"

namespace onnxrt::runtime {

struct RunState {
  explicit RunState(const plan::ExecutionPlan& plan);
  std::vector<Tensor> slots;
  std::vector<void*> pooled;  // by slot: buffer from `pool` to release, else null
  std::shared_ptr<void> arena;
  BufferPool pool;
};

// Executes every step. Graph inputs must already be in state.slots; on success the graph
// outputs are in their slots (owned tensors, safe to hand to the caller).
Status execute(const plan::ExecutionPlan& plan, RunState& state, ThreadPool& threads);

}  // namespace onnxrt::runtime
