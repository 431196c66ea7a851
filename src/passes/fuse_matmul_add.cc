// MatMul + Add -> com.onnxrt.FusedMatMul, for Linear layers: MatMul(A, W) with a constant 2-D W
// (packed once by the kernel), then
//   Add(bias) with a constant of W's column count ([N] or [1, ..., 1, N])  -> bias input, and
//   Add(Z) with Z of the product's exact static shape (the residual)     -> Z input,
// in that order, each only when the product feeds nothing but that Add. The bias and residual are
// then added to each block of rows while it is in cache.
#include <algorithm>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

// A plain MatMul with a float32 constant 2-D B, or an unfinished FusedMatMul (no Z, no
// activation; its constant B may be a 16-bit weight kept 16-bit); `want_bias` also requires
// that no bias is set yet.
bool fusable_matmul(const ir::Graph& g, ir::NodeId p, bool want_bias) {
  using namespace fusion;
  const ir::Node& n = g.node(p);
  const bool plain = n.op_type == "MatMul" && n.domain.empty();
  const bool fused = n.op_type == "FusedMatMul" && n.domain == ir::kFusedDomain;
  if ((!plain && !fused) || n.inputs.size() < 2 || n.outputs.size() != 1) return false;
  const ir::ValueInfo& b = g.value(n.inputs[1]);
  if (n.inputs[1] == ir::kNoValue || !b.constant || b.is_graph_input ||
      b.constant->rank() != 2 ||
      !(b.constant->dtype() == DType::kFloat32 ||
        (fused && (b.constant->dtype() == DType::kFloat16 || b.constant->dtype() == DType::kBFloat16))))
    return false;
  if (!is_float32(g, n.inputs[0])) return false;
  if (fused_input(g, p, 3) != ir::kNoValue || fused_activation(g, p).kind != ir::FusedAct::kNone)
    return false;
  return !(want_bias && fused_input(g, p, 2) != ir::kNoValue);
}

// The Add operand as a 1-D bias of n elements, or kNoValue. A [1, ..., 1, n] constant becomes a
// new 1-D initializer, so the kernels see one layout.
Expected<ir::ValueId> as_bias(ir::Graph& g, ir::ValueId v, int64_t n, int64_t out_rank) {
  const ir::ValueInfo& info = g.value(v);
  if (!info.constant || info.is_graph_input || info.constant->dtype() != DType::kFloat32)
    return ir::kNoValue;
  const Tensor& t = *info.constant;
  if (t.rank() < 1 || t.rank() > out_rank || t.dim(t.rank() - 1) != n || t.size() != n)
    return ir::kNoValue;
  return fusion::flattened_constant(g, v);
}

}  // namespace

Expected<bool> fuse_matmul_add(ir::Graph& graph, const PassContext&) {
  using namespace fusion;
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& add = graph.node(id);
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1)
      continue;
    for (size_t side = 0; side < 2; ++side) {
      const ir::ValueId v = graph.node(id).inputs[side];
      const ir::ValueId other = graph.node(id).inputs[1 - side];
      if (v == ir::kNoValue || other == ir::kNoValue || v == other) continue;
      const ir::NodeId p = graph.value(v).producer;
      if (p < 0 || graph.is_removed(p) || sole_consumer(graph, v) != id) continue;
      if (!fusable_matmul(graph, p, false) || !is_float32(graph, other)) continue;
      const ir::ValueType& vt = graph.value(v).type;
      if (!vt.has_shape || vt.shape.empty()) continue;
      const ir::ValueId out = graph.node(id).outputs[0];
      const ir::ValueType& ot = graph.value(out).type;
      // The Add must not broadcast the product to a bigger shape.
      if (!ot.has_shape || ot.shape != vt.shape) continue;
      // N: B's columns, or its rows when the FusedMatMul reads B transposed.
      const bool trans_b = ir::AttrReader(graph.node(p)).i("trans_b", 0) != 0;
      const int64_t n = graph.value(graph.node(p).inputs[1]).constant->dim(trans_b ? 0 : 1);
      if (fusable_matmul(graph, p, true)) {
        ONNXRT_ASSIGN_OR_RETURN(ir::ValueId bias, as_bias(graph, other, n, vt.rank()));
        if (bias != ir::kNoValue) {
          make_fused(graph, p);
          set_fused_input(graph, p, 2, bias);
          ONNXRT_RETURN_IF_ERROR(absorb(graph, p, id));
          changed = true;
          break;
        }
      }
      if (same_static_shape(graph, v, other)) {
        make_fused(graph, p);
        set_fused_input(graph, p, 3, other);
        ONNXRT_RETURN_IF_ERROR(absorb(graph, p, id));
        changed = true;
        break;
      }
    }
  }
  return changed;
}

}  // namespace onnxrt::passes
