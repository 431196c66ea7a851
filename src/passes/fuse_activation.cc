// Conv / FusedConv / FusedMatMul (or a MatMul with a constant 2-D B) followed by an activation ->
// the fused op with that activation, applied while each output tile is in cache. Activations:
// Relu, Clip (constant bounds), Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish, Gelu, and the
// erf form of Gelu that exporters write out as five nodes:
//   x * (0.5 * (Erf(x / sqrt 2) + 1))   or   (x * (Erf(x / sqrt 2) + 1)) * 0.5
// (x / sqrt 2 may also be x * (1 / sqrt 2)), and the eight-node tanh form (match_gelu_tanh).
// Every intermediate must feed only the pattern.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::scalar_constant;
using fusion::sole_consumer;

bool is_op(const ir::Node& n, std::string_view op) { return n.domain.empty() && n.op_type == op; }

bool near(std::optional<float> v, double want) {
  return v && std::fabs(static_cast<double>(*v) - want) <= 1e-5 * std::fabs(want);
}

// The activation that node `c` (reading the fused node's output) computes, if we can fuse it.
std::optional<ir::FusedActivation> match_activation(const ir::Graph& g, const ir::Node& c) {
  if (!c.domain.empty() || c.outputs.size() != 1 || c.inputs.empty()) return std::nullopt;
  ir::FusedActivation a;
  ir::AttrReader r(c);
  if (c.op_type == "Relu") {
    a.kind = ir::FusedAct::kRelu;
  } else if (c.op_type == "Sigmoid") {
    a.kind = ir::FusedAct::kSigmoid;
  } else if (c.op_type == "Tanh") {
    a.kind = ir::FusedAct::kTanh;
  } else if (c.op_type == "HardSwish") {
    a.kind = ir::FusedAct::kHardSwish;
  } else if (c.op_type == "LeakyRelu") {
    a.kind = ir::FusedAct::kLeakyRelu;
    a.p0 = r.f("alpha", 0.01f);
  } else if (c.op_type == "HardSigmoid") {
    a.kind = ir::FusedAct::kHardSigmoid;
    a.p0 = r.f("alpha", 0.2f);
    a.p1 = r.f("beta", 0.5f);
  } else if (c.op_type == "Gelu") {
    const std::string approx = r.s("approximate", "none");
    if (approx != "none" && approx != "tanh") return std::nullopt;
    a.kind = approx == "tanh" ? ir::FusedAct::kGeluTanh : ir::FusedAct::kGelu;
  } else if (c.op_type == "Clip") {
    a.kind = ir::FusedAct::kClip;
    a.p0 = -std::numeric_limits<float>::infinity();
    a.p1 = std::numeric_limits<float>::infinity();
    if (c.opset < 11) {
      a.p0 = r.f("min", a.p0);
      a.p1 = r.f("max", a.p1);
    } else {
      for (size_t i = 1; i < 3; ++i) {
        if (i >= c.inputs.size() || c.inputs[i] == ir::kNoValue) continue;
        auto v = scalar_constant(g, c.inputs[i]);
        if (!v) return std::nullopt;
        (i == 1 ? a.p0 : a.p1) = *v;
      }
    }
  } else {
    return std::nullopt;
  }
  if (!r.status().is_ok()) return std::nullopt;
  return a;
}

// The other input of a two-input node, given one of them.
ir::ValueId other_input(const ir::Node& n, ir::ValueId v) {
  if (n.inputs.size() != 2) return ir::kNoValue;
  return n.inputs[0] == v ? n.inputs[1] : n.inputs[1] == v ? n.inputs[0] : ir::kNoValue;
}

// Gelu in erf form on x (output of the fused node): the nodes to remove, with the last one (whose
// output the fused node takes over) at the back; empty if it does not match.
std::vector<ir::NodeId> match_gelu_erf(const ir::Graph& g, ir::ValueId x) {
  const ir::ValueInfo& xi = g.value(x);
  if (xi.is_graph_output || xi.consumers.size() != 2 || g.is_read_implicitly(x)) return {};
  for (ir::NodeId d : xi.consumers) {
    const ir::Node& div = g.node(d);
    const bool by_div = is_op(div, "Div") && div.inputs.size() == 2 && div.inputs[0] == x &&
                        near(scalar_constant(g, div.inputs[1]), std::sqrt(2.0));
    const bool by_mul = is_op(div, "Mul") && near(scalar_constant(g, other_input(div, x)), std::sqrt(0.5));
    if (!by_div && !by_mul) continue;
    const ir::NodeId e = sole_consumer(g, div.outputs[0]);
    if (e < 0 || !is_op(g.node(e), "Erf")) continue;
    const ir::NodeId a = sole_consumer(g, g.node(e).outputs[0]);
    if (a < 0 || !is_op(g.node(a), "Add") ||
        !near(scalar_constant(g, other_input(g.node(a), g.node(e).outputs[0])), 1.0))
      continue;
    const ir::ValueId av = g.node(a).outputs[0];
    const ir::NodeId m1 = sole_consumer(g, av);
    if (m1 < 0 || !is_op(g.node(m1), "Mul")) continue;
    const ir::ValueId m1_other = other_input(g.node(m1), av);
    const ir::NodeId m2 = sole_consumer(g, g.node(m1).outputs[0]);
    if (m2 < 0 || !is_op(g.node(m2), "Mul")) continue;
    const ir::ValueId m2_other = other_input(g.node(m2), g.node(m1).outputs[0]);
    const ir::NodeId other_x_reader = xi.consumers[0] == d ? xi.consumers[1] : xi.consumers[0];
    // x * (0.5 * (erf + 1))
    if (near(scalar_constant(g, m1_other), 0.5) && m2_other == x && other_x_reader == m2)
      return {d, e, a, m1, m2};
    // (x * (erf + 1)) * 0.5
    if (m1_other == x && other_x_reader == m1 && near(scalar_constant(g, m2_other), 0.5))
      return {d, e, a, m1, m2};
  }
  return {};
}

// Gelu in tanh form, as exporters write GELU(approximate="tanh") out:
//   x * (0.5 * (Tanh(sqrt(2/pi) * (x + 0.044715 * Pow(x, 3))) + 1))   (or "* 0.5" last)
std::vector<ir::NodeId> match_gelu_tanh(const ir::Graph& g, ir::ValueId x) {
  const ir::ValueInfo& xi = g.value(x);
  if (xi.is_graph_output || xi.consumers.size() != 3 || g.is_read_implicitly(x)) return {};
  for (ir::NodeId p : xi.consumers) {
    const ir::Node& pow = g.node(p);
    if (!is_op(pow, "Pow") || pow.inputs.size() != 2 || pow.inputs[0] != x ||
        !near(scalar_constant(g, pow.inputs[1]), 3.0))
      continue;
    auto next = [&](ir::ValueId v, std::string_view op) -> ir::NodeId {
      const ir::NodeId c = sole_consumer(g, v);
      return c >= 0 && is_op(g.node(c), op) ? c : -1;
    };
    const ir::NodeId m1 = next(pow.outputs[0], "Mul");
    if (m1 < 0 || !near(scalar_constant(g, other_input(g.node(m1), pow.outputs[0])), 0.044715)) continue;
    const ir::NodeId a1 = next(g.node(m1).outputs[0], "Add");
    if (a1 < 0 || other_input(g.node(a1), g.node(m1).outputs[0]) != x) continue;
    const ir::NodeId m2 = next(g.node(a1).outputs[0], "Mul");
    if (m2 < 0 || !near(scalar_constant(g, other_input(g.node(m2), g.node(a1).outputs[0])),
                        std::sqrt(2.0 / 3.14159265358979323846)))
      continue;
    const ir::NodeId t = next(g.node(m2).outputs[0], "Tanh");
    if (t < 0) continue;
    const ir::NodeId a2 = next(g.node(t).outputs[0], "Add");
    if (a2 < 0 || !near(scalar_constant(g, other_input(g.node(a2), g.node(t).outputs[0])), 1.0)) continue;
    const ir::ValueId av = g.node(a2).outputs[0];
    const ir::NodeId m3 = next(av, "Mul");
    if (m3 < 0) continue;
    const ir::ValueId m3_other = other_input(g.node(m3), av);
    const ir::NodeId m4 = next(g.node(m3).outputs[0], "Mul");
    if (m4 < 0) continue;
    const ir::ValueId m4_other = other_input(g.node(m4), g.node(m3).outputs[0]);
    // The third reader of x: the final Mul (0.5 first) or the first Mul (x first).
    std::vector<ir::NodeId> readers = xi.consumers;
    std::sort(readers.begin(), readers.end());
    auto reads_x_exactly = [&](ir::NodeId last_x_reader) {
      std::vector<ir::NodeId> want = {p, a1, last_x_reader};
      std::sort(want.begin(), want.end());
      return want == readers;
    };
    if (near(scalar_constant(g, m3_other), 0.5) && m4_other == x && reads_x_exactly(m4))
      return {p, m1, a1, m2, t, a2, m3, m4};
    if (m3_other == x && near(scalar_constant(g, m4_other), 0.5) && reads_x_exactly(m3))
      return {p, m1, a1, m2, t, a2, m3, m4};
  }
  return {};
}

bool fusable_producer(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.node(id);
  if (n.outputs.size() != 1 || !fusion::is_float32(g, n.outputs[0])) return false;
  if (n.domain == ir::kFusedDomain)
    return (n.op_type == "FusedConv" || n.op_type == "FusedMatMul") &&
           fusion::fused_activation(g, id).kind == ir::FusedAct::kNone;
  if (is_op(n, "Conv")) return true;
  if (is_op(n, "MatMul") && n.inputs.size() == 2 && n.inputs[1] != ir::kNoValue) {
    const ir::ValueInfo& b = g.value(n.inputs[1]);
    return b.constant && !b.is_graph_input && b.constant->dtype() == DType::kFloat32 &&
           b.constant->rank() == 2;
  }
  return false;
}

}  // namespace

Expected<bool> fuse_activation(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id) || !fusable_producer(graph, id)) continue;
    const ir::ValueId out = graph.node(id).outputs[0];
    const ir::NodeId c = sole_consumer(graph, out);
    if (c >= 0 && graph.node(c).inputs[0] == out) {
      if (auto act = match_activation(graph, graph.node(c))) {
        fusion::make_fused(graph, id);
        fusion::set_fused_activation(graph, id, *act);
        ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, c));
        changed = true;
        continue;
      }
    }
    ir::FusedAct kind = ir::FusedAct::kGelu;
    std::vector<ir::NodeId> gelu = match_gelu_erf(graph, out);
    if (gelu.empty()) {
      gelu = match_gelu_tanh(graph, out);
      kind = ir::FusedAct::kGeluTanh;
    }
    if (!gelu.empty()) {
      const ir::NodeId last = gelu.back();
      gelu.pop_back();
      for (ir::NodeId n : gelu) graph.remove_node(n);
      fusion::make_fused(graph, id);
      fusion::set_fused_activation(graph, id, ir::FusedActivation{kind, 0.f, 0.f});
      ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, last));
      changed = true;
    }
  }
  return changed;
}

}  // namespace onnxrt::passes
