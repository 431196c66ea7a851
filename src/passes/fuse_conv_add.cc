// Conv + Add(Z) -> com.onnxrt.FusedConv with Z: the residual Add of ResNet and MobileNetV2 blocks
// is then made on each output tile in cache instead of in one more pass over the activations.
// Z must have exactly the conv output's shape (no broadcasting; dims equal as numbers or as the same
// symbol, so dynamic-batch exports fuse too), and the conv output must
// feed only this Add. The activation pass runs after this one, so a following Relu lands after
// the Add, where it belongs.
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

Expected<bool> fuse_conv_add(ir::Graph& graph, const PassContext&) {
  using namespace fusion;
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& add = graph.node(id);
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1)
      continue;
    for (size_t side = 0; side < 2; ++side) {
      const ir::ValueId v = add.inputs[side];
      const ir::ValueId z = add.inputs[1 - side];
      if (v == ir::kNoValue || z == ir::kNoValue || v == z) continue;
      const ir::NodeId p = graph.value(v).producer;
      if (p < 0 || graph.is_removed(p)) continue;
      const ir::Node& conv = graph.node(p);
      const bool is_conv = (conv.op_type == "Conv" && conv.domain.empty()) ||
                           (conv.op_type == "FusedConv" && conv.domain == ir::kFusedDomain);
      if (!is_conv || conv.outputs.size() != 1) continue;
      if (fused_input(graph, p, 3) != ir::kNoValue ||
          fused_activation(graph, p).kind != ir::FusedAct::kNone)
        continue;
      if (sole_consumer(graph, v) != id || !is_float32(graph, v) || !is_float32(graph, z) ||
          !same_shape(graph, v, z) || !same_shape(graph, v, add.outputs[0]))
        continue;
      make_fused(graph, p);
      set_fused_input(graph, p, 3, z);
      ONNXRT_RETURN_IF_ERROR(absorb(graph, p, id));
      changed = true;
      break;
    }
  }
  return changed;
}

}  // namespace onnxrt::passes
