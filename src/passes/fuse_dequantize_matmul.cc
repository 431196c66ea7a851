// MatMul(A, DequantizeLinear(W)) with a constant 2-D 8-bit W and a float32 A -> com.onnxrt
// MatMulInt8Weight(A, W, scale, zero_point): the weight stays int8 (a quarter of the float
// weight's bytes) and is dequantized inside the product. onnxruntime's quantize_dynamic writes
// this for a tied output projection (GPT-2's lm_head: Transpose(wte_quantized) -> DequantizeLinear
// -> MatMul, 38.6M weights); folded, it was 154 MB of float plus its packed copy, streamed
// whole by every decode step. Per-tensor scale and zero point, or one per column (axis 1 or -1);
// not blocked ones. Runs after fold_constants (which leaves such a DequantizeLinear for this
// pass; see keep_for_fusion in constant_folding.cc), so that a Transpose of the weight is folded.
#include <algorithm>

#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

using fusion::is_op;

bool is_8bit(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

constexpr int64_t kInt8WeightFewRows = 4;  // the kernel's few-row path (kFewRows)

}  // namespace

// The DequantizeLinear node `n` could become the weight of MatMulInt8Weight: W a constant 2-D
// 8-bit tensor, a constant float32 scale (and zero point of W's type) per tensor or per column,
// and every reader a MatMul that reads it as B. (Also used by constant folding to leave it.)
bool dequantized_matmul_weight(const ir::Graph& g, const ir::Node& n) {
  if (!is_op(n, "DequantizeLinear") || n.outputs.size() != 1 || n.inputs.size() < 2) return false;
  const ir::ValueInfo& w = g.value(n.inputs[0]);
  if (!w.constant || w.is_graph_input || !is_8bit(w.constant->dtype()) || w.constant->rank() != 2) return false;
  ir::AttrReader r(n);
  const int64_t axis = r.i("axis", 1), block = r.i("block_size", 0);
  if (!r.status().is_ok() || block != 0) return false;
  const int64_t cols = w.constant->dim(1);
  for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
    if (n.inputs[i] == ir::kNoValue) continue;
    const ir::ValueInfo& p = g.value(n.inputs[i]);
    if (!p.constant || p.is_graph_input) return false;
    if (i == 1 && p.constant->dtype() != DType::kFloat32) return false;
    if (i == 2 && p.constant->dtype() != w.constant->dtype()) return false;
    const int64_t size = p.constant->size();
    if (!(size == 1 && p.constant->rank() <= 1) && !(p.constant->rank() == 1 && size == cols && (axis == 1 || axis == -1)))
      return false;
  }
  const ir::ValueInfo& out = g.value(n.outputs[0]);
  if (out.is_graph_output || out.consumers.empty() || g.is_read_implicitly(n.outputs[0])) return false;
  for (ir::NodeId c : out.consumers) {
    const ir::Node& m = g.node(c);
    if (!is_op(m, "MatMul") || m.inputs.size() != 2 || m.inputs[1] != n.outputs[0] || m.inputs[0] == n.outputs[0])
      return false;
    const ir::ValueType& at = g.value(m.inputs[0]).type;
    if (!at.is_tensor() || at.dtype != DType::kFloat32) return false;
    // A known number of rows above the kernel's few-row path would dequantize W on every run:
    // folded to float and prepacked, it runs faster (GPT-2 prefill's lm_head, 128 rows: 293
    // against 326 ms). Unknown rows (a dynamic sequence) keep the int8 weight.
    if (at.has_shape) {
      int64_t rows = 1;
      bool known = true;
      for (size_t d = 0; d + 1 < at.shape.size(); ++d) {
        if (!at.shape[d].is_known()) known = false;
        else rows *= at.shape[d].value();
      }
      if (known && rows > kInt8WeightFewRows) return false;
    }
  }
  return true;
}

Expected<bool> fuse_dequantize_matmul(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id) || !dequantized_matmul_weight(graph, graph.node(id))) continue;
    const ir::Node dq = graph.node(id);  // a copy: the graph changes below
    const std::vector<ir::NodeId> readers = graph.value(dq.outputs[0]).consumers;
    for (ir::NodeId m : readers) {
      ir::Node& mm = graph.node(m);
      mm.op_type = "MatMulInt8Weight";
      mm.domain = std::string(ir::kFusedDomain);
      auto& old_readers = graph.value(dq.outputs[0]).consumers;
      old_readers.erase(std::remove(old_readers.begin(), old_readers.end(), m), old_readers.end());
      mm.inputs[1] = ir::kNoValue;
      fusion::set_fused_input(graph, m, 1, dq.inputs[0]);
      fusion::set_fused_input(graph, m, 2, dq.inputs[1]);
      if (dq.inputs.size() > 2 && dq.inputs[2] != ir::kNoValue) fusion::set_fused_input(graph, m, 3, dq.inputs[2]);
      ONNXRT_RETURN_IF_ERROR(graph.reinfer(m));
    }
    fusion::add_fused_import(graph);
    graph.remove_node(id);
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
