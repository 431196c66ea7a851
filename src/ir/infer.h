// Type and shape inference: one function per op, looked up in one table by (domain, op_type).
// The same function serves two callers:
//   - the IR, when a node is added: inputs may have symbolic dims, values of constant inputs
//     (initializers, folded constants) are given when known;
//   - the executor, at run time, when a graph has symbolic dims: every shape is concrete and every
//     input value is known, so the result is concrete too.
// An inference function must therefore be exact whenever its inputs are concrete, and may produce
// fresh symbols (ctx.fresh_dim()) when it cannot know a dim statically. Ops whose output shape
// depends on data that only the kernel computes (NonZero, Unique) set dynamic_output_shape; their
// kernels allocate outputs themselves.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "ir/value_type.h"
#include "onnxrt/status.h"

namespace onnxrt::ir {

class InferContext {
 public:
  InferContext(const Node& node, std::span<const ValueType* const> input_types,
               std::span<const Tensor* const> input_values, SymbolTable* symbols)
      : node_(node), input_types_(input_types), input_values_(input_values), symbols_(symbols) {
    outputs.resize(node.outputs.size());
  }

  const Node& node() const { return node_; }
  int opset() const { return node_.opset; }
  size_t num_inputs() const { return input_types_.size(); }
  // False for an omitted optional input ("" in the model) or an index past the end.
  bool has_input(size_t i) const { return i < input_types_.size() && input_types_[i] != nullptr; }
  const ValueType& input_type(size_t i) const { return *input_types_[i]; }
  // The input's value when it is known (a constant at load time; always at run time), else null.
  const Tensor* input_value(size_t i) const {
    return i < input_values_.size() ? input_values_[i] : nullptr;
  }
  size_t num_outputs() const { return outputs.size(); }
  // A new dim that equals no other (result of a computation that is unknown statically).
  Dim fresh_dim() { return symbols_ ? Dim::symbol(symbols_->fresh()) : Dim::symbol(0); }
  // The dim that a deterministic function of other dims gives, named by `key`: equal to every
  // other derived_dim of the same key (SymbolTable::derived).
  Dim derived_dim(const std::string& key) { return symbols_ ? Dim::symbol(symbols_->derived(key)) : Dim::symbol(0); }
  // For inference functions that delegate to another with adjusted input types.
  SymbolTable* symbols() const { return symbols_; }

  // Errors that name the node: "Gather 'g1': input 1 (indices) must be int32 or int64, got float".
  Status error(const std::string& message) const;

  // Filled by the inference function, one per node output.
  std::vector<ValueType> outputs;
  // Set when an output's shape is known only after the kernel runs.
  bool dynamic_output_shape = false;

 private:
  const Node& node_;
  std::span<const ValueType* const> input_types_;
  std::span<const Tensor* const> input_values_;
  SymbolTable* symbols_;
};

using InferFn = Status (*)(InferContext& ctx);

struct OpInfo {
  std::string_view domain;
  std::string_view op_type;
  InferFn infer;
};

// The inference function for an op, or null when onnxrt does not know the op.
InferFn find_infer_fn(std::string_view domain, std::string_view op_type);
// Every op known to inference (for `onnxrt list-kernels` and tests).
std::span<const OpInfo> all_op_infos();

// ---- helpers shared by the per-family inference files (ir/infer_*.cc)

// Numpy-style multidirectional broadcasting of two shapes (symbolic aware).
Expected<SymShape> broadcast_shapes(const SymShape& a, const SymShape& b, InferContext& ctx);
// Normalizes a possibly negative axis into [0, rank); error names the node and the axis.
Expected<int64_t> normalize_axis(int64_t axis, int64_t rank, const InferContext& ctx);
// Reads a 1-D (or scalar) int32/int64 tensor into int64s.
std::vector<int64_t> tensor_to_int64s(const Tensor& t);
// Requires input i to be a tensor with a known rank; an error names the input otherwise.
Status require_tensor_with_shape(const InferContext& ctx, size_t i);
// Refuses a shape whose known dims multiply past int64 ("<what> <shape> has an element count that
// overflows int64"): dims computed from data (ConstantOfShape, Expand, Resize, Concat) can be
// anything, and a wrapped count would size a later buffer too small.
Status check_element_count(const SymShape& shape, const InferContext& ctx, const std::string& what);

}  // namespace onnxrt::ir
