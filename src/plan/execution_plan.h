// The execution plan: an immutable, shareable description of how to run a graph. It fixes the
// node order, binds a kernel to every node, records when each value dies (so buffers return to
// the pool right after their last use), and places every intermediate whose shape is static at an
// offset in one arena, so that a run of a static model allocates nothing but its outputs.
// Per-run state (buffers, bound symbols) lives in runtime/RunState, never here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/infer.h"
#include "kernels/kernel.h"
#include "kernels/registry.h"
#include "onnxrt/status.h"

namespace onnxrt::plan {

using Slot = int32_t;  // index of a value's tensor in RunState (== ir::ValueId of the graph)
constexpr Slot kNoSlot = -1;

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
};

struct SlotInfo {
  DType dtype = DType::kUndefined;
  bool is_constant = false;
  bool is_graph_input = false;
  bool is_graph_output = false;
  bool static_shape = false;
  Shape shape;                // valid when static_shape
  int64_t arena_offset = -1;  // >= 0: lives in the arena at this byte offset
};

struct ExecutionPlan {
  std::unique_ptr<ir::Graph> graph;  // owns the nodes that steps point to
  std::vector<Step> steps;
  std::vector<SlotInfo> slots;
  std::vector<Tensor> constants;  // by slot; undefined for non-constants
  std::vector<Slot> input_slots;  // graph inputs, in order
  std::vector<std::string> input_names;
  std::vector<Slot> output_slots;  // graph outputs, in order
  std::vector<std::string> output_names;
  int64_t arena_bytes = 0;
};

// Builds the plan for an optimized graph (takes ownership). Fails with NotImplemented naming the
// node, op and dtype when no kernel can run a node.
Expected<std::unique_ptr<ExecutionPlan>> build_plan(std::unique_ptr<ir::Graph> graph);

// Assigns arena offsets to the static-shaped intermediates of `plan` (memory_plan.cc).
void assign_arena_offsets(ExecutionPlan& plan);

}  // namespace onnxrt::plan
