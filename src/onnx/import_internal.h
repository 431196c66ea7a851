// Shared pieces of the model importer (import.cc, import_functions.cc, import_values.cc).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "onnx/proto.h"
#include "onnx/tensor_proto.h"

namespace onnxrt::onnx::detail {

// Opset imports in effect for a node: the model's, or a function's for nodes of its body.
using Opsets = std::vector<OperatorSetIdProto>;

inline std::string_view normalize_domain(std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; }

// A node after model-local functions were expanded: either one of the file's nodes (`proto`
// points into the parsed model) or a node of a function body with renamed values and resolved
// attributes (`owned`).
struct FlatNode {
  const NodeProto* proto = nullptr;
  std::shared_ptr<NodeProto> owned;
  const Opsets* opsets = nullptr;
  const NodeProto& node() const { return owned ? *owned : *proto; }
};

class Importer {
 public:
  Importer(const ModelProto& model, const ExternalDataContext& ext);

  // Imports `gp` into `g` (a fresh graph; for subgraphs, made with the parent pointer).
  Status import_graph(const GraphProto& gp, ir::Graph& g, const Opsets& opsets);

  // import_functions.cc: replaces calls of model-local functions by their bodies.
  Status expand(const std::vector<const NodeProto*>& nodes, const Opsets& opsets, std::vector<FlatNode>& out);

  // import_values.cc
  Expected<ir::ValueType> value_type(const TypeProto& tp, const std::string& who);
  Expected<ir::Attribute> attribute(const AttributeProto& a, ir::Graph& owner, const Opsets& opsets,
                                    const std::string& who);
  Expected<Tensor> sparse_to_dense(const SparseTensorProto& sp, const std::string& who);
  Expected<ir::SparseTensor> sparse_parts(const SparseTensorProto& sp, const std::string& who);

  // Names that `gp` reads from enclosing scopes.
  std::set<std::string_view> free_names(const GraphProto& gp);
  // import.cc: initializers of `gp` read only as the packed B input of MatMul/Gemm/FusedMatMul.
  std::set<std::string_view> weights_read_bytewise(const GraphProto& gp);

  // Storage for names the importer makes up (expanded function values).
  std::string_view keep(std::string s) { return pool_.emplace_back(std::move(s)); }

  void set_symbols(SymbolTable* s) { symbols_ = s; }
  const ModelProto& model() const { return model_; }
  const ExternalDataContext& ext() const { return ext_; }

 private:
  Status expand_call(const NodeProto& call, const FunctionProto& f, int depth, std::vector<FlatNode>& out);
  Status rewrite_subgraph(GraphProto& g, const std::map<std::string_view, std::string_view>& names,
                          const NodeProto& call, const FunctionProto& f, int depth);
  Status resolve_attrs(std::vector<AttributeProto>& attrs, const NodeProto& call, const FunctionProto& f, int depth);
  Status expand_into(const std::vector<const NodeProto*>& nodes, const Opsets& opsets, int depth,
                     std::vector<FlatNode>& out);

  const ModelProto& model_;
  const ExternalDataContext& ext_;
  std::deque<std::string> pool_;
  // Types for the inputs of the next subgraph imported, where its declaration leaves them out
  // (Loop and Scan bodies often do: the types follow from the calling node's inputs).
  std::vector<ir::ValueType> body_input_hints_;

 public:
  void set_body_input_hints(std::vector<ir::ValueType> hints) { body_input_hints_ = std::move(hints); }
  std::deque<std::shared_ptr<GraphProto>> graphs_;  // rewritten subgraphs of function bodies
  std::map<std::string, const FunctionProto*> functions_;  // by domain '\0' name '\0' overload
  SymbolTable* symbols_ = nullptr;
  int64_t counter_ = 0;
  int depth_ = 0;  // subgraph nesting while importing
  // Set while re-importing a subgraph whose inference failed against the enclosing graph's
  // precise types: outer-scope values then get their element type only (see import_values.cc).
  bool relax_outer_types_ = false;

};

std::string function_key(std::string_view domain, std::string_view name, std::string_view overload);

}  // namespace onnxrt::onnx::detail
