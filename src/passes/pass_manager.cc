#include "passes/pass.h"

namespace onnxrt::passes {

std::vector<Pass> default_pipeline(GraphOptimizationLevel level) {
  std::vector<Pass> p;
  if (level == GraphOptimizationLevel::kDisableAll) return p;
  p.push_back({"fold_constants", &fold_constants});
  p.push_back({"eliminate_identity", &eliminate_identity});
  p.push_back({"eliminate_dead_code", &eliminate_dead_code});
  return p;
}

Status run_pipeline(ir::Graph& graph, std::span<const Pass> passes, const PassContext& ctx,
                    std::string_view stop_after) {
  for (const Pass& pass : passes) {
    auto changed = pass.run(graph, ctx);
    if (!changed) return changed.status().with_context("pass " + std::string(pass.name) + ": ");
    if (pass.name == stop_after) break;
  }
  return Status::ok();
}

}  // namespace onnxrt::passes
