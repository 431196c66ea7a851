#include "passes/pass.h"

namespace onnxrt::passes {

Expected<bool> eliminate_dead_code(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  // Walk in reverse topological order so that a whole dead chain goes in one sweep.
  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.topological_order());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node& n = graph.node(*it);
    bool used = false;
    for (ir::ValueId v : n.outputs) {
      if (v == ir::kNoValue) continue;
      const ir::ValueInfo& info = graph.value(v);
      if (info.is_graph_output || !info.consumers.empty()) used = true;
    }
    if (!used) {
      graph.remove_node(*it);
      changed = true;
    }
  }
  graph.compact();
  return changed;
}

}  // namespace onnxrt::passes
