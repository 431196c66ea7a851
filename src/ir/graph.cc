#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "ir/infer.h"

namespace onnxrt::ir {

std::string Node::describe() const {
  std::string d = op_type;
  if (!domain.empty()) d = domain + "." + op_type;
  return d + " '" + name + "'";
}

Expected<ValueId> Graph::new_value(const std::string& name) {
  if (name.empty()) return invalid_model("a value name is empty");
  if (by_name_.count(name)) {
    return invalid_model("value '" + name + "' is defined more than once (ONNX graphs are SSA)");
  }
  const auto id = static_cast<ValueId>(values_.size());
  ValueInfo v;
  v.name = name;
  values_.push_back(std::move(v));
  by_name_.emplace(name, id);
  return id;
}

Expected<ValueId> Graph::add_input(const std::string& name, ValueType type) {
  ONNXRT_ASSIGN_OR_RETURN(ValueId id, new_value(name));
  value(id).type = std::move(type);
  value(id).is_graph_input = true;
  inputs_.push_back(id);
  return id;
}

Expected<ValueId> Graph::add_initializer(const std::string& name, Tensor t) {
  ONNXRT_ASSIGN_OR_RETURN(ValueId id, new_value(name));
  value(id).type = ValueType::tensor(t.dtype(), to_sym_shape(t.shape()));
  value(id).constant = std::move(t);
  return id;
}

Expected<ValueId> Graph::add_outer_scope_value(const std::string& name, ValueType type) {
  ONNXRT_ASSIGN_OR_RETURN(ValueId id, new_value(name));
  value(id).type = std::move(type);
  value(id).is_outer_scope = true;
  return id;
}

Status Graph::add_output(const std::string& name) {
  ValueId id = find(name);
  if (id == kNoValue) {
    return invalid_model("graph output '" + name + "' is not produced by any node, input or initializer");
  }
  value(id).is_graph_output = true;
  outputs_.push_back(id);
  output_names_.push_back(name);
  return Status::ok();
}

ValueId Graph::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? kNoValue : it->second;
}

int64_t Graph::opset_version(std::string_view domain) const {
  if (domain == "ai.onnx") domain = "";
  for (const Graph* g = this; g; g = g->parent_) {
    for (const OpsetImport& o : g->opset_imports)
      if (o.domain == domain) return o.version;
  }
  return 0;
}

namespace {

// Finds a value by name in an enclosing scope, for subgraph bodies that read outer values.
const ValueInfo* find_in_ancestors(const Graph* g, std::string_view name) {
  for (const Graph* p = g->parent(); p; p = p->parent()) {
    ValueId id = p->find(name);
    if (id != kNoValue) return &p->value(id);
  }
  return nullptr;
}

}  // namespace

Expected<NodeId> Graph::add_node(Node node, std::span<const std::string> inputs,
                                 std::span<const std::string> outputs) {
  const std::string where = node.describe() + ": ";
  InferFn infer = find_infer_fn(node.domain, node.op_type);
  if (infer == nullptr) {
    return not_implemented(where + "onnxrt does not implement op '" + node.op_type + "' of domain '" +
                           (node.domain.empty() ? std::string("ai.onnx") : node.domain) + "' (opset " +
                           std::to_string(node.opset) + ")");
  }
  // Every ONNX op has at least one output, and inference functions write output 0 unchecked.
  if (outputs.empty()) return invalid_model(where + "node has no outputs");
  node.inputs.clear();
  node.outputs.clear();
  for (const std::string& name : inputs) {
    if (name.empty()) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    ValueId id = find(name);
    if (id == kNoValue) {
      if (const ValueInfo* outer = find_in_ancestors(this, name)) {
        ONNXRT_ASSIGN_OR_RETURN(id, add_outer_scope_value(name, outer->type));
      } else {
        return invalid_model(where + "input '" + name +
                             "' is not a graph input, an initializer, or the output of an earlier node");
      }
    }
    node.inputs.push_back(id);
  }
  for (const std::string& name : outputs) {
    if (name.empty()) {
      node.outputs.push_back(kNoValue);
      continue;
    }
    auto id = new_value(name);
    if (!id) return id.status().with_context(where);
    node.outputs.push_back(*id);
  }
  const auto node_id = static_cast<NodeId>(nodes_.size());
  for (ValueId v : node.outputs)
    if (v != kNoValue) value(v).producer = node_id;
  for (ValueId v : node.inputs)
    if (v != kNoValue) value(v).consumers.push_back(node_id);
  // Values that the node's subgraphs read by name count as consumed by the node, so that passes
  // neither delete nor rename them.
  for (ValueId v : implicit_inputs(node)) value(v).consumers.push_back(node_id);
  nodes_.push_back(std::make_unique<Node>(std::move(node)));
  Status st = reinfer(node_id);
  if (!st.is_ok()) {
    // Leave the graph as it was: the caller gets an error and the node never existed.
    remove_node(node_id);
    nodes_.pop_back();
    return st;
  }
  return node_id;
}

Status Graph::reinfer(NodeId id) {
  Node& n = node(id);
  InferFn infer = find_infer_fn(n.domain, n.op_type);
  if (infer == nullptr) return not_implemented(n.describe() + ": no inference function");
  std::vector<const ValueType*> types;
  std::vector<const Tensor*> consts;
  for (ValueId v : n.inputs) {
    if (v == kNoValue) {
      types.push_back(nullptr);
      consts.push_back(nullptr);
    } else {
      types.push_back(&value(v).type);
      consts.push_back(value(v).constant ? &*value(v).constant : nullptr);
    }
  }
  InferContext ctx(n, types, consts, symbols_.get());
  ONNXRT_RETURN_IF_ERROR(infer(ctx));
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (n.outputs[i] == kNoValue || i >= ctx.outputs.size()) continue;
    value(n.outputs[i]).type = std::move(ctx.outputs[i]);
  }
  return Status::ok();
}

void Graph::remove_node(NodeId id) {
  if (is_removed(id)) return;
  Node& n = node(id);
  for (ValueId v : n.outputs)
    if (v != kNoValue && value(v).producer == id) value(v).producer = -1;
  std::vector<ValueId> read = n.inputs;
  for (ValueId v : implicit_inputs(n)) read.push_back(v);
  for (ValueId v : read) {
    if (v == kNoValue) continue;
    auto& c = value(v).consumers;
    auto it = std::find(c.begin(), c.end(), id);
    if (it != c.end()) c.erase(it);
  }
  nodes_[static_cast<size_t>(id)].reset();
}

bool Graph::is_read_implicitly(ValueId v) const {
  for (NodeId c : value(v).consumers) {
    if (is_removed(c)) continue;
    const auto& ins = node(c).inputs;
    if (std::find(ins.begin(), ins.end(), v) == ins.end()) return true;
  }
  return false;
}

void Graph::replace_uses(ValueId from, ValueId to) {
  if (from == to) return;
  std::vector<NodeId> consumers = std::move(value(from).consumers);
  value(from).consumers.clear();
  for (NodeId c : consumers) {
    if (is_removed(c)) continue;
    bool explicit_use = false;
    for (ValueId& in : node(c).inputs) {
      if (in == from) {
        in = to;
        explicit_use = true;
      }
    }
    // Each entry in `consumers` is one use; an implicit (by-name) use stays on `from`.
    value(explicit_use ? to : from).consumers.push_back(c);
  }
  for (ValueId& out : outputs_) {
    if (out == from) {
      out = to;
      value(to).is_graph_output = true;
    }
  }
}

std::vector<ValueId> Graph::implicit_inputs(const Node& n) const {
  std::vector<ValueId> out;
  for (const Attribute& a : n.attrs.all()) {
    std::vector<const Graph*> subgraphs;
    if (a.g) subgraphs.push_back(a.g.get());
    for (const auto& g : a.graphs)
      if (g) subgraphs.push_back(g.get());
    while (!subgraphs.empty()) {
      const Graph* g = subgraphs.back();
      subgraphs.pop_back();
      for (size_t v = 0; v < g->num_values(); ++v) {
        const ValueInfo& info = g->value(static_cast<ValueId>(v));
        if (!info.is_outer_scope) continue;
        ValueId mine = find(info.name);
        if (mine != kNoValue && std::find(out.begin(), out.end(), mine) == out.end()) out.push_back(mine);
      }
      for (size_t k = 0; k < g->num_nodes(); ++k) {
        if (g->is_removed(static_cast<NodeId>(k))) continue;
        for (const Attribute& sa : g->node(static_cast<NodeId>(k)).attrs.all()) {
          if (sa.g) subgraphs.push_back(sa.g.get());
          for (const auto& sg : sa.graphs)
            if (sg) subgraphs.push_back(sg.get());
        }
      }
    }
  }
  return out;
}

Expected<std::vector<NodeId>> Graph::topological_order() const {
  const size_t n = nodes_.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<NodeId>> users(n);
  auto depend = [&](NodeId user, ValueId v) {
    if (v == kNoValue) return;
    NodeId p = value(v).producer;
    if (p < 0 || is_removed(p)) return;
    ++pending[static_cast<size_t>(user)];
    users[static_cast<size_t>(p)].push_back(user);
  };
  for (size_t i = 0; i < n; ++i) {
    if (!nodes_[i]) continue;
    const auto id = static_cast<NodeId>(i);
    for (ValueId v : nodes_[i]->inputs) depend(id, v);
    for (ValueId v : implicit_inputs(*nodes_[i])) depend(id, v);
  }
  // Kahn's algorithm with a min-queue so that the order is the file order whenever it is valid.
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i)
    if (nodes_[i] && pending[i] == 0) ready.push(static_cast<NodeId>(i));
  std::vector<NodeId> order;
  while (!ready.empty()) {
    NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (NodeId u : users[static_cast<size_t>(id)])
      if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
  }
  for (size_t i = 0; i < n; ++i) {
    if (nodes_[i] && pending[i] > 0) {
      return invalid_model(nodes_[i]->describe() + ": the graph has a cycle through this node");
    }
  }
  return order;
}

void Graph::compact() {
  std::vector<NodeId> node_map(nodes_.size(), -1);
  std::vector<std::unique_ptr<Node>> kept_nodes;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]) continue;
    node_map[i] = static_cast<NodeId>(kept_nodes.size());
    kept_nodes.push_back(std::move(nodes_[i]));
  }
  nodes_ = std::move(kept_nodes);

  std::vector<bool> used(values_.size(), false);
  for (ValueId v : inputs_) used[static_cast<size_t>(v)] = true;
  for (ValueId v : outputs_) used[static_cast<size_t>(v)] = true;
  for (const auto& node : nodes_) {
    for (ValueId v : implicit_inputs(*node)) used[static_cast<size_t>(v)] = true;
    for (ValueId v : node->inputs)
      if (v != kNoValue) used[static_cast<size_t>(v)] = true;
    for (ValueId v : node->outputs)
      if (v != kNoValue) used[static_cast<size_t>(v)] = true;
  }
  std::vector<ValueId> value_map(values_.size(), kNoValue);
  std::vector<ValueInfo> kept_values;
  by_name_.clear();
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!used[i]) continue;
    value_map[i] = static_cast<ValueId>(kept_values.size());
    by_name_.emplace(values_[i].name, value_map[i]);
    kept_values.push_back(std::move(values_[i]));
  }
  values_ = std::move(kept_values);
  auto remap_value = [&](ValueId& v) {
    if (v != kNoValue) v = value_map[static_cast<size_t>(v)];
  };
  for (ValueInfo& v : values_) {
    if (v.producer >= 0) v.producer = node_map[static_cast<size_t>(v.producer)];
    std::vector<NodeId> consumers;
    for (NodeId c : v.consumers)
      if (node_map[static_cast<size_t>(c)] >= 0) consumers.push_back(node_map[static_cast<size_t>(c)]);
    v.consumers = std::move(consumers);
  }
  for (auto& node : nodes_) {
    for (ValueId& v : node->inputs) remap_value(v);
    for (ValueId& v : node->outputs) remap_value(v);
  }
  for (ValueId& v : inputs_) remap_value(v);
  for (ValueId& v : outputs_) remap_value(v);
}

}  // namespace onnxrt::ir
