// MatMul(A, Transpose(W)) with a constant 2-D float32 W -> com.onnxrt.FusedMatMul(A, W) with
// trans_b = 1. Exporters write a tied output projection this way (GPT-2's lm_head multiplies by
// the token embedding [vocab, hidden] transposed). Folding the Transpose instead would make a
// transposed copy of the weight (154 MB for GPT-2) that the MatMul kernel then packs again; the
// FusedMatMul kernel packs B^T straight from W, and W stays one tensor, shared with its other
// readers (the embedding Gather). onnxruntime does the same (MatMulTransposeFusion into
// com.microsoft.FusedMatMul with transB). Runs before fold_constants, which would fold the
// Transpose first.
#include <algorithm>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

// The constant W when `t` is Transpose(W) of a constant 2-D float32 W swapping its two axes.
ir::ValueId transposed_weight(const ir::Graph& g, ir::ValueId t) {
  if (t == ir::kNoValue || g.value(t).is_graph_output) return ir::kNoValue;
  const ir::NodeId p = g.value(t).producer;
  if (p < 0 || g.is_removed(p)) return ir::kNoValue;
  const ir::Node& tr = g.node(p);
  if (tr.op_type != "Transpose" || !tr.domain.empty() || tr.inputs.size() != 1 || tr.outputs.size() != 1)
    return ir::kNoValue;
  const ir::ValueId w = tr.inputs[0];
  if (w == ir::kNoValue) return ir::kNoValue;
  const ir::ValueInfo& wi = g.value(w);
  if (!wi.constant || wi.is_graph_input || wi.constant->dtype() != DType::kFloat32 || wi.constant->rank() != 2)
    return ir::kNoValue;
  ir::AttrReader r(tr);
  const std::vector<int64_t> perm = r.ints("perm", {1, 0});  // no perm: reverse the axes
  if (!r.status().is_ok() || perm != std::vector<int64_t>{1, 0}) return ir::kNoValue;
  return w;
}

}  // namespace

Expected<bool> fuse_matmul_transpose(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& mm = graph.node(id);
    if (mm.op_type != "MatMul" || !mm.domain.empty() || mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
    const ir::ValueId t = mm.inputs[1];
    if (mm.inputs[0] == t || !fusion::is_float32(graph, mm.inputs[0])) continue;
    const ir::ValueId w = transposed_weight(graph, t);
    if (w == ir::kNoValue) continue;
    const ir::NodeId transpose = graph.value(t).producer;

    // Read W directly; the Transpose keeps its other readers, if any.
    graph.node(id).inputs[1] = w;
    auto& readers = graph.value(t).consumers;
    readers.erase(std::find(readers.begin(), readers.end(), id));
    graph.value(w).consumers.push_back(id);
    fusion::make_fused(graph, id);
    ir::Attribute trans_b;
    trans_b.name = "trans_b";
    trans_b.kind = ir::AttrKind::kInt;
    trans_b.i = 1;
    graph.node(id).attrs.set(trans_b);
    ONNXRT_RETURN_IF_ERROR(graph.reinfer(id));
    // A Transpose left without readers goes now, before folding would compute it.
    if (graph.value(t).consumers.empty()) graph.remove_node(transpose);
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
