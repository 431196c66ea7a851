// QuantizeLinear(x, s, z) -> DequantizeLinear(., s, z) on a float32 activation, per tensor, ->
// com.onnxrt QuantizeDequantize(x, s, z) (ir/infer_fused.h): the pair QDQ models put on every
// activation (onnxruntime's quantize_static, PyTorch's PT2E export). One pass over x instead of
// two with an 8-bit tensor between them, and an element-wise float op that fuse_activation can
// put into the producing Conv / MatMul and that block_channels keeps inside a channel-blocked
// chain; before, each pair split MobileNet's chains and the convs ran in NCHW.
//
// Taken only when the result is the same bits as the pair (base/quantize_dequantize.h): x float32
// and DequantizeLinear's output float32; both scales constant float32 single values with the same
// bits; both zero points constant single values equal to each other (an absent one is 0 of the
// quantized type), of int8, uint8, int16 or uint16; no block_size, no precision other than
// float32. The QuantizeLinear node stays while anything else reads its output.
// Extended levels only: the basic level keeps the model's nodes.
#include <cstring>

#include "base/quantize_dequantize.h"
#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

// The single-element constant at input `slot` of `n`, or null.
const Tensor* single_constant(const ir::Graph& g, const ir::Node& n, size_t slot) {
  if (slot >= n.inputs.size() || n.inputs[slot] == ir::kNoValue) return nullptr;
  const ir::ValueInfo& v = g.value(n.inputs[slot]);
  if (!v.constant || v.is_graph_input || v.constant->size() != 1 || v.constant->rank() > 1) return nullptr;
  return &*v.constant;
}

bool has_slot(const ir::Node& n, size_t slot) { return slot < n.inputs.size() && n.inputs[slot] != ir::kNoValue; }

bool per_tensor_attrs(const ir::Node& n) {
  ir::AttrReader a(n);
  const int64_t block = a.i("block_size", 0), precision = a.i("precision", 0);
  return a.status().is_ok() && block == 0 &&
         (precision == 0 || precision == static_cast<int64_t>(DType::kFloat32));
}

// Whether the zero point at `slot` of `n` (absent: 0) has value `want` in quantized type `t`.
bool zero_point_is(const ir::Graph& g, const ir::Node& n, size_t slot, DType t, const Tensor* want) {
  if (!has_slot(n, slot)) {
    if (!want) return true;
    std::vector<uint8_t> zero(want->nbytes(), 0);
    return std::memcmp(want->raw(), zero.data(), zero.size()) == 0;
  }
  const Tensor* z = single_constant(g, n, slot);
  if (!z || z->dtype() != t) return false;
  if (!want) {
    std::vector<uint8_t> zero(z->nbytes(), 0);
    return std::memcmp(z->raw(), zero.data(), zero.size()) == 0;
  }
  return std::memcmp(z->raw(), want->raw(), z->nbytes()) == 0;
}

// The QuantizeLinear node whose pair DequantizeLinear node `d` ends, or -1.
ir::NodeId pair_start(const ir::Graph& g, ir::NodeId d_id) {
  const ir::Node& d = g.node(d_id);
  if (!fusion::is_op(d, "DequantizeLinear") || d.outputs.size() != 1 || !has_slot(d, 0) || !has_slot(d, 1) ||
      !fusion::is_float32(g, d.outputs[0]) || !per_tensor_attrs(d))
    return -1;
  const ir::ValueId q = d.inputs[0];
  const ir::NodeId q_id = g.value(q).producer;
  if (q_id < 0 || g.is_removed(q_id)) return -1;
  const ir::Node& qn = g.node(q_id);
  if (!fusion::is_op(qn, "QuantizeLinear") || !has_slot(qn, 0) || !has_slot(qn, 1) ||
      !fusion::is_float32(g, qn.inputs[0]) || !per_tensor_attrs(qn))
    return -1;
  const ir::ValueType& qt = g.value(q).type;
  int32_t lo = 0, hi = 0;
  if (!qt.is_tensor() || !quantized_range(qt.dtype, &lo, &hi)) return -1;
  const Tensor* s = single_constant(g, qn, 1);
  const Tensor* s2 = single_constant(g, d, 1);
  if (!s || !s2 || s->dtype() != DType::kFloat32 || s2->dtype() != DType::kFloat32 ||
      std::memcmp(s->raw(), s2->raw(), sizeof(float)) != 0)
    return -1;
  const Tensor* z = has_slot(qn, 2) ? single_constant(g, qn, 2) : nullptr;
  if (has_slot(qn, 2) && (!z || z->dtype() != qt.dtype)) return -1;
  if (!zero_point_is(g, d, 2, qt.dtype, z)) return -1;
  return q_id;
}

}  // namespace

Expected<bool> fuse_quantize_dequantize(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto d_id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(d_id)) continue;
    const ir::NodeId q_id = pair_start(graph, d_id);
    if (q_id < 0) continue;
    const ir::ValueId x = graph.node(q_id).inputs[0];
    const DType qtype = graph.value(graph.node(d_id).inputs[0]).type.dtype;
    // DequantizeLinear's own scale and zero point are the pair's; a missing zero point becomes an
    // explicit 0 of the quantized type.
    ir::ValueId zero = fusion::fused_input(graph, d_id, 2);
    if (zero == ir::kNoValue) {
      Tensor t = Tensor::allocate(qtype, {});
      std::memset(t.raw(), 0, t.nbytes());
      ONNXRT_ASSIGN_OR_RETURN(zero, graph.add_initializer(
                                        fusion::fresh_name(graph, graph.node(d_id).name + "/zero_point"), std::move(t)));
    }
    fusion::replace_input(graph, d_id, 0, x);
    fusion::replace_input(graph, d_id, 2, zero);
    ir::Node& n = graph.node(d_id);
    n.op_type = "QuantizeDequantize";
    n.domain = std::string(ir::kFusedDomain);
    n.opset = 1;
    n.attrs = ir::Attributes{};
    fusion::add_fused_import(graph);
    ONNXRT_RETURN_IF_ERROR(graph.reinfer(d_id));
    // Removed now rather than by dead-code removal: the fusions that follow count x's readers.
    const ir::ValueInfo& q = graph.value(graph.node(q_id).outputs[0]);
    if (q.consumers.empty() && !q.is_graph_output) graph.remove_node(q_id);
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
