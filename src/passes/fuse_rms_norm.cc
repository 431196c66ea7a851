// RMSNorm written out as element-wise nodes -> one com.onnxrt RMSNormalization (ONNX's
// RMSNormalization-23 under our domain, so that models of any opset may hold it):
//   x -> Pow(x, 2) | Mul(x, x) -> ReduceMean(last axis, keepdims) -> Add(eps)
//     -> Sqrt -> Reciprocal | Div(1, .) -> Mul(x, .)       [ -> Mul(., w) ]
//     -> Sqrt -> Div(x, .)                                  [ -> Mul(., w) ]
// with a scalar constant eps and, when present, a float32 constant w of the last dim's size
// ([C] or [1, ..., 1, C]; without it the scale is ones). This is how torch.onnx writes
// transformers' LlamaRMSNorm / T5LayerNorm (Llama, Mistral, Qwen, Gemma, T5, ...): six or seven
// passes over the hidden state, each writing a temporary, become one that reads x and writes y.
// The fused kernel sums the squares in float with a double total and scales by 1 / sqrt in
// double, a little more exact than the float ReduceMean, Sqrt and Reciprocal it replaces.
//
// Every value between x and the result must feed only the chain; x may have other readers (the
// residual path). Float32 only, like the other fusions.
#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::next_op;
using fusion::reduces_last_axis;
using fusion::scalar_constant;
using fusion::sole_consumer;

struct Match {
  ir::ValueId x = ir::kNoValue;
  std::vector<ir::NodeId> nodes;  // the chain, in order; the last one's output is the result
  float eps = 0.f;
  ir::ValueId weight = ir::kNoValue;  // kNoValue: no weight Mul
};

std::optional<Match> match_at(const ir::Graph& g, ir::NodeId sq) {
  const ir::Node& first = g.node(sq);
  Match m;
  if (is_op(first, "Pow") && first.inputs.size() == 2) {
    if (scalar_constant(g, first.inputs[1]) != 2.f) return std::nullopt;
  } else if (!(is_op(first, "Mul") && first.inputs.size() == 2 && first.inputs[0] == first.inputs[1])) {
    return std::nullopt;
  }
  m.x = first.inputs[0];
  if (!fusion::is_float32(g, m.x)) return std::nullopt;  // also for an omitted input
  const ir::ValueType& xt = g.value(m.x).type;
  if (!xt.has_shape || xt.shape.empty()) return std::nullopt;
  m.nodes.push_back(sq);
  const auto mean = next_op(g, sq, "ReduceMean");
  if (!mean || !reduces_last_axis(g, g.node(*mean), xt.shape.size())) return std::nullopt;
  m.nodes.push_back(*mean);
  const auto add = next_op(g, *mean, "Add");
  if (!add) return std::nullopt;
  const auto eps = scalar_constant(g, fusion::other_input(g.node(*add), g.node(*mean).outputs[0]));
  if (!eps || !(*eps >= 0.f)) return std::nullopt;
  m.eps = *eps;
  m.nodes.push_back(*add);
  const auto root = next_op(g, *add, "Sqrt");
  if (!root) return std::nullopt;
  m.nodes.push_back(*root);
  const ir::ValueId s = g.node(*root).outputs[0];
  const ir::NodeId c = sole_consumer(g, s);
  if (c < 0) return std::nullopt;
  const ir::Node& cn = g.node(c);
  ir::NodeId normed = -1;  // the node whose output is x / sqrt(mean + eps)
  if (is_op(cn, "Div") && cn.inputs.size() == 2 && cn.inputs[0] == m.x && cn.inputs[1] == s) {
    normed = c;
    m.nodes.push_back(c);
  } else {
    const bool recip = is_op(cn, "Reciprocal");
    const bool one_over = is_op(cn, "Div") && cn.inputs.size() == 2 && cn.inputs[1] == s &&
                          scalar_constant(g, cn.inputs[0]) == 1.f;
    if (!recip && !one_over) return std::nullopt;
    m.nodes.push_back(c);
    const auto mul = next_op(g, c, "Mul");
    if (!mul || fusion::other_input(g.node(*mul), cn.outputs[0]) != m.x) return std::nullopt;
    normed = *mul;
    m.nodes.push_back(*mul);
  }
  // The weight, when the normalized value's only reader multiplies it by one.
  const Dim last = xt.shape.back();
  if (const auto wmul = next_op(g, normed, "Mul"); wmul && last.is_known()) {
    const ir::ValueId w = fusion::other_input(g.node(*wmul), g.node(normed).outputs[0]);
    if (fusion::is_row_constant(g, w, last.value())) {
      m.weight = w;
      m.nodes.push_back(*wmul);
    }
  }
  // Without a weight the kernel needs ones of the last dim's size.
  if (m.weight == ir::kNoValue && !last.is_known()) return std::nullopt;
  return m;
}

}  // namespace

Expected<bool> fuse_rms_norm(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const std::optional<Match> m = match_at(graph, id);
    if (!m) continue;
    const int64_t c = graph.value(m->x).type.shape.back().value();
    // RMSNormalization's scale may not have more dims than the normalized shape: flattened.
    ir::ValueId w = ir::kNoValue;
    ONNXRT_ASSIGN_OR_RETURN(w, fusion::scale_or_ones(graph, m->weight, c, graph.value(m->x).name + "_rms_scale"));
    ir::Node node;
    node.name = graph.node(m->nodes.back()).name;
    node.op_type = "RMSNormalization";
    node.domain = std::string(ir::kFusedDomain);
    node.opset = 1;
    node.attrs.set(ir::int_attribute("axis", -1));
    node.attrs.set(ir::float_attribute("epsilon", m->eps));
    fusion::add_fused_import(graph);
    const std::string ins[] = {graph.value(m->x).name, graph.value(w).name};
    ONNXRT_RETURN_IF_ERROR(fusion::replace_chain(graph, std::move(node), ins, m->nodes).status());
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
