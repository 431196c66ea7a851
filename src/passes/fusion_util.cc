#include "passes/fusion_util.h"

#include <algorithm>
#include <vector>

#include "ir/attribute.h"

namespace onnxrt::passes::fusion {

ir::NodeId sole_consumer(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return -1;
  const ir::ValueInfo& info = g.value(v);
  if (info.is_graph_output || info.consumers.size() != 1) return -1;
  // A subgraph (If/Loop body) that reads the value by name is a reader too.
  if (g.is_read_implicitly(v)) return -1;
  const ir::NodeId c = info.consumers[0];
  if (g.is_removed(c)) return -1;
  const auto& ins = g.node(c).inputs;
  if (std::count(ins.begin(), ins.end(), v) != 1) return -1;
  return c;
}

bool is_op(const ir::Node& n, std::string_view op) { return n.domain.empty() && n.op_type == op; }

ir::ValueId other_input(const ir::Node& n, ir::ValueId v) {
  if (n.inputs.size() != 2) return ir::kNoValue;
  return n.inputs[0] == v ? n.inputs[1] : n.inputs[1] == v ? n.inputs[0] : ir::kNoValue;
}

const Tensor* fixed_constant(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return nullptr;
  const ir::ValueInfo& info = g.value(v);
  return info.constant && !info.is_graph_input ? &*info.constant : nullptr;
}

std::optional<float> scalar_constant(const ir::Graph& g, ir::ValueId v) {
  const Tensor* t = fixed_constant(g, v);
  if (!t || t->dtype() != DType::kFloat32 || t->size() != 1) return std::nullopt;
  return t->data<float>()[0];
}

std::optional<ir::NodeId> next_op(const ir::Graph& g, ir::NodeId id, std::string_view op) {
  if (g.node(id).outputs.empty()) return std::nullopt;
  const ir::NodeId c = sole_consumer(g, g.node(id).outputs[0]);
  if (c < 0 || !is_op(g.node(c), op)) return std::nullopt;
  return c;
}

bool reduces_last_axis(const ir::Graph& g, const ir::Node& n, size_t rank) {
  if (!is_op(n, "ReduceMean") || n.inputs.empty()) return false;
  ir::AttrReader a(n);
  if (a.i("keepdims", 1) != 1) return false;
  std::vector<int64_t> axes;
  if (n.opset >= 18) {
    if (n.inputs.size() < 2) return false;
    const Tensor* t = fixed_constant(g, n.inputs[1]);
    if (!t || t->dtype() != DType::kInt64 || t->size() != 1) return false;
    axes.push_back(t->data<int64_t>()[0]);
  } else {
    axes = a.ints("axes", {});
  }
  if (!a.status().is_ok() || axes.size() != 1) return false;
  return axes[0] == -1 || axes[0] == static_cast<int64_t>(rank) - 1;
}

bool is_row_constant(const ir::Graph& g, ir::ValueId v, int64_t c) {
  const Tensor* t = fixed_constant(g, v);
  return t && t->dtype() == DType::kFloat32 && t->rank() >= 1 && t->size() == c && t->dim(t->rank() - 1) == c;
}

bool is_float32(const ir::Graph& g, ir::ValueId v) {
  if (v == ir::kNoValue) return false;
  const ir::ValueType& t = g.value(v).type;
  return t.is_tensor() && t.dtype == DType::kFloat32;
}

bool same_static_shape(const ir::Graph& g, ir::ValueId a, ir::ValueId b) {
  const ir::ValueType& ta = g.value(a).type;
  const ir::ValueType& tb = g.value(b).type;
  return ta.is_static() && tb.is_static() && ta.shape == tb.shape;
}

bool same_shape(const ir::Graph& g, ir::ValueId a, ir::ValueId b) {
  const ir::ValueType& ta = g.value(a).type;
  const ir::ValueType& tb = g.value(b).type;
  return ta.is_tensor() && tb.is_tensor() && ta.has_shape && tb.has_shape && ta.shape == tb.shape;
}

void make_fused(ir::Graph& g, ir::NodeId id) {
  ir::Node& n = g.node(id);
  if (n.domain == ir::kFusedDomain) return;
  n.op_type = n.op_type == "Conv" ? "FusedConv" : "FusedMatMul";
  n.domain = std::string(ir::kFusedDomain);
  n.opset = 1;
  add_fused_import(g);
}

void add_fused_import(ir::Graph& g) {
  for (const ir::OpsetImport& o : g.opset_imports)
    if (o.domain == ir::kFusedDomain) return;
  g.opset_imports.push_back(ir::OpsetImport{std::string(ir::kFusedDomain), 1});
}

ir::ValueId fused_input(const ir::Graph& g, ir::NodeId id, size_t slot) {
  const auto& ins = g.node(id).inputs;
  return slot < ins.size() ? ins[slot] : ir::kNoValue;
}

std::string fresh_name(const ir::Graph& g, const std::string& base) {
  std::string name = base;
  for (int i = 1; g.find(name) != ir::kNoValue; ++i) name = base + "_" + std::to_string(i);
  return name;
}

void replace_input(ir::Graph& g, ir::NodeId id, size_t slot, ir::ValueId v) {
  auto& ins = g.node(id).inputs;
  if (ins.size() <= slot) ins.resize(slot + 1, ir::kNoValue);
  if (ins[slot] != ir::kNoValue) {
    auto& cons = g.value(ins[slot]).consumers;
    const auto it = std::find(cons.begin(), cons.end(), id);
    if (it != cons.end()) cons.erase(it);
  }
  ins[slot] = v;
  if (v != ir::kNoValue) g.value(v).consumers.push_back(id);
}

void set_fused_input(ir::Graph& g, ir::NodeId id, size_t slot, ir::ValueId v) {
  auto& ins = g.node(id).inputs;
  if (ins.size() <= slot) ins.resize(slot + 1, ir::kNoValue);
  ins[slot] = v;
  if (v != ir::kNoValue) g.value(v).consumers.push_back(id);
}

ir::FusedActivation fused_activation(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.node(id);
  if (n.domain != ir::kFusedDomain) return {};
  auto a = ir::read_fused_activation(n);
  return a ? *a : ir::FusedActivation{};
}

void set_fused_activation(ir::Graph& g, ir::NodeId id, const ir::FusedActivation& act) {
  ir::Node& n = g.node(id);
  ir::Attribute name;
  name.name = "activation";
  name.kind = ir::AttrKind::kString;
  name.s = std::string(ir::fused_activation_name(act.kind));
  n.attrs.set(name);
  ir::Attribute params;
  params.name = "activation_params";
  params.kind = ir::AttrKind::kFloats;
  const size_t np = ir::fused_activation_num_params(act.kind);
  if (np > 0) params.floats.push_back(act.p0);
  if (np > 1) params.floats.push_back(act.p1);
  if (np > 2) params.floats.push_back(act.p2);
  if (np > 3) params.floats.push_back(act.p3);
  n.attrs.set(params);
}

Status absorb(ir::Graph& g, ir::NodeId keep, ir::NodeId absorbed) {
  const ir::ValueId out = g.node(absorbed).outputs[0];
  const ir::ValueId old = g.node(keep).outputs[0];
  g.remove_node(absorbed);
  g.node(keep).outputs[0] = out;
  g.value(out).producer = keep;
  g.value(old).producer = -1;
  return g.reinfer(keep);
}

Expected<ir::ValueId> flattened_constant(ir::Graph& g, ir::ValueId v) {
  const Tensor& t = *g.value(v).constant;
  if (t.rank() == 1) return v;
  return g.add_initializer(fresh_name(g, g.value(v).name + "_1d"), t.reshaped(Shape{t.size()}));
}

Expected<ir::ValueId> scale_or_ones(ir::Graph& g, ir::ValueId scale, int64_t c, const std::string& base) {
  if (scale != ir::kNoValue) return flattened_constant(g, scale);
  Tensor ones = Tensor::allocate(DType::kFloat32, Shape{c});
  std::fill(ones.data<float>(), ones.data<float>() + c, 1.0f);
  return g.add_initializer(fresh_name(g, base), std::move(ones));
}

Expected<ir::NodeId> replace_chain(ir::Graph& g, ir::Node node, std::span<const std::string> inputs,
                                   std::span<const ir::NodeId> nodes) {
  const ir::NodeId last = nodes.back();
  const std::string out = fresh_name(g, g.value(g.node(last).outputs[0]).name + "_fused");
  ONNXRT_ASSIGN_OR_RETURN(ir::NodeId id, g.add_node(std::move(node), inputs, {&out, 1}));
  for (ir::NodeId n : nodes)
    if (n != last) g.remove_node(n);
  ONNXRT_RETURN_IF_ERROR(absorb(g, id, last));
  return id;
}

}  // namespace onnxrt::passes::fusion
