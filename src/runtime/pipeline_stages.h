// The pass pipeline as Session runs it, and the graph at any stage of it for
// `onnxrt dump [--after PASS]`: the same loader and passes, stopped after a named pass, printed
// with every value's inferred type.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/thread_pool.h"
#include "onnxrt/session.h"
#include "onnxrt/status.h"
#include "passes/pass.h"

namespace onnxrt::runtime {

// The context Session's passes get: constant folding evaluates nodes single-threaded on `pool`
// with the CPU kernels, or with the reference kernels first when `reference_first`.
passes::PassContext folding_context(ThreadPool& pool, bool reference_first);

// The stage names `dump_graph_json` accepts for `level`, in pipeline order: "import" (no pass),
// then each pass of the level.
std::vector<std::string> pipeline_stage_names(GraphOptimizationLevel level);

// Loads the model at `path`, runs the passes of `options.graph_optimization_level` up to and
// including `after` (empty: all of them; "import": none) and returns the graph as JSON:
//   {"graph": name, "stage": ..., "stages": [...], "inputs": [value], "outputs": [value],
//    "initializers": [value], "nodes": [{"name", "op_type", "domain", "inputs": [value|null],
//    "outputs": [value|null], "attributes": {name: scalar, list or "<kind>"}}]}
//   value = {"name", "type": "tensor(float)", "shape": [3, "batch", "unk__1"] or null}
// An unknown stage is InvalidArgument naming the stages of that level.
Expected<std::string> dump_graph_json(const std::string& path, const SessionOptions& options, std::string_view after);

}  // namespace onnxrt::runtime
