#include "passes/pass.h"

namespace onnxrt::passes {

Expected<bool> eliminate_identity(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& n = graph.node(id);
    if (n.op_type != "Identity" || !n.domain.empty() || n.inputs.size() != 1 || n.outputs.size() != 1)
      continue;
    const ir::ValueId in = n.inputs[0];
    const ir::ValueId out = n.outputs[0];
    if (in == ir::kNoValue || out == ir::kNoValue) continue;
    // Only tensors: an Identity on a sequence or optional is cheap anyway and keeps types simple.
    if (!graph.value(in).type.is_tensor()) continue;
    // A graph input or output must keep its own name and buffer; leave those Identities.
    if (graph.value(out).is_graph_output || graph.value(in).is_graph_output) continue;
    // A subgraph reads the output by its name, which must survive.
    if (graph.is_read_implicitly(out)) continue;
    graph.replace_uses(out, in);
    graph.remove_node(id);
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
