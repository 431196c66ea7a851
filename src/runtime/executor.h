// Runs an ExecutionPlan over one RunState. The plan is shared and immutable; everything a run
// writes lives in the RunState, so concurrent runs on one session need no lock.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "base/thread_pool.h"
#include "plan/execution_plan.h"
#include "runtime/buffer_pool.h"
#include "runtime/output_recycler.h"
#include "runtime/profiler.h"

namespace onnxrt::runtime {

struct RunState {
  explicit RunState(const plan::ExecutionPlan& plan);
  std::vector<Value> slots;
  std::vector<void*> pooled;  // by slot: buffer from `pool` to release, else null
  // Pooled buffers held by more than one slot (a view and the value it views), with the number
  // of holders beyond the first: the last holder to be released gives the buffer back.
  std::unordered_map<void*, int> pooled_extra_holders;
  std::shared_ptr<void> arena;
  BufferPool pool;
  std::shared_ptr<OutputRecycler> outputs = std::make_shared<OutputRecycler>();  // graph outputs
  // States of nested plans (subgraphs), made on first use and reused by every iteration and
  // every later run that takes this state. A subgraph never runs twice at once within one run.
  std::unordered_map<const plan::ExecutionPlan*, std::unique_ptr<RunState>> nested;
  // Profiling / intermediate-value capture for the current run; null (the usual case) costs one
  // test per step. Nested plans run with their parent's hooks.
  RunHooks* hooks = nullptr;
};

// Gives back slot `idx`'s hold on its pooled buffer, if any.
void release_pooled(RunState& state, size_t idx);

// Executes every step. Graph inputs (and, for nested plans, outer-scope values) must already be
// in state.slots; on success the graph outputs are in their slots (owned, safe to hand out).
Status execute(const plan::ExecutionPlan& plan, RunState& state, ThreadPool& threads);

// Puts the plan's constants into their slots (done once per state; they are never released).
void load_constants(const plan::ExecutionPlan& plan, RunState& state);
// Clears every non-constant slot and returns pooled buffers, leaving the state ready for reuse.
void reset(const plan::ExecutionPlan& plan, RunState& state);

}  // namespace onnxrt::runtime
