// Gradient (ai.onnx.preview.training) by symbolic reverse-mode differentiation at load time: the
// Gradient node is replaced by ordinary ops that compute dY/dX for each X in `xs` from the values
// the forward graph already computes, so the executor never sees Gradient. Y's gradient is seeded
// with ones (for a non-scalar Y that is the gradient of the sum of its elements, as in onnx's
// reference). Values in `zs` are inputs that are not differentiated: they get no gradient.
//
// Every op on a path from an X to Y needs a rule below; any other op is NotImplemented, naming it.
// Where a forward op broadcast an input, that input's gradient is the output gradient summed over
// the broadcast axes: com.onnxrt SumToShape(G, X) does that, and is left out when G and X have
// the same static shape. Ops are emitted at the model's default-domain opset using only forms
// that have not changed across opsets (Shape, Expand, Reshape, Cast, MatMul, Transpose, ...).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "passes/pass.h"

namespace onnxrt::passes {

namespace {

constexpr std::string_view kTraining = "ai.onnx.preview.training";

class Backward {
 public:
  Backward(ir::Graph& g, std::string label) : g_(g), label_(std::move(label)) {}

  Status lower(ir::NodeId grad_id);

 private:
  Status error(const std::string& m) const { return invalid_model(label_ + ": " + m); }
  Status unsupported(const std::string& m) const { return not_implemented(label_ + ": " + m); }

  std::string fresh(const std::string& hint) {
    std::string name;
    do name = label_prefix_ + hint + "_" + std::to_string(counter_++);
    while (g_.find(name) != ir::kNoValue);
    return name;
  }

  // Adds one node with one output; returns that output.
  Expected<ir::ValueId> op(const std::string& type, const std::vector<ir::ValueId>& ins, std::vector<ir::Attribute> attrs = {},
                           bool ours = false) {
    ir::Node n;
    n.op_type = type;
    n.name = fresh(type);
    if (ours) {
      n.domain = std::string(ir::kFusedDomain);
      n.opset = 1;
      bool imported = false;
      for (const ir::OpsetImport& o : g_.opset_imports) imported = imported || o.domain == ir::kFusedDomain;
      if (!imported) g_.opset_imports.push_back(ir::OpsetImport{std::string(ir::kFusedDomain), 1});
    } else {
      n.opset = opset_;
    }
    for (ir::Attribute& a : attrs) n.attrs.set(std::move(a));
    std::vector<std::string> in_names;
    for (ir::ValueId v : ins) in_names.push_back(g_.value(v).name);
    const std::string out = fresh(type + "_out");
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId id, g_.add_node(std::move(n), in_names, std::vector<std::string>{out}));
    return g_.node(id).outputs[0];
  }

  Expected<ir::ValueId> scalar(double v, DType dtype) {
    Tensor t = Tensor::allocate(dtype, Shape{});
    if (dtype == DType::kFloat64) t.data<double>()[0] = v;
    else t.data<float>()[0] = static_cast<float>(v);
    return g_.add_initializer(fresh("const"), std::move(t));
  }

  // A tensor of `v` with the shape of `like`.
  Expected<ir::ValueId> filled_like(double v, ir::ValueId like, DType dtype) {
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, scalar(v, dtype));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId shape, op("Shape", {like}));
    return op("Expand", {s, shape});
  }

  // G summed down to the shape of `x` (a no-op when the shapes are the same and static).
  Expected<ir::ValueId> sum_to(ir::ValueId grad, ir::ValueId x) {
    const ir::ValueType& gt = g_.value(grad).type;
    const ir::ValueType& xt = g_.value(x).type;
    if (gt.is_static() && xt.is_static() && gt.shape == xt.shape) return grad;
    return op("SumToShape", {grad, x}, {}, true);
  }

  Expected<ir::ValueId> transpose_last2(ir::ValueId v, const std::string& who) {
    const ir::ValueType& t = g_.value(v).type;
    if (!t.has_shape || t.rank() < 2)
      return unsupported("MatMul " + who + ": inputs of rank below 2 or unknown rank are not differentiated");
    std::vector<int64_t> perm(static_cast<size_t>(t.rank()));
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    ir::Attribute a;
    a.name = "perm";
    a.kind = ir::AttrKind::kInts;
    a.ints = perm;
    return op("Transpose", {v}, {a});
  }

  Status add_grad(ir::ValueId v, ir::ValueId grad) {
    auto it = grads_.find(v);
    if (it == grads_.end()) {
      grads_[v] = grad;
      return Status::ok();
    }
    ONNXRT_ASSIGN_OR_RETURN(it->second, op("Add", {it->second, grad}));
    return Status::ok();
  }

  // Adds the gradients of node `id`'s inputs that depend on an X, given its output's gradient dz.
  Status backprop(ir::NodeId id, ir::ValueId dz);

  ir::Graph& g_;
  std::string label_;
  std::string label_prefix_;
  int64_t counter_ = 0;
  int opset_ = 0;
  std::set<ir::ValueId> depends_;          // values computed from some X
  std::map<ir::ValueId, ir::ValueId> grads_;  // value -> its accumulated gradient
};

Status Backward::backprop(ir::NodeId id, ir::ValueId dz) {
  const ir::Node n = g_.node(id);  // a copy: adding nodes may move the node list
  const std::string who = n.describe();
  const auto& in = n.inputs;
  const ir::ValueId z = n.outputs[0];
  auto wants = [&](size_t i) { return i < in.size() && in[i] != ir::kNoValue && depends_.count(in[i]) > 0; };
  const std::string& t = n.op_type;
  if (!n.domain.empty()) return unsupported("no derivative for op '" + n.domain + "." + t + "' (" + who + ") on the path to y");
  const DType dt = g_.value(z).type.dtype;

  if (t == "Add" || t == "Sub") {
    if (wants(0)) {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(dz, in[0]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[0], s));
    }
    if (wants(1)) {
      ir::ValueId d = dz;
      if (t == "Sub") {
        ONNXRT_ASSIGN_OR_RETURN(d, op("Neg", {dz}));
      }
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(d, in[1]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[1], s));
    }
    return Status::ok();
  }
  if (t == "Mul") {
    for (size_t i = 0; i < 2; ++i) {
      if (!wants(i)) continue;
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId p, op("Mul", {dz, in[1 - i]}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(p, in[i]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[i], s));
    }
    return Status::ok();
  }
  if (t == "Div") {
    if (wants(0)) {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId q, op("Div", {dz, in[1]}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(q, in[0]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[0], s));
    }
    if (wants(1)) {
      // d(a/b)/db = -(a/b)/b = -z/b
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId p, op("Mul", {dz, z}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId q, op("Div", {p, in[1]}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId neg, op("Neg", {q}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(neg, in[1]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[1], s));
    }
    return Status::ok();
  }
  if (t == "MatMul") {
    // Z = A @ B over the last two axes (leading axes broadcast): dA = dZ @ B^T, dB = A^T @ dZ.
    if (wants(0)) {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId bt, transpose_last2(in[1], who));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId p, op("MatMul", {dz, bt}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(p, in[0]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[0], s));
    }
    if (wants(1)) {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId at, transpose_last2(in[0], who));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId p, op("MatMul", {at, dz}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId s, sum_to(p, in[1]));
      ONNXRT_RETURN_IF_ERROR(add_grad(in[1], s));
    }
    return Status::ok();
  }
  if (!wants(0)) return Status::ok();
  if (t == "Identity") return add_grad(in[0], dz);
  if (t == "Neg") {
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId d, op("Neg", {dz}));
    return add_grad(in[0], d);
  }
  if (t == "Relu") {
    // Relu' is 1 where the output is positive, else 0: Sign of the output.
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId sign, op("Sign", {z}));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId d, op("Mul", {dz, sign}));
    return add_grad(in[0], d);
  }
  if (t == "Sigmoid" || t == "Tanh") {
    // sigmoid' = z (1 - z); tanh' = 1 - z^2
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId one, scalar(1.0, dt));
    ir::ValueId d;
    if (t == "Sigmoid") {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId omz, op("Sub", {one, z}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId zz, op("Mul", {z, omz}));
      ONNXRT_ASSIGN_OR_RETURN(d, op("Mul", {dz, zz}));
    } else {
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId z2, op("Mul", {z, z}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId omz2, op("Sub", {one, z2}));
      ONNXRT_ASSIGN_OR_RETURN(d, op("Mul", {dz, omz2}));
    }
    return add_grad(in[0], d);
  }
  if (t == "ReduceSum" || t == "ReduceMean") {
    if (in.size() > 1 && wants(1)) return unsupported(who + ": the axes input depends on a differentiated value");
    // The forward reduction again with keepdims=1 gives the shape dZ had before the reduced axes
    // were dropped; dZ reshaped to it broadcasts back to X's shape.
    ir::Node k = n;
    k.name = fresh(t + "_keepdims");
    ir::Attribute keep;
    keep.name = "keepdims";
    keep.kind = ir::AttrKind::kInt;
    keep.i = 1;
    k.attrs.set(keep);
    std::vector<std::string> k_in;
    for (ir::ValueId v : in) k_in.push_back(v == ir::kNoValue ? std::string() : g_.value(v).name);
    const std::string k_out = fresh(t + "_keepdims_out");
    ONNXRT_ASSIGN_OR_RETURN(ir::NodeId kid, g_.add_node(std::move(k), k_in, std::vector<std::string>{k_out}));
    const ir::ValueId kept = g_.node(kid).outputs[0];
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId kshape, op("Shape", {kept}));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId r, op("Reshape", {dz, kshape}));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId xshape, op("Shape", {in[0]}));
    ONNXRT_ASSIGN_OR_RETURN(ir::ValueId d, op("Expand", {r, xshape}));
    if (t == "ReduceMean") {
      // Each X element contributes 1/count to its mean: count = size(X) / size(Z).
      ir::Attribute to;
      to.name = "to";
      to.kind = ir::AttrKind::kInt;
      to.i = static_cast<int64_t>(dt);
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId nk, op("Size", {kept}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId nx, op("Size", {in[0]}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId fk, op("Cast", {nk}, {to}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId fx, op("Cast", {nx}, {to}));
      ONNXRT_ASSIGN_OR_RETURN(ir::ValueId ratio, op("Div", {fk, fx}));
      ONNXRT_ASSIGN_OR_RETURN(d, op("Mul", {d, ratio}));
    }
    return add_grad(in[0], d);
  }
  return unsupported("no derivative for op '" + t + "' (" + who +
                     ") on the path to y; Gradient supports Add, Sub, Mul, Div, MatMul, Neg, Identity, Relu, Sigmoid, "
                     "Tanh, ReduceSum and ReduceMean");
}

Status Backward::lower(ir::NodeId grad_id) {
  const ir::Node gn = g_.node(grad_id);
  label_prefix_ = (gn.name.empty() ? std::string("Gradient") : gn.name) + "/";
  ir::AttrReader a(gn);
  const std::vector<std::string> xs = a.strings("xs");
  const std::string y_name = a.s("y", "");
  ONNXRT_RETURN_IF_ERROR(a.status());
  opset_ = static_cast<int>(g_.opset_version(""));
  if (opset_ < 9) return unsupported("needs the model to import opset 9 or later of the default domain (for Expand and Sign)");
  const ir::ValueId y = g_.find(y_name);
  if (y == ir::kNoValue) return error("y '" + y_name + "' names no value of the graph");
  if (g_.value(y).producer == grad_id) return error("y '" + y_name + "' is an output of the Gradient itself");
  const DType dt = g_.value(y).type.dtype;
  if (dt != DType::kFloat32 && dt != DType::kFloat64)
    return unsupported("y '" + y_name + "' is " + ir::type_string(g_.value(y).type) + "; only float and double are differentiated");

  std::vector<ir::ValueId> xv;
  for (const std::string& x : xs) {
    const ir::ValueId v = g_.find(x);
    if (v == ir::kNoValue) return error("x '" + x + "' names no value of the graph");
    if (g_.value(v).type.dtype != dt)
      return unsupported("x '" + x + "' is " + ir::type_string(g_.value(v).type) + ", y is " + ir::type_string(g_.value(y).type));
    xv.push_back(v);
  }
  ONNXRT_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, g_.topological_order());
  // Values that depend on an X, in execution order; then, backwards, nodes that lead to y.
  depends_.insert(xv.begin(), xv.end());
  for (ir::NodeId id : order) {
    if (id == grad_id) continue;
    const ir::Node& n = g_.node(id);
    bool dep = false;
    for (ir::ValueId v : n.inputs) dep = dep || (v != ir::kNoValue && depends_.count(v));
    for (ir::ValueId v : g_.implicit_inputs(n)) dep = dep || depends_.count(v);
    if (!dep) continue;
    if (n.domain == kTraining && n.op_type == "Gradient") continue;  // another Gradient's outputs are not differentiable
    for (ir::ValueId v : n.outputs)
      if (v != ir::kNoValue) depends_.insert(v);
  }
  std::set<ir::ValueId> needed{y};
  std::vector<ir::NodeId> path;  // reverse execution order
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node& n = g_.node(*it);
    if (*it == grad_id) continue;
    bool leads = false;
    for (ir::ValueId v : n.outputs) leads = leads || (v != ir::kNoValue && needed.count(v));
    if (!leads) continue;
    bool dep = false;
    for (ir::ValueId v : n.inputs) dep = dep || (v != ir::kNoValue && depends_.count(v));
    if (!dep) continue;  // constant with respect to every X
    if (n.domain == kTraining && n.op_type == "Gradient")
      return unsupported("y depends on the output of another Gradient (" + n.describe() + "); higher derivatives are not supported");
    path.push_back(*it);
    for (ir::ValueId v : n.inputs)
      if (v != ir::kNoValue) needed.insert(v);
  }

  ONNXRT_ASSIGN_OR_RETURN(ir::ValueId seed, filled_like(1.0, y, dt));
  grads_[y] = seed;
  for (ir::NodeId id : path) {
    const ir::Node& n = g_.node(id);
    ir::ValueId out = ir::kNoValue;
    for (ir::ValueId v : n.outputs)
      if (v != ir::kNoValue && grads_.count(v)) {
        if (out != ir::kNoValue) return unsupported("no derivative for op '" + n.op_type + "' (" + n.describe() + ") with several outputs");
        out = v;
      }
    if (out == ir::kNoValue) continue;
    if (out != n.outputs[0]) return unsupported("no derivative for output " + g_.value(out).name + " of " + n.describe());
    ONNXRT_RETURN_IF_ERROR(backprop(id, grads_[out]));
  }

  // Each Gradient output becomes the gradient of its X (zeros when y does not depend on it).
  const std::vector<ir::ValueId> outs = gn.outputs;
  for (size_t i = 0; i < outs.size() && i < xv.size(); ++i) {
    if (outs[i] == ir::kNoValue) continue;
    ir::ValueId gv;
    if (auto it = grads_.find(xv[i]); it != grads_.end()) {
      gv = it->second;
    } else {
      ONNXRT_ASSIGN_OR_RETURN(gv, filled_like(0.0, xv[i], dt));
    }
    if (g_.value(gv).is_graph_input || g_.value(gv).constant) {
      ONNXRT_ASSIGN_OR_RETURN(gv, op("Identity", {gv}));
    }
    if (g_.is_read_implicitly(outs[i]))
      return unsupported("output '" + g_.value(outs[i]).name + "' is read by name inside a subgraph");
    g_.replace_uses(outs[i], gv);
  }
  g_.remove_node(grad_id);
  return Status::ok();
}

}  // namespace

Expected<bool> lower_gradient(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (size_t i = 0; i < graph.num_nodes(); ++i) {
    const auto id = static_cast<ir::NodeId>(i);
    if (graph.is_removed(id)) continue;
    const ir::Node& n = graph.node(id);
    if (n.domain != kTraining || n.op_type != "Gradient") continue;
    Backward b(graph, n.describe());
    ONNXRT_RETURN_IF_ERROR(b.lower(id));
    changed = true;
  }
  if (changed) graph.compact();
  return changed;
}

}  // namespace onnxrt::passes
