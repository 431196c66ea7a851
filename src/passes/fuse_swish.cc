// x * Sigmoid(x) -> com.onnxrt Swish(x), and x * Sigmoid(alpha * x) -> Swish(x, alpha), with
// ONNX's Swish semantics (opset 24: x * sigmoid(alpha x), alpha default 1). This is how torch
// exports nn.SiLU / F.silu (a Sigmoid and a Mul, at every opset it writes), and x * sigmoid(1.702 x)
// is QuickGELU. One pass over x instead of two and a temporary: in an EfficientNet-style model the
// Sigmoid and Mul pair was a third of our run (benchmarks/models/performance_notes.md).
//
// The Sigmoid's output (and alpha * x) must feed only the pattern; x itself may have other
// readers, since it stays alive either way. Float32 only, like the other fusions.
#include <algorithm>
#include <cmath>
#include <optional>

#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::other_input;
using fusion::scalar_constant;
using fusion::sole_consumer;

struct SwishMatch {
  ir::ValueId x = ir::kNoValue;
  float alpha = 1.f;
  ir::NodeId scale = -1;  // the Mul computing alpha * x, when there is one
  ir::NodeId mul = -1;    // the final Mul, whose output the Swish node takes over
};

// alpha * x (either order) computed by the Mul that produces `v`, read only by the Sigmoid; the
// constant may not add dimensions (its rank at most x's).
std::optional<SwishMatch> match_scaled_input(const ir::Graph& g, ir::ValueId v) {
  const ir::NodeId p = g.value(v).producer;
  if (p < 0 || g.is_removed(p) || !is_op(g.node(p), "Mul") || sole_consumer(g, v) < 0) return std::nullopt;
  const ir::Node& m = g.node(p);
  if (m.inputs.size() != 2) return std::nullopt;
  for (int c = 0; c < 2; ++c) {
    const std::optional<float> alpha = scalar_constant(g, m.inputs[static_cast<size_t>(c)]);
    const ir::ValueId x = m.inputs[static_cast<size_t>(1 - c)];
    if (!alpha || !std::isfinite(*alpha) || !fusion::is_float32(g, x)) continue;
    const ir::ValueType& xt = g.value(x).type;
    if (!xt.has_shape || g.value(m.inputs[static_cast<size_t>(c)]).constant->rank() > xt.rank())
      continue;
    return SwishMatch{x, *alpha, p, -1};
  }
  return std::nullopt;
}

std::optional<SwishMatch> match_swish(const ir::Graph& g, ir::NodeId sig_id) {
  const ir::Node& sig = g.node(sig_id);
  if (!is_op(sig, "Sigmoid") || sig.inputs.size() != 1 || sig.outputs.size() != 1) return std::nullopt;
  const ir::ValueId in = sig.inputs[0], s = sig.outputs[0];
  if (!fusion::is_float32(g, in)) return std::nullopt;
  const ir::NodeId mul = sole_consumer(g, s);  // reads s once, so its other input is not s
  if (mul < 0 || !is_op(g.node(mul), "Mul")) return std::nullopt;
  const ir::ValueId other = other_input(g.node(mul), s);
  if (other == ir::kNoValue) return std::nullopt;
  if (other == in) return SwishMatch{in, 1.f, -1, mul};
  std::optional<SwishMatch> m = match_scaled_input(g, in);
  if (!m || m->x != other) return std::nullopt;
  m->mul = mul;
  return m;
}

}  // namespace

Expected<bool> fuse_swish(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const std::optional<SwishMatch> m = match_swish(graph, id);
    if (!m) continue;
    if (m->scale >= 0) {
      // The Sigmoid reads x directly; the Mul computing alpha * x loses its only reader.
      ir::Node& sig = graph.node(id);
      auto& readers = graph.value(sig.inputs[0]).consumers;
      readers.erase(std::find(readers.begin(), readers.end(), id));
      sig.inputs[0] = m->x;
      graph.value(m->x).consumers.push_back(id);
      graph.remove_node(m->scale);
    }
    ir::Node& n = graph.node(id);
    n.op_type = "Swish";
    n.domain = std::string(ir::kFusedDomain);
    n.opset = 1;
    if (m->alpha != 1.f) {
      ir::Attribute a;
      a.name = "alpha";
      a.kind = ir::AttrKind::kFloat;
      a.f = m->alpha;
      n.attrs.set(a);
    }
    fusion::add_fused_import(graph);
    ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, m->mul));
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
