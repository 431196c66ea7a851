// The type of a graph value: a tensor (element type + optional shape), or a sequence, map or
// optional of other types, or a sparse tensor. Mirrors ONNX TypeProto.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "onnxrt/dtype.h"
#include "tensor/sym_shape.h"

namespace onnxrt::ir {

enum class TypeKind { kUnknown, kTensor, kSparseTensor, kSequence, kMap, kOptional };

struct ValueType {
  TypeKind kind = TypeKind::kUnknown;
  DType dtype = DType::kUndefined;  // tensor/sparse element type; map key type for kMap
  bool has_shape = false;           // false: rank unknown
  SymShape shape;                   // valid when has_shape
  std::shared_ptr<ValueType> elem;  // sequence/optional element, map value
  // For small integer tensors (rank 0 or 1) computed from shapes (Shape -> Gather -> Unsqueeze ->
  // Concat -> Reshape chains that exporters emit): their elements as dims, symbolic where only a
  // symbol is known. Lets Reshape/Expand/ConstantOfShape keep "batch" through such chains (ONNX's
  // data propagation). Absent when unknown. Set by the tensor-family inference functions.
  std::optional<SymShape> sym_value;

  static ValueType tensor(DType dtype, SymShape shape) {
    ValueType t;
    t.kind = TypeKind::kTensor;
    t.dtype = dtype;
    t.has_shape = true;
    t.shape = std::move(shape);
    return t;
  }
  static ValueType tensor_unknown_rank(DType dtype) {
    ValueType t;
    t.kind = TypeKind::kTensor;
    t.dtype = dtype;
    return t;
  }
  bool is_tensor() const { return kind == TypeKind::kTensor; }
  int64_t rank() const { return static_cast<int64_t>(shape.size()); }  // requires has_shape
  bool is_static() const { return is_tensor() && has_shape && shape_is_static(shape); }
};

// "tensor(float)", "seq(tensor(int64))", "map(string,tensor(float))", "optional(...)"
std::string type_string(const ValueType& t);

}  // namespace onnxrt::ir
