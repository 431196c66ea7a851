#include <algorithm>
#include <unordered_set>

#include "passes/pass.h"

namespace onnxrt::passes {
namespace {

// Ops whose outputs are not a pure function of their inputs; folding them would freeze a random
// draw or change what training-mode ops mean.
bool is_nondeterministic(const ir::Node& n) {
  static const std::unordered_set<std::string_view> kOps = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
      "Bernoulli", "Dropout"};
  return n.domain.empty() && kOps.count(n.op_type) > 0;
}

// Folding a node that expands a few bytes into a huge tensor (ConstantOfShape, Expand, Tile)
// would bloat the plan's memory with something cheap to compute; keep those as nodes. Nodes that
// make no more elements than their largest input only widen them (DequantizeLinear of a QDQ
// model's int8 weights, a Cast): those fold at any size, so that the consumer sees a constant
// weight it can prepack instead of dequantizing it on every run.
constexpr size_t kMaxGrowthBytes = 1 << 20;

bool has_subgraph(const ir::Node& n) {
  for (const ir::Attribute& a : n.attrs.all())
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

}  // namespace

namespace {

Expected<bool> fold(ir::Graph& graph, const PassContext& ctx, bool keep_dequantized_weights) {
  if (!ctx.evaluate) return false;
  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.topological_order());
  bool changed = false;
  for (ir::NodeId id : order) {
    const ir::Node& n = graph.node(id);
    if (changed) {
      // Inputs may have become constants: refine this node's types before deciding.
      ONNXRT_RETURN_IF_ERROR(graph.reinfer(id));
    }
    if (is_nondeterministic(n) || has_subgraph(n)) continue;
    // A dequantized MatMul weight stays 8-bit: fuse_dequantize_matmul, next, takes it.
    if (keep_dequantized_weights && dequantized_matmul_weight(graph, n)) continue;
    bool all_constant = true;
    size_t input_bytes = 0;
    int64_t max_input_elements = 0;
    std::vector<const Tensor*> inputs;
    for (ir::ValueId v : n.inputs) {
      if (v == ir::kNoValue) {
        inputs.push_back(nullptr);
        continue;
      }
      const ir::ValueInfo& info = graph.value(v);
      // A graph input that has an initializer may be overridden at run time: not a constant.
      if (!info.constant || info.is_graph_input) {
        all_constant = false;
        break;
      }
      inputs.push_back(&*info.constant);
      input_bytes += info.constant->nbytes();
      max_input_elements = std::max(max_input_elements, info.constant->size());
    }
    if (!all_constant) continue;
    auto outputs = ctx.evaluate(n, inputs, n.outputs.size());
    // A node that cannot be evaluated now (no kernel yet) just stays; the plan reports it.
    if (!outputs) continue;
    size_t output_bytes = 0;
    bool widens_only = true;
    for (const Tensor& t : *outputs) {
      output_bytes += t.nbytes();
      widens_only = widens_only && t.size() <= max_input_elements;
    }
    if (output_bytes > input_bytes + kMaxGrowthBytes && !widens_only) continue;
    const std::vector<ir::ValueId> outs = n.outputs;
    graph.remove_node(id);
    for (size_t i = 0; i < outs.size(); ++i) {
      if (outs[i] == ir::kNoValue) continue;
      ir::ValueInfo& info = graph.value(outs[i]);
      info.type = ir::ValueType::tensor((*outputs)[i].dtype(), to_sym_shape((*outputs)[i].shape()));
      info.constant = std::move((*outputs)[i]);
    }
    changed = true;
  }
  return changed;
}

}  // namespace

Expected<bool> fold_constants(ir::Graph& graph, const PassContext& ctx) { return fold(graph, ctx, false); }

Expected<bool> fold_constants_keeping_quantized_weights(ir::Graph& graph, const PassContext& ctx) {
  return fold(graph, ctx, true);
}

}  // namespace onnxrt::passes
