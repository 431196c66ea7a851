// The execution plan: an immutable, shareable description of how to run a graph. It fixes the
// node order, binds a kernel to every node, records when each value dies (so buffers return to
// the pool right after their last use), and places every intermediate whose shape is static at an
// offset in one arena, so that a run of a static model allocates nothing but its outputs.
// Per-run state (buffers, bound symbols) lives in runtime/RunState, never here.
//
// Nodes with graph attributes (If, Loop, Scan, SequenceMap) get one nested plan per graph
// attribute, built the same way (no passes: subgraphs are inferred at import). A nested plan's
// outer-scope values are bound by name, at plan time, to slots of the enclosing plan; the
// enclosing plan keeps them alive until the node that reads them implicitly has run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/infer.h"
#include "kernels/kernel.h"
#include "kernels/registry.h"
#include "onnxrt/status.h"

namespace onnxrt {
class ThreadPool;
}

namespace onnxrt::plan {

using Slot = int32_t;  // index of a value in RunState (== ir::ValueId of the graph)
constexpr Slot kNoSlot = -1;

struct ExecutionPlan;

// The plan of one graph attribute of a node.
struct SubPlan {
  std::string attr_name;
  std::unique_ptr<ExecutionPlan> plan;
};

struct Step {
  const ir::Node* node = nullptr;
  std::unique_ptr<kernels::Kernel> kernel;
  ir::InferFn infer = nullptr;
  std::vector<Slot> inputs;   // kNoSlot for omitted optional inputs
  std::vector<Slot> outputs;  // kNoSlot for omitted optional outputs
  // True when every output shape is known at plan time: no inference at run time.
  bool static_shapes = false;
  bool dynamic_output_shape = false;  // the kernel allocates its outputs itself
  std::vector<Slot> release_after;    // values whose last reader is this step
  // The kernel sets every output itself (set_output_value / allocate_output): nodes with
  // subgraphs and nodes that read or write sequences, optionals or maps. No inference at run time.
  bool kernel_sets_outputs = false;
  std::vector<SubPlan> subplans;  // one per graph attribute of the node
  bool reference_kernel = false;  // bound to a kernels/reference/ kernel (shown in profiles)
};

struct SlotInfo {
  DType dtype = DType::kUndefined;
  bool is_constant = false;
  bool is_graph_input = false;
  bool is_graph_output = false;
  bool is_outer_scope = false;
  bool is_tensor = true;      // false: sequence, optional or map (or unknown) value
  bool static_shape = false;
  Shape shape;                // valid when static_shape
  int64_t arena_offset = -1;  // >= 0: lives in the arena at this byte offset
  // Written straight into part of a Concat's output (memory_plan.cc): its bytes are those from
  // `placed_offset` on of slot `placed_in`, so the Concat copies nothing for it. In the arena this
  // is only its offset; when the Concat's output is a graph output the executor allocates that
  // output as soon as its first placed input is made (`has_placed_inputs` marks such outputs).
  Slot placed_in = kNoSlot;
  int64_t placed_offset = 0;
  bool has_placed_inputs = false;
};

// A nested plan's outer-scope value and the enclosing plan's slot it is read from.
struct OuterBinding {
  Slot inner = kNoSlot;
  Slot outer = kNoSlot;
};

struct ExecutionPlan {
  std::shared_ptr<const ir::Graph> graph;  // keeps alive the nodes that steps point to
  std::vector<Step> steps;
  std::vector<SlotInfo> slots;
  std::vector<Tensor> constants;  // by slot; undefined for non-constants
  std::vector<Slot> input_slots;  // graph inputs, in order
  std::vector<std::string> input_names;
  std::vector<Slot> output_slots;  // graph outputs, in order
  std::vector<std::string> output_names;
  int64_t arena_bytes = 0;
  std::vector<OuterBinding> outer_bindings;  // nested plans only
  int64_t kernels_created_ahead = 0;  // by the pool's other threads while this plan was built
};

struct PlanOptions {
  // Bind every node to its reference kernel (kernels/reference/) when one exists; otherwise
  // the CPU kernel. Normally the CPU kernel comes first and the reference kernel is the fallback.
  bool prefer_reference_kernels = false;
  // The session's pool. With more than one thread, kernels whose constant inputs add up to
  // `ahead_min_bytes` (weights they pack) are created on its other threads while the plan binds
  // the nodes in order (plan/kernels_ahead.h); the plan is the same as one built on one thread.
  // Smaller weights stay on the plan's thread: they pack quickly, and every original whose
  // kernel is created ahead is held a little longer (ResNet-50's convolutions, most of them
  // under 2 MiB, gained little on a loaded machine and raised its peak RSS).
  ThreadPool* threads = nullptr;
  int64_t ahead_min_bytes = int64_t{2} << 20;
};

// Builds the plan for an optimized graph (takes ownership). Fails with NotImplemented naming the
// node, op and dtype when no kernel can run a node.
Expected<std::unique_ptr<ExecutionPlan>> build_plan(std::unique_ptr<ir::Graph> graph,
                                                    const PlanOptions& options = {});
// Builds the plan of a subgraph whose outer-scope values are slots of `enclosing`.
Expected<std::unique_ptr<ExecutionPlan>> build_subgraph_plan(std::shared_ptr<const ir::Graph> graph,
                                                             const ExecutionPlan& enclosing);

// Assigns arena offsets to the static-shaped intermediates of `plan` (memory_plan.cc).
void assign_arena_offsets(ExecutionPlan& plan);

}  // namespace onnxrt::plan
