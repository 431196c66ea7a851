// An activation that an exporter wrote out as several element-wise nodes becomes one node:
//   GELU, erf form:   x * 0.5 * (1 + Erf(x / sqrt 2)), in any of its arrangements;
//   GELU, tanh form:  GPT-2's 0.5 x (1 + Tanh(sqrt(2/pi) (x + 0.044715 Pow(x, 3)))), BLOOM's
//                     x * 0.5 * (1 + Tanh(0.79788456 x (1 + 0.044715 x x))), HF's FastGELU, ...;
//   Swish:            x * Sigmoid(alpha x) (torch's SiLU, QuickGELU at 1.702), x / (1 + Exp(-x));
//   Mish:             x * Tanh(Softplus(x)) (torch's export before opset 18; YOLOv4's CSPDarknet);
//   Sigmoid, Tanh:    1 / (1 + Exp(-x)), (Exp(2x) - 1) / (Exp(2x) + 1), ...
// -> com.onnxrt Gelu (approximate "none" / "tanh"), com.onnxrt Swish (alpha), com.onnxrt Mish,
// Sigmoid, Tanh. One
// pass over x instead of five to nine, each writing a temporary; fuse_activation then folds the
// single node into the Conv / MatMul before it. (BLOOM's GELU took 1.7 of its 17 ms as nine
// nodes.)
//
// Rather than one matcher per arrangement, which misses the next exporter's, the pass takes the
// region of element-wise nodes computing a function of one tensor x (every other input a scalar
// constant), evaluates that function in double precision at probe points over [-8, 8] and compares
// it with each activation's definition. Only analytic ops join a region (no Clip, Relu, Min, Max,
// Abs, Where), so a formula cannot agree at the probes and differ outside them the way a clamp
// would. A formula that agrees with GELU at 45 points to 1e-6 (relative, plus absolute) is GELU up to
// the rounding of its constants: a coefficient of 0.045 for 0.044715 misses by 1e-4.
//
// Every value inside a collapsed region must feed only the region; x itself may have other
// readers (it stays alive), the region's last value keeps its name, readers and graph-output role.
// Float32 only, like the other fusions.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;

constexpr size_t kMaxRegionNodes = 32;

// Points where a candidate formula is compared with each activation; 1.0 must be among them
// (Swish's alpha is read off f(1)).
constexpr std::array<double, 45> kProbes = {
    -8.0,  -6.5,  -5.0,  -4.25, -3.5,  -3.0,  -2.6,  -2.21, -1.9,  -1.6,  -1.3,  -1.0,
    -0.83, -0.7,  -0.55, -0.4,  -0.3,  -0.17, -0.09, -0.02, 0.0,   0.013, 0.07,  0.16,
    0.25,  0.37,  0.5,   0.64,  0.81,  1.0,   1.17,  1.45,  1.77,  2.0,   2.33,  2.8,
    3.1,   3.7,   4.4,   5.0,   5.9,   6.6,   7.3,   8.0,   -7.1};

enum class Arity { kNone, kUnary, kBinary };

Arity analytic_arity(const ir::Node& n) {
  if (!n.domain.empty() || n.outputs.size() != 1) return Arity::kNone;
  static const std::unordered_set<std::string> unary = {"Neg", "Reciprocal", "Sqrt", "Exp", "Log",
                                                        "Tanh", "Erf", "Sigmoid", "Softplus"};
  static const std::unordered_set<std::string> binary = {"Add", "Sub", "Mul", "Div", "Pow"};
  if (unary.count(n.op_type) && n.inputs.size() == 1) return Arity::kUnary;
  if (binary.count(n.op_type) && n.inputs.size() == 2) return Arity::kBinary;
  return Arity::kNone;
}

double apply(const std::string& op, double a, double b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Pow") return std::pow(a, b);
  if (op == "Neg") return -a;
  if (op == "Reciprocal") return 1.0 / a;
  if (op == "Sqrt") return std::sqrt(a);
  if (op == "Exp") return std::exp(a);
  if (op == "Log") return std::log(a);
  if (op == "Tanh") return std::tanh(a);
  if (op == "Erf") return std::erf(a);
  if (op == "Sigmoid") return 1.0 / (1.0 + std::exp(-a));
  return std::log1p(std::exp(a));  // Softplus
}

// The element-wise nodes that compute functions of x alone: each reads x, values of earlier
// region nodes, or single-element float32 constants that do not add dimensions. In an order
// where every node follows the nodes it reads.
std::vector<ir::NodeId> grow_region(const ir::Graph& g, ir::ValueId x) {
  const ir::ValueType& xt = g.value(x).type;
  std::vector<ir::NodeId> nodes;
  std::unordered_set<ir::ValueId> values = {x};
  std::vector<ir::ValueId> frontier = {x};
  auto operand_ok = [&](ir::ValueId v) {
    if (values.count(v)) return true;
    if (!fusion::scalar_constant(g, v)) return false;
    return g.value(v).constant->rank() <= xt.rank();
  };
  bool grew = true;
  while (grew && nodes.size() < kMaxRegionNodes) {
    grew = false;
    for (size_t i = 0; i < frontier.size() && nodes.size() < kMaxRegionNodes; ++i) {
      for (ir::NodeId c : g.value(frontier[i]).consumers) {
        if (g.is_removed(c) || std::find(nodes.begin(), nodes.end(), c) != nodes.end()) continue;
        const ir::Node& n = g.node(c);
        if (analytic_arity(n) == Arity::kNone || !fusion::is_float32(g, n.outputs[0])) continue;
        if (!std::all_of(n.inputs.begin(), n.inputs.end(), operand_ok)) continue;
        nodes.push_back(c);
        values.insert(n.outputs[0]);
        frontier.push_back(n.outputs[0]);
        grew = true;
      }
    }
  }
  return nodes;
}

// The part of `region` that `sink` depends on, in region order; empty when a value inside it
// (other than the sink's) is read outside it, is a graph output or is read by a subgraph.
std::vector<ir::NodeId> sink_region(const ir::Graph& g, const std::vector<ir::NodeId>& region, size_t sink) {
  std::vector<bool> needed(region.size(), false);
  needed[sink] = true;
  for (size_t i = sink + 1; i-- > 0;) {
    if (!needed[i]) continue;
    for (ir::ValueId in : g.node(region[i]).inputs)
      for (size_t j = 0; j < i; ++j)
        if (g.node(region[j]).outputs[0] == in) needed[j] = true;
  }
  std::vector<ir::NodeId> sub;
  for (size_t i = 0; i <= sink; ++i)
    if (needed[i]) sub.push_back(region[i]);
  for (size_t i = 0; i + 1 < sub.size(); ++i) {
    const ir::ValueInfo& v = g.value(g.node(sub[i]).outputs[0]);
    if (v.is_graph_output) return {};
    for (ir::NodeId c : v.consumers)
      if (std::find(sub.begin(), sub.end(), c) == sub.end()) return {};
  }
  return sub;
}

// The sub-region's last value at the probes, with x at the probes.
std::vector<double> evaluate(const ir::Graph& g, ir::ValueId x, const std::vector<ir::NodeId>& sub) {
  std::unordered_map<ir::ValueId, std::vector<double>> at;
  at[x] = std::vector<double>(kProbes.begin(), kProbes.end());
  auto operand = [&](ir::ValueId v, size_t p) {
    auto it = at.find(v);
    return it != at.end() ? it->second[p] : static_cast<double>(*fusion::scalar_constant(g, v));
  };
  for (ir::NodeId id : sub) {
    const ir::Node& n = g.node(id);
    std::vector<double> out(kProbes.size());
    for (size_t p = 0; p < kProbes.size(); ++p)
      out[p] = apply(n.op_type, operand(n.inputs[0], p), n.inputs.size() > 1 ? operand(n.inputs[1], p) : 0.0);
    at[n.outputs[0]] = std::move(out);
  }
  return at[g.node(sub.back()).outputs[0]];
}

template <typename F>
bool agrees(const std::vector<double>& f, F want) {
  for (size_t p = 0; p < kProbes.size(); ++p) {
    const double w = want(kProbes[p]);
    if (!std::isfinite(f[p]) || std::fabs(f[p] - w) > 1e-6 * (1.0 + std::fabs(w))) return false;
  }
  return true;
}

// The activation that f (values at the probes) is, if any.
std::optional<ir::FusedActivation> identify(const std::vector<double>& f) {
  constexpr double kPi = 3.14159265358979323846;
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  ir::FusedActivation a;
  if (agrees(f, sigmoid)) a.kind = ir::FusedAct::kSigmoid;
  else if (agrees(f, [](double v) { return std::tanh(v); })) a.kind = ir::FusedAct::kTanh;
  else if (agrees(f, [](double v) { return 0.5 * v * std::erfc(-v / std::sqrt(2.0)); })) a.kind = ir::FusedAct::kGelu;
  else if (agrees(f, [&](double v) { return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (v + 0.044715 * v * v * v))); }))
    a.kind = ir::FusedAct::kGeluTanh;
  else if (agrees(f, [](double v) { return v * std::tanh(std::log1p(std::exp(v))); })) a.kind = ir::FusedAct::kMish;
  if (a.kind != ir::FusedAct::kNone) return a;
  // Swish: f(1) = sigmoid(alpha).
  const double f1 = f[static_cast<size_t>(std::find(kProbes.begin(), kProbes.end(), 1.0) - kProbes.begin())];
  if (!(f1 > 0.0 && f1 < 1.0)) return std::nullopt;
  const double alpha = std::log(f1 / (1.0 - f1));
  // At alpha 0, Swish is x / 2: a plain Mul is cheaper.
  if (std::fabs(alpha) < 1e-2) return std::nullopt;
  if (!agrees(f, [&](double v) { return v * sigmoid(alpha * v); })) return std::nullopt;
  a.kind = ir::FusedAct::kSwish;
  a.p0 = static_cast<float>(alpha);
  return a;
}

struct Collapse {
  std::vector<ir::NodeId> nodes;  // the region, its last value's producer at the back
  ir::FusedActivation act;
};

// The largest region on x (two nodes or more) that computes an activation.
std::optional<Collapse> match_region(const ir::Graph& g, ir::ValueId x) {
  const ir::ValueType& xt = g.value(x).type;
  if (!fusion::is_float32(g, x) || !xt.has_shape) return std::nullopt;
  const std::vector<ir::NodeId> region = grow_region(g, x);
  for (size_t sink = region.size(); sink-- > 1;) {
    std::vector<ir::NodeId> sub = sink_region(g, region, sink);
    if (sub.size() < 2) continue;
    if (auto act = identify(evaluate(g, x, sub))) return Collapse{std::move(sub), *act};
  }
  return std::nullopt;
}

// The one node computing `act` on x; Gelu, Swish and Mish in our domain, which models of any
// opset may use (ONNX has them from opsets 20, 24 and 18).
ir::Node activation_node(ir::Graph& g, const ir::FusedActivation& act, const std::string& name) {
  ir::Node n;
  n.name = name;
  switch (act.kind) {
    case ir::FusedAct::kSigmoid: n.op_type = "Sigmoid"; break;
    case ir::FusedAct::kTanh: n.op_type = "Tanh"; break;
    case ir::FusedAct::kMish: n.op_type = "Mish"; break;
    case ir::FusedAct::kSwish:
      n.op_type = "Swish";
      if (act.p0 != 1.f) n.attrs.set(ir::float_attribute("alpha", act.p0));
      break;
    default:
      n.op_type = "Gelu";
      n.attrs.set(ir::string_attribute("approximate", act.kind == ir::FusedAct::kGeluTanh ? "tanh" : "none"));
  }
  if (n.op_type == "Gelu" || n.op_type == "Swish" || n.op_type == "Mish") {
    n.domain = std::string(ir::kFusedDomain);
    n.opset = 1;
    fusion::add_fused_import(g);
  } else {
    n.opset = static_cast<int>(g.opset_version(""));
  }
  return n;
}

}  // namespace

Expected<bool> collapse_activations(ir::Graph& graph, const PassContext&) {
  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.topological_order());
  std::vector<ir::ValueId> roots = graph.inputs();
  for (ir::NodeId id : order)
    for (ir::ValueId v : graph.node(id).outputs)
      if (v != ir::kNoValue) roots.push_back(v);
  bool changed = false;
  for (ir::ValueId x : roots) {
    const std::optional<Collapse> m = match_region(graph, x);
    if (!m) continue;
    ir::Node node = activation_node(graph, m->act, graph.node(m->nodes.back()).name);
    const std::string in = graph.value(x).name;
    ONNXRT_RETURN_IF_ERROR(fusion::replace_chain(graph, std::move(node), {&in, 1}, m->nodes).status());
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
