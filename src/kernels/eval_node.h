// Evaluates one node on given input tensors, outside any plan: runs the op's inference function
// for output shapes, creates the kernel of the chosen backend, runs it. Used by the kernel tests
// (optimized vs reference), by constant folding, and by the backend's run_node.
#pragma once

#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "ir/graph.h"
#include "kernels/registry.h"

namespace onnxrt::kernels {

// `inputs[i]` null means an omitted optional input. `node.inputs/outputs` sizes are not used:
// the node's output count is `num_outputs`. Outputs the model omits are still computed.
Expected<std::vector<Tensor>> eval_node(Backend backend, const ir::Node& node,
                                        std::span<const Tensor* const> inputs, size_t num_outputs,
                                        ThreadPool& pool);

}  // namespace onnxrt::kernels
