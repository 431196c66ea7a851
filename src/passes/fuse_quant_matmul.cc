// MatMulInteger -> Cast(to float) -> Mul(by a scale) [-> Add(a constant bias)] becomes
// com.onnxrt MatMulIntegerToFloat: how onnxruntime's quantize_dynamic writes every quantized
// MatMul (the scale is the product of DynamicQuantizeLinear's scale and the weight's). The int32
// products are converted, scaled and biased per row while they are in cache, instead of three
// passes over [M, N] and an int32 temporary. The kernel converts with the same rounding as Cast
// and multiplies, then adds, in float32 in the same order, so the results are the same bits.
//
// The scale must have one element (any rank up to the product's) or be 1-D with the product's
// last dim, and the bias 1-D with the last dim, so that neither broadcast widens the output;
// every intermediate must feed only the pattern.
#include <optional>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;
using fusion::other_input;
using fusion::sole_consumer;

// Elements of a float32 value whose shape is fully known (-1 otherwise); `rank` gets its rank.
int64_t static_size(const ir::Graph& g, ir::ValueId v, size_t* rank) {
  const ir::ValueType& t = g.value(v).type;
  if (!t.is_tensor() || t.dtype != DType::kFloat32 || !t.has_shape) return -1;
  int64_t n = 1;
  for (const auto& d : t.shape) {
    if (!d.is_known()) return -1;
    n *= d.value();
  }
  *rank = t.rank();
  return n;
}

struct QuantMatMulMatch {
  ir::NodeId cast = -1, mul = -1, add = -1;
  ir::ValueId scale = ir::kNoValue, bias = ir::kNoValue;
};

std::optional<QuantMatMulMatch> match(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& mm = g.node(id);
  if (!is_op(mm, "MatMulInteger") || mm.outputs.size() != 1) return std::nullopt;
  const ir::ValueType& yt = g.value(mm.outputs[0]).type;
  if (!yt.has_shape || yt.shape.empty() || !yt.shape.back().is_known()) return std::nullopt;
  const int64_t n = yt.shape.back().value();
  QuantMatMulMatch m;
  m.cast = sole_consumer(g, mm.outputs[0]);
  if (m.cast < 0 || !is_op(g.node(m.cast), "Cast")) return std::nullopt;
  ir::AttrReader cast_attrs(g.node(m.cast));
  if (cast_attrs.i("to", 0) != static_cast<int64_t>(DType::kFloat32) || !cast_attrs.status().is_ok())
    return std::nullopt;
  const ir::ValueId converted = g.node(m.cast).outputs[0];
  m.mul = sole_consumer(g, converted);
  if (m.mul < 0 || !is_op(g.node(m.mul), "Mul")) return std::nullopt;
  m.scale = other_input(g.node(m.mul), converted);
  size_t rank = 0;
  const int64_t scale_size = m.scale == ir::kNoValue ? -1 : static_size(g, m.scale, &rank);
  if (!((scale_size == 1 && static_cast<int64_t>(rank) <= yt.rank()) || (rank == 1 && scale_size == n))) return std::nullopt;
  const ir::ValueId scaled = g.node(m.mul).outputs[0];
  const ir::NodeId add = sole_consumer(g, scaled);
  if (add >= 0 && is_op(g.node(add), "Add")) {
    const ir::ValueId bias = other_input(g.node(add), scaled);
    size_t bias_rank = 0;
    if (bias != ir::kNoValue && g.value(bias).constant && static_size(g, bias, &bias_rank) == n && bias_rank == 1) {
      m.add = add;
      m.bias = bias;
    }
  }
  return m;
}

}  // namespace

Expected<bool> fuse_quant_matmul(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const std::optional<QuantMatMulMatch> m = match(graph, id);
    if (!m) continue;
    ir::Node& node = graph.node(id);
    node.op_type = "MatMulIntegerToFloat";
    node.domain = std::string(ir::kFusedDomain);
    fusion::add_fused_import(graph);
    fusion::set_fused_input(graph, id, 4, m->scale);
    if (m->bias != ir::kNoValue) fusion::set_fused_input(graph, id, 5, m->bias);
    ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, m->cast));
    ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, m->mul));
    if (m->add >= 0) ONNXRT_RETURN_IF_ERROR(fusion::absorb(graph, id, m->add));
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
