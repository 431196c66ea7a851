// Conv / FusedConv / FusedMatMul (or a MatMul with a constant 2-D B, or a Gemm that is one:
// gemm_as_matmul) followed by an activation -> the fused op with that activation, applied while
// each output tile is in cache. Activations: Relu, Clip (constant bounds), Sigmoid, Tanh,
// LeakyRelu, HardSigmoid, HardSwish, Gelu, Mish, com.onnxrt Gelu, Mish and Swish (collapse_activations
// makes them from the multi-node forms exporters write: GELU's erf and tanh forms, SiLU), com.onnxrt
// QuantizeDequantize (constant scale and zero point: a QDQ model's pair on an activation).
// A Reshape (or Flatten / Squeeze / Unsqueeze) between the producer and the activation is kept
// after the fused op: the activation is element-wise, so act(Reshape(y)) == Reshape(act(y)). This
// is how torch's dynamo exporter writes Linear layers on 3-D inputs (Gemm on [M, K], then a
// Reshape back to [B, S, N]), e.g. GPT-2's MLP.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::other_input;
using fusion::scalar_constant;
using fusion::sole_consumer;

// The activation that node `c` (reading the fused node's output) computes, if we can fuse it.
// com.onnxrt QuantizeDequantize (passes/fuse_quantize_dequantize.cc) with constant scale and
// zero point.
std::optional<ir::FusedActivation> match_quantize_dequantize(const ir::Graph& g, const ir::Node& c) {
  if (c.inputs.size() != 3 || c.outputs.size() != 1) return std::nullopt;
  const std::optional<float> scale = scalar_constant(g, c.inputs[1]);
  if (!scale || c.inputs[2] == ir::kNoValue) return std::nullopt;
  const ir::ValueInfo& z = g.value(c.inputs[2]);
  if (!z.constant || z.is_graph_input || z.constant->size() != 1) return std::nullopt;
  int32_t lo = 0, hi = 0;
  if (!quantized_range(z.constant->dtype(), &lo, &hi)) return std::nullopt;
  ir::FusedActivation a;
  a.kind = ir::FusedAct::kQuantizeDequantize;
  a.p0 = *scale;
  a.p1 = static_cast<float>(zero_point_at(z.constant->dtype(), z.constant->raw()));
  a.p2 = static_cast<float>(lo);
  a.p3 = static_cast<float>(hi);
  return a;
}

std::optional<ir::FusedActivation> match_activation(const ir::Graph& g, const ir::Node& c) {
  if (c.domain == ir::kFusedDomain && c.op_type == "QuantizeDequantize") return match_quantize_dequantize(g, c);
  if (c.domain == ir::kFusedDomain && c.op_type == "Swish" && c.inputs.size() == 1 && c.outputs.size() == 1) {
    ir::AttrReader r(c);  // passes/collapse_activations.cc: x * sigmoid(alpha x)
    ir::FusedActivation a;
    a.kind = ir::FusedAct::kSwish;
    a.p0 = r.f("alpha", 1.f);
    if (!r.status().is_ok()) return std::nullopt;
    return a;
  }
  // collapse_activations' com.onnxrt Gelu and Mish compute what ONNX's do.
  const bool ours = c.domain == ir::kFusedDomain && (c.op_type == "Gelu" || c.op_type == "Mish");
  if ((!c.domain.empty() && !ours) || c.outputs.size() != 1 || c.inputs.empty()) return std::nullopt;
  ir::FusedActivation a;
  ir::AttrReader r(c);
  if (c.op_type == "Relu") {
    a.kind = ir::FusedAct::kRelu;
  } else if (c.op_type == "Sigmoid") {
    a.kind = ir::FusedAct::kSigmoid;
  } else if (c.op_type == "Tanh") {
    a.kind = ir::FusedAct::kTanh;
  } else if (c.op_type == "Mish") {
    a.kind = ir::FusedAct::kMish;
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

// Any activation on x that the fused ops can apply: the activation and the nodes it replaces
// (the last one, whose output survives, at the back).
struct ActMatch {
  ir::FusedActivation act;
  std::vector<ir::NodeId> nodes;
};

std::optional<ActMatch> match_any_activation(const ir::Graph& g, ir::ValueId x) {
  const ir::NodeId c = sole_consumer(g, x);
  if (c >= 0 && g.node(c).inputs[0] == x)
    if (auto act = match_activation(g, g.node(c))) return ActMatch{*act, {c}};
  return std::nullopt;
}

// Ops that only relabel the shape of their input 0 (same elements, same order).
bool is_shape_only(const ir::Node& n) {
  return n.domain.empty() && n.outputs.size() == 1 && !n.inputs.empty() &&
         (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" ||
          n.op_type == "Unsqueeze");
}

bool is_constant_2d_float(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return false;
  const ir::ValueInfo& b = g.value(v);
  return b.constant && !b.is_graph_input && b.constant->dtype() == DType::kFloat32 && b.constant->rank() == 2;
}

// Gemm's C when it is a per-column bias of n elements ([n] or [1, n] constant); kNoValue
// otherwise (also when C is absent).
ir::ValueId gemm_column_bias(const ir::Graph& g, const ir::Node& n, int64_t cols) {
  const ir::ValueId c = n.inputs.size() > 2 ? n.inputs[2] : ir::kNoValue;
  if (c == ir::kNoValue) return ir::kNoValue;
  const ir::ValueInfo& ci = g.value(c);
  if (!ci.constant || ci.is_graph_input || ci.constant->dtype() != DType::kFloat32) return ir::kNoValue;
  const Tensor& t = *ci.constant;
  const bool col =
      (t.rank() == 1 && t.dim(0) == cols) || (t.rank() == 2 && t.dim(0) == 1 && t.dim(1) == cols);
  return col ? c : ir::kNoValue;
}

constexpr int64_t kMinFusedGemmCols = 32;

// A Gemm that computes exactly FusedMatMul(A, B, bias): alpha = beta = 1, no transA, float32 2-D
// A, constant float32 2-D B (transB becomes trans_b), C absent or a per-column bias. A C of shape
// [M, N], [M, 1] or a scalar would need a Z or a broadcast FusedMatMul does not have.
bool gemm_as_matmul(const ir::Graph& g, const ir::Node& n) {
  if (!is_op(n, "Gemm") || n.inputs.size() < 2 || n.inputs.size() > 3) return false;
  ir::AttrReader r(n);
  const float alpha = r.f("alpha", 1.f), beta = r.f("beta", 1.f);
  const int64_t trans_a = r.i("transA", 0), trans_b = r.i("transB", 0);
  if (!r.status().is_ok() || alpha != 1.f || beta != 1.f || trans_a != 0) return false;
  if (!fusion::is_float32(g, n.inputs[0]) || !is_constant_2d_float(g, n.inputs[1])) return false;
  const ir::ValueType& at = g.value(n.inputs[0]).type;
  if (!at.has_shape || at.rank() != 2) return false;
  const int64_t cols = g.value(n.inputs[1]).constant->dim(trans_b != 0 ? 0 : 1);
  // Narrow outputs stay on the Gemm kernel: FusedMatMul pads B to the microkernel's 32-column
  // panels, and the torch.onnx MLP's 8-, 4- and 2-wide layers took 0.013 ms per run that way
  // against 0.006 ms as Gemm + Sigmoid.
  if (cols < kMinFusedGemmCols) return false;
  if (n.inputs.size() < 3 || n.inputs[2] == ir::kNoValue) return true;
  return gemm_column_bias(g, n, cols) != ir::kNoValue;
}

// Rewrites a Gemm accepted by gemm_as_matmul into FusedMatMul(A, B, bias 1-D) in place.
Status gemm_to_fused_matmul(ir::Graph& g, ir::NodeId id) {
  const bool trans_b = ir::AttrReader(g.node(id)).i("transB", 0) != 0;
  const ir::ValueId c = fusion::fused_input(g, id, 2);
  if (c != ir::kNoValue && g.value(c).constant->rank() != 1) {
    // The kernels read the bias as 1-D; the [1, N] constant may have other readers, so copy.
    const Tensor& t = *g.value(c).constant;
    Tensor flat = t.reshaped(Shape{t.size()});
    std::string name = g.value(c).name + "_1d";
    while (g.find(name) != ir::kNoValue) name += "_";
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId bias, g.add_initializer(name, std::move(flat)));
    auto& readers = g.value(c).consumers;
    readers.erase(std::find(readers.begin(), readers.end(), id));
    g.node(id).inputs[2] = ir::kNoValue;
    fusion::set_fused_input(g, id, 2, bias);
  }
  ir::Node& n = g.node(id);
  for (const char* a : {"alpha", "beta", "transA", "transB"}) n.attrs.erase(a);
  if (trans_b) {
    ir::Attribute tb;
    tb.name = "trans_b";
    tb.kind = ir::AttrKind::kInt;
    tb.i = 1;
    n.attrs.set(tb);
  }
  fusion::make_fused(g, id);
  return Status::ok();
}

bool fusable_producer(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.node(id);
  if (n.outputs.size() != 1 || !fusion::is_float32(g, n.outputs[0])) return false;
  if (n.domain == ir::kFusedDomain)
    return (n.op_type == "FusedConv" || n.op_type == "FusedMatMul") &&
           fusion::fused_activation(g, id).kind == ir::FusedAct::kNone;
  if (is_op(n, "Conv")) return true;
  if (is_op(n, "MatMul") && n.inputs.size() == 2) return is_constant_2d_float(g, n.inputs[1]);
  return gemm_as_matmul(g, n);
}

}  // namespace

Expected<bool> fuse_activation(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id) || !fusable_producer(graph, id)) continue;
    const ir::ValueId out = graph.node(id).outputs[0];
    std::optional<ActMatch> m = match_any_activation(graph, out);
    // Producer -> Reshape -> activation: the Reshape must be the producer's only reader, and the
    // activation the Reshape's (the matchers check that the Reshape's output is no graph output).
    ir::NodeId reshape = -1;
    if (!m) {
      const ir::NodeId r = sole_consumer(graph, out);
      if (r < 0 || !is_shape_only(graph.node(r)) || graph.node(r).inputs[0] != out) continue;
      m = match_any_activation(graph, graph.node(r).outputs[0]);
      if (!m) continue;
      reshape = r;
    }
    if (is_op(graph.node(id), "Gemm")) ONNXRT_RETURN_IF_ERROR(gemm_to_fused_matmul(graph, id));
    fusion::make_fused(graph, id);
    fusion::set_fused_activation(graph, id, m->act);
    const ir::NodeId last = m->nodes.back();
    m->nodes.pop_back();
    for (ir::NodeId n : m->nodes) graph.remove_node(n);
    if (reshape < 0) {
      ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, last));
    } else {
      // The Reshape now produces the pattern's last value (same name, readers and graph-output
      // role); the fused node keeps its own output, of unchanged type.
      ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, reshape, last));
      ONNXRT_RETURN_IF_ERROR(graph.reinfer(id));
    }
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
