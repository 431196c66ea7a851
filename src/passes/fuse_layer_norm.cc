// LayerNorm written out as element-wise nodes -> one com.onnxrt LayerNormalization (ONNX's
// LayerNormalization-17 under our domain, so that models of any opset may hold it):
//   mean = ReduceMean(x, last axis, keepdims)
//   d    = Sub(x, mean)
//   var  = ReduceMean(Pow(d, 2) | Mul(d, d), last axis, keepdims)
//   s    = Sqrt(Add(var, eps))
//   y    = Div(d, s) | Mul(d, Reciprocal(s))   [ -> Mul(., gamma) ] [ -> Add(., beta) ]
// with a scalar constant eps >= 0 and float32 constants gamma and beta of the last dim's size
// ([C] or [1, ..., 1, C], on either side of their Mul / Add). This is how the TorchScript exporter
// writes nn.LayerNorm below opset 17 (BERT-style models exported at opset 11-16) and how
// TensorFlow converters write Keras' LayerNormalization: nine passes over the hidden state, each
// writing a temporary, become one that reads x and writes y (a [1, 128, 768] chain: 0.12 ms ->
// 0.05 ms).
//
// Only over the last axis (ConvNeXt's channels-first LayerNorm reduces axis 1 and stays as it is),
// float32 only, and with the last dim known. Every value from the first ReduceMean to the result
// must feed only the chain (d feeds exactly its square and the division); x may have other readers
// (the residual path).
#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::is_row_constant;
using fusion::next_op;
using fusion::reduces_last_axis;
using fusion::other_input;
using fusion::scalar_constant;
using fusion::sole_consumer;

struct Match {
  ir::ValueId x = ir::kNoValue;
  std::vector<ir::NodeId> nodes;  // the chain; the last one's output is the result
  float eps = 0.f;
  ir::ValueId gamma = ir::kNoValue;  // kNoValue: no scale Mul
  ir::ValueId beta = ir::kNoValue;   // kNoValue: no bias Add
};

// d's readers are exactly the two nodes `a` and `b` (and d is no graph output and is not read by
// a subgraph).
bool read_only_by(const ir::Graph& g, ir::ValueId d, ir::NodeId a, ir::NodeId b) {
  const ir::ValueInfo& info = g.value(d);
  if (info.is_graph_output || g.is_read_implicitly(d)) return false;
  bool saw_a = false, saw_b = false;
  for (ir::NodeId c : info.consumers) {
    if (c == a) saw_a = true;
    else if (c == b) saw_b = true;
    else return false;
  }
  return saw_a && saw_b;
}

std::optional<Match> match_at(const ir::Graph& g, ir::NodeId mean_id) {
  const ir::Node& mean = g.node(mean_id);
  if (!is_op(mean, "ReduceMean") || mean.inputs.empty() || mean.outputs.empty()) return std::nullopt;
  Match m;
  m.x = mean.inputs[0];
  if (!fusion::is_float32(g, m.x)) return std::nullopt;  // also for an omitted input
  const ir::ValueType& xt = g.value(m.x).type;
  if (!xt.has_shape || xt.shape.empty() || !xt.shape.back().is_known()) return std::nullopt;
  const int64_t c = xt.shape.back().value();
  const size_t rank = xt.shape.size();
  if (!reduces_last_axis(g, mean, rank)) return std::nullopt;
  const auto sub = next_op(g, mean_id, "Sub");
  if (!sub) return std::nullopt;
  const ir::Node& subn = g.node(*sub);
  if (subn.inputs.size() != 2 || subn.inputs[0] != m.x || subn.inputs[1] != mean.outputs[0]) return std::nullopt;
  const ir::ValueId d = subn.outputs[0];
  // The square: Pow(d, 2) or Mul(d, d), among d's two readers.
  ir::NodeId sq = -1, norm = -1;
  for (ir::NodeId r : g.value(d).consumers) {
    const ir::Node& rn = g.node(r);
    const bool pow2 = is_op(rn, "Pow") && rn.inputs.size() == 2 && rn.inputs[0] == d &&
                      scalar_constant(g, rn.inputs[1]) == 2.f;
    const bool self_mul = is_op(rn, "Mul") && rn.inputs.size() == 2 && rn.inputs[0] == d && rn.inputs[1] == d;
    if (pow2 || self_mul) sq = r;
    else norm = r;
  }
  if (sq < 0 || norm < 0 || !read_only_by(g, d, sq, norm)) return std::nullopt;
  const auto var = next_op(g, sq, "ReduceMean");
  if (!var || !reduces_last_axis(g, g.node(*var), rank)) return std::nullopt;
  const auto add = next_op(g, *var, "Add");
  if (!add) return std::nullopt;
  const auto eps = scalar_constant(g, other_input(g.node(*add), g.node(*var).outputs[0]));
  if (!eps || !(*eps >= 0.f)) return std::nullopt;
  m.eps = *eps;
  const auto root = next_op(g, *add, "Sqrt");
  if (!root) return std::nullopt;
  const ir::ValueId s = g.node(*root).outputs[0];
  m.nodes = {mean_id, *sub, sq, *var, *add, *root};
  // d / s, or d * (1 / s).
  const ir::Node& nn = g.node(norm);
  ir::NodeId normed = -1;
  if (is_op(nn, "Div") && nn.inputs.size() == 2 && nn.inputs[0] == d && nn.inputs[1] == s &&
      sole_consumer(g, s) == norm) {
    normed = norm;
    m.nodes.push_back(norm);
  } else if (is_op(nn, "Mul") && nn.inputs.size() == 2) {
    const auto recip = next_op(g, *root, "Reciprocal");
    if (!recip || other_input(nn, d) != g.node(*recip).outputs[0] || sole_consumer(g, g.node(*recip).outputs[0]) != norm)
      return std::nullopt;
    normed = norm;
    m.nodes.push_back(*recip);
    m.nodes.push_back(norm);
  } else {
    return std::nullopt;
  }
  // The scale and the shift, when the normalized value's only reader multiplies (then adds).
  ir::NodeId last = normed;
  if (const auto mul = next_op(g, last, "Mul")) {
    const ir::ValueId w = other_input(g.node(*mul), g.node(last).outputs[0]);
    if (is_row_constant(g, w, c)) {
      m.gamma = w;
      m.nodes.push_back(*mul);
      last = *mul;
    }
  }
  if (const auto badd = next_op(g, last, "Add")) {
    const ir::ValueId b = other_input(g.node(*badd), g.node(last).outputs[0]);
    if (is_row_constant(g, b, c)) {
      m.beta = b;
      m.nodes.push_back(*badd);
    }
  }
  return m;
}

}  // namespace

Expected<bool> fuse_layer_norm(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const std::optional<Match> m = match_at(graph, id);
    if (!m) continue;
    const int64_t c = graph.value(m->x).type.shape.back().value();
    // LayerNormalization's Scale is not optional.
    ir::ValueId gamma = ir::kNoValue;
    ONNXRT_ASSIGN_OR_RETURN(gamma, fusion::scale_or_ones(graph, m->gamma, c, graph.value(m->x).name + "_ln_scale"));
    std::vector<std::string> ins = {graph.value(m->x).name, graph.value(gamma).name};
    if (m->beta != ir::kNoValue) {
      ir::ValueId beta = ir::kNoValue;
      ONNXRT_ASSIGN_OR_RETURN(beta, fusion::flattened_constant(graph, m->beta));
      ins.push_back(graph.value(beta).name);
    }
    ir::Node node;
    node.name = graph.node(m->nodes.back()).name;
    node.op_type = "LayerNormalization";
    node.domain = std::string(ir::kFusedDomain);
    node.opset = 1;
    node.attrs.set(ir::int_attribute("axis", -1));
    node.attrs.set(ir::float_attribute("epsilon", m->eps));
    fusion::add_fused_import(graph);
    ONNXRT_RETURN_IF_ERROR(fusion::replace_chain(graph, std::move(node), ins, m->nodes).status());
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
