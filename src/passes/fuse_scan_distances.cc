// The Scan that scikit-learn's converters (skl2onnx's onnx_cdist) write for pairwise squared
// Euclidean distances, -> com.onnxrt SquaredDistances (ir/infer_fused.h):
//
//   Scan(X, V), one state and one scan input, every axis 0 and direction forward; body:
//     state_out = Identity(state_in)
//     d = ReduceSumSquare(Sub(state_in, row), axes = [1] (or -1), keepdims = 0)
//
// Its scan output is [M, N] with [m, n] = sum_k (X[n, k] - V[m, k])^2, the transpose of
// SquaredDistances(X, V); the Transpose(perm = [1, 0]) that the converters put after it cancels
// that, else one is added. Nearest-neighbour models and Gaussian processes ran one body per
// training row: a 1-row query of a 2000-row KNeighborsClassifier took 6.8 ms (onnxruntime 3.5).
//
// Taken only for that exact body (Identity nodes between its steps are allowed; Sub either way
// round, as the square is the same) with X and V float32 2-D tensors whose column counts are
// known and equal, and the final state unused. Sums are taken in double: at least as accurate as
// the float Sub and sum of the graph. Extended levels only.
#include "ir/attribute.h"
#include "passes/fusion_util.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

// The value `v` of graph `g` before any Identity nodes that copy it.
ir::ValueId through_identities(const ir::Graph& g, ir::ValueId v) {
  for (int guard = 0; guard < 64 && v != ir::kNoValue; ++guard) {
    const ir::NodeId p = g.value(v).producer;
    if (p < 0 || g.is_removed(p) || !fusion::is_op(g.node(p), "Identity") || g.node(p).inputs.size() != 1) return v;
    v = g.node(p).inputs[0];
  }
  return v;
}

bool ints_attr_is(const ir::Node& n, const char* name, std::initializer_list<int64_t> allowed_single) {
  const ir::Attribute* a = n.attrs.find(name);
  if (!a) return true;  // absent: the default, axis 0 / forward
  if (a->kind != ir::AttrKind::kInts || a->ints.size() != 1) return false;
  for (int64_t v : allowed_single)
    if (a->ints[0] == v) return true;
  return false;
}

// The reduced axes of a ReduceSumSquare node are exactly {1} of a rank-2 input.
bool reduces_axis_1(const ir::Graph& body, const ir::Node& r) {
  ir::AttrReader a(r);
  if (a.i("keepdims", 1) != 0 || !a.status().is_ok()) return false;
  std::vector<int64_t> axes;
  if (r.opset < 18) {
    axes = a.ints("axes");
  } else {
    if (r.inputs.size() < 2 || r.inputs[1] == ir::kNoValue) return false;
    const ir::ValueInfo& av = body.value(r.inputs[1]);
    if (!av.constant || av.is_graph_input) return false;
    for (int64_t i = 0; i < av.constant->size(); ++i)
      axes.push_back(av.constant->dtype() == DType::kInt64 ? av.constant->data<int64_t>()[i]
                                                           : av.constant->data<int32_t>()[i]);
  }
  return a.status().is_ok() && axes.size() == 1 && (axes[0] == 1 || axes[0] == -1);
}

bool float_matrix_with_cols(const ir::ValueType& t, int64_t* cols) {
  if (!t.is_tensor() || t.dtype != DType::kFloat32 || !t.has_shape || t.rank() != 2 || !t.shape[1].is_known())
    return false;
  *cols = t.shape[1].value();
  return true;
}

// Whether Scan node `s` of `g` is the pairwise distance pattern (see the file comment).
bool is_distance_scan(const ir::Graph& g, const ir::Node& s) {
  if (!fusion::is_op(s, "Scan") || s.opset < 9 || s.inputs.size() != 2 || s.outputs.size() != 2) return false;
  ir::AttrReader a(s);
  if (a.i("num_scan_inputs", -1) != 1 || !a.status().is_ok()) return false;
  for (const char* name : {"scan_input_axes", "scan_output_axes"})
    if (!ints_attr_is(s, name, {0})) return false;
  for (const char* name : {"scan_input_directions", "scan_output_directions"})
    if (!ints_attr_is(s, name, {0})) return false;
  const ir::Attribute* ba = s.attrs.find("body");
  if (!ba || !ba->g) return false;
  const ir::Graph& body = *ba->g;
  if (body.inputs().size() != 2 || body.outputs().size() != 2) return false;
  const ir::ValueId state_in = body.inputs()[0], row = body.inputs()[1];
  if (through_identities(body, body.outputs()[0]) != state_in) return false;
  const ir::ValueId reduced = through_identities(body, body.outputs()[1]);
  const ir::NodeId r_id = body.value(reduced).producer;
  if (r_id < 0 || !fusion::is_op(body.node(r_id), "ReduceSumSquare") || !reduces_axis_1(body, body.node(r_id))) return false;
  const ir::ValueId diff = through_identities(body, body.node(r_id).inputs[0]);
  const ir::NodeId d_id = body.value(diff).producer;
  if (d_id < 0 || !fusion::is_op(body.node(d_id), "Sub") || body.node(d_id).inputs.size() != 2) return false;
  const ir::ValueId a0 = through_identities(body, body.node(d_id).inputs[0]);
  const ir::ValueId a1 = through_identities(body, body.node(d_id).inputs[1]);
  if (!((a0 == state_in && a1 == row) || (a0 == row && a1 == state_in))) return false;
  // Nothing else in the body: every node is one of those steps or an Identity.
  for (size_t i = 0; i < body.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (body.is_removed(id) || id == r_id || id == d_id) continue;
    if (!fusion::is_op(body.node(id), "Identity")) return false;
  }
  // X [N, K] and V [M, K] with the same known K; the final state unread.
  int64_t kx = 0, kv = 0;
  if (!float_matrix_with_cols(g.value(s.inputs[0]).type, &kx) || !float_matrix_with_cols(g.value(s.inputs[1]).type, &kv) ||
      kx != kv)
    return false;
  const ir::ValueInfo& final_state = g.value(s.outputs[0]);
  return final_state.consumers.empty() && !final_state.is_graph_output && !g.is_read_implicitly(s.outputs[0]) &&
         !g.is_read_implicitly(s.outputs[1]);
}

// The Transpose(perm = [1, 0]) that alone reads `v`, or -1.
ir::NodeId sole_transpose_2d(const ir::Graph& g, ir::ValueId v) {
  const ir::NodeId t = fusion::sole_consumer(g, v);
  if (t < 0 || !fusion::is_op(g.node(t), "Transpose")) return -1;
  const ir::Attribute* perm = g.node(t).attrs.find("perm");
  if (!perm || perm->kind != ir::AttrKind::kInts || perm->ints != std::vector<int64_t>{1, 0}) return -1;
  return g.is_read_implicitly(g.node(t).outputs[0]) ? -1 : t;
}

}  // namespace

Expected<bool> fuse_scan_distances(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  const size_t count = graph.num_nodes();
  for (size_t i = 0; i < count; ++i) {
    const auto s_id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(s_id) || !is_distance_scan(graph, graph.node(s_id))) continue;
    const ir::Node scan = graph.node(s_id);  // a copy: add_node may move the node storage
    const std::string base = scan.name.empty() ? std::string("scan") : scan.name;
    ir::Node d;
    d.name = base + "/squared_distances";
    d.op_type = "SquaredDistances";
    d.domain = std::string(ir::kFusedDomain);
    d.opset = 1;
    fusion::add_fused_import(graph);
    const std::string d_name = fusion::fresh_name(graph, base + "/squared_distances");
    ONNXRT_RETURN_IF_ERROR(graph
                               .add_node(std::move(d),
                                         std::vector<std::string>{graph.value(scan.inputs[0]).name,
                                                                  graph.value(scan.inputs[1]).name},
                                         std::vector<std::string>{d_name})
                               .status());
    const ir::ValueId dv = graph.find(d_name);
    const ir::ValueId stacked = scan.outputs[1];
    if (const ir::NodeId t = sole_transpose_2d(graph, stacked); t >= 0) {
      graph.replace_uses(graph.node(t).outputs[0], dv);  // [N, M] already
      graph.remove_node(t);
    } else {
      ir::Node tr;
      tr.name = base + "/transpose";
      tr.op_type = "Transpose";
      tr.opset = scan.opset;
      ir::Attribute perm;
      perm.name = "perm";
      perm.kind = ir::AttrKind::kInts;
      perm.ints = {1, 0};
      tr.attrs.set(std::move(perm));
      const std::string t_name = fusion::fresh_name(graph, base + "/transposed");
      ONNXRT_RETURN_IF_ERROR(
          graph.add_node(std::move(tr), std::vector<std::string>{d_name}, std::vector<std::string>{t_name}).status());
      graph.replace_uses(stacked, graph.find(t_name));
    }
    graph.remove_node(s_id);
    changed = true;
  }
  return changed;
}

}  // namespace onnxrt::passes
