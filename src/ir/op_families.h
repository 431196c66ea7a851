// The per-family inference tables that ir/op_table.cc concatenates into the one op table.
// Each is defined in ir/infer_<family>.cc.
#pragma once

#include <span>

#include "ir/infer.h"

namespace onnxrt::ir {

std::span<const OpInfo> elementwise_op_infos();  // arithmetic, math, logic, cast, activations
std::span<const OpInfo> linalg_op_infos();       // MatMul, Gemm, ...
std::span<const OpInfo> nn_op_infos();           // Conv, pooling, normalization, Softmax, ...
std::span<const OpInfo> tensor_op_infos();       // shape and data-movement ops, Constant, ...

}  // namespace onnxrt::ir
