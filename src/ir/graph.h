// The IR: a graph of nodes connected by named values. Every value carries a ValueType; inference
// runs as each node is added (see ir/infer.h), so a Graph is always fully typed. Values and nodes
// are addressed by small integer ids that stay stable until compact() is called.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ir/attribute.h"
#include "ir/value_type.h"
#include "onnxrt/status.h"
#include "onnxrt/tensor.h"
#include "tensor/sym_shape.h"

namespace onnxrt::ir {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;  // an omitted optional input or output

class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;  // "" for ai.onnx; "ai.onnx.ml"; "com.onnxrt" for our fused ops
  int opset = 0;       // the opset version of `domain` that the model imports
  Attributes attrs;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::string doc_string;

  // "Softmax 'node_12'" for error messages.
  std::string describe() const;
};

struct ValueInfo {
  std::string name;
  ValueType type;
  NodeId producer = -1;           // -1: graph input, initializer, or outer-scope value
  std::vector<NodeId> consumers;  // maintained by the graph
  bool is_graph_input = false;
  bool is_graph_output = false;
  bool is_outer_scope = false;  // a subgraph's reference to a value of an enclosing graph
  std::optional<Tensor> constant;  // initializers and folded constants
};

struct OpsetImport {
  std::string domain;
  int64_t version = 0;
};

class Graph {
 public:
  Graph() : symbols_(std::make_shared<SymbolTable>()) {}
  // Subgraphs share their parent's symbol table so that dims keep their identity across scopes.
  explicit Graph(std::shared_ptr<SymbolTable> symbols, const Graph* parent = nullptr)
      : symbols_(std::move(symbols)), parent_(parent) {}

  std::string name;
  std::string doc_string;

  // --- values
  Expected<ValueId> add_input(const std::string& name, ValueType type);
  Expected<ValueId> add_initializer(const std::string& name, Tensor value);
  // Declares a graph output; the value must exist (or be created later by add_node).
  Status add_output(const std::string& name);
  Expected<ValueId> add_outer_scope_value(const std::string& name, ValueType type);
  // A value id by name; kNoValue when absent.
  ValueId find(std::string_view name) const;
  const ValueInfo& value(ValueId id) const { return values_[static_cast<size_t>(id)]; }
  ValueInfo& value(ValueId id) { return values_[static_cast<size_t>(id)]; }
  size_t num_values() const { return values_.size(); }
  // Sets a value's type from a model's value_info; inference refines it when a node produces it.
  void set_declared_type(ValueId id, ValueType t) { value(id).type = std::move(t); }

  // --- nodes
  // Adds a node whose inputs are names of existing values ("" for omitted ones) and whose outputs
  // are new value names. Runs type/shape inference; a failure names the node, op and value.
  Expected<NodeId> add_node(Node node, std::span<const std::string> inputs,
                            std::span<const std::string> outputs);
  const Node& node(NodeId id) const { return *nodes_[static_cast<size_t>(id)]; }
  Node& node(NodeId id) { return *nodes_[static_cast<size_t>(id)]; }
  size_t num_nodes() const { return nodes_.size(); }
  bool is_removed(NodeId id) const { return nodes_[static_cast<size_t>(id)] == nullptr; }
  // Marks a node removed; its output values lose their producer. Ids stay valid until compact().
  void remove_node(NodeId id);
  // True when a node's subgraph reads `v` by name (such uses cannot be redirected).
  bool is_read_implicitly(ValueId v) const;
  // Redirects every explicit use of `from` (node inputs and graph outputs) to `to`; uses inside
  // subgraphs are by name and stay (check is_read_implicitly first).
  void replace_uses(ValueId from, ValueId to);
  // Drops removed nodes and unreferenced values and renumbers; invalidates ids.
  void compact();
  // Nodes in a valid execution order; an error names a node of a cycle.
  Expected<std::vector<NodeId>> topological_order() const;

  const std::vector<ValueId>& inputs() const { return inputs_; }
  // Graph outputs as values; output_names() keeps the names the model declared, which stay the
  // names users ask for even when a pass makes an output an alias of another value.
  const std::vector<ValueId>& outputs() const { return outputs_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  // Values that subgraphs of this node read from this graph's scope (implicit inputs).
  std::vector<ValueId> implicit_inputs(const Node& node) const;

  // --- model-level facts (kept on the main graph)
  std::vector<OpsetImport> opset_imports;
  int64_t opset_version(std::string_view domain) const;  // 0 when not imported
  SymbolTable& symbols() { return *symbols_; }
  const SymbolTable& symbols() const { return *symbols_; }
  const std::shared_ptr<SymbolTable>& symbols_ptr() const { return symbols_; }
  const Graph* parent() const { return parent_; }

  // Re-runs inference for one node from its current input types (used by passes).
  Status reinfer(NodeId id);

 private:
  Expected<ValueId> new_value(const std::string& name);
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<ValueInfo> values_;
  std::unordered_map<std::string, ValueId> by_name_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  std::vector<std::string> output_names_;
  std::shared_ptr<SymbolTable> symbols_;
  const Graph* parent_ = nullptr;
};

}  // namespace onnxrt::ir
