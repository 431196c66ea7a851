#include "ir/value_type.h"

namespace onnxrt::ir {

std::string type_string(const ValueType& t) {
  auto elem = [&]() { return t.elem ? type_string(*t.elem) : std::string("unknown"); };
  switch (t.kind) {
    case TypeKind::kTensor: return "tensor(" + std::string(dtype_name(t.dtype)) + ")";
    case TypeKind::kSparseTensor: return "sparse_tensor(" + std::string(dtype_name(t.dtype)) + ")";
    case TypeKind::kSequence: return "seq(" + elem() + ")";
    case TypeKind::kMap: return "map(" + std::string(dtype_name(t.dtype)) + "," + elem() + ")";
    case TypeKind::kOptional: return "optional(" + elem() + ")";
    case TypeKind::kUnknown: break;
  }
  return "unknown";
}

}  // namespace onnxrt::ir
