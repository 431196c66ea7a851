// Evaluates one node on given input tensors, outside any plan: runs the op's inference function
// for output shapes, creates the kernel of the chosen backend, runs it. Used by the kernel tests
// (optimized vs reference), by constant folding, and by the backend's run_node.
#pragma once

#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "ir/graph.h"
#include "kernels/registry.h"
#include "onnxrt/value.h"

namespace onnxrt::kernels {

// `inputs[i]` null means an omitted optional input. `node.inputs/outputs` sizes are not used:
// the node's output count is `num_outputs`. Outputs the model omits are still computed.
// Fails (NotImplemented) when an output is not a tensor.
Expected<std::vector<Tensor>> eval_node(Backend backend, const ir::Node& node,
                                        std::span<const Tensor* const> inputs, size_t num_outputs,
                                        ThreadPool& pool);

// The same on Values (sequences, optionals): `inputs[i]` null is an omitted input, a None value
// an empty optional. Nodes with subgraphs cannot run here (run_subgraph is NotImplemented).
Expected<std::vector<Value>> eval_node_values(Backend backend, const ir::Node& node,
                                              std::span<const Value* const> inputs, size_t num_outputs,
                                              ThreadPool& pool);

// The IR type of a run-time value: exact shapes for tensors; a sequence's element type is its
// first element's dtype with unknown shape (kUnknown for an empty sequence).
ir::ValueType value_type_of(const Value& v);

}  // namespace onnxrt::kernels
