// Type and shape inference for the element-wise family: arithmetic, math, comparisons, logic,
// casts and activations. All outputs have the (broadcast) shape of the inputs.
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

Status require_tensor(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " is missing");
  if (!ctx.input_type(i).is_tensor())
    return ctx.error("input " + std::to_string(i) + " must be a tensor, got " +
                     type_string(ctx.input_type(i)));
  return Status::ok();
}

ValueType tensor_like(DType dtype, const ValueType& in) {
  return in.has_shape ? ValueType::tensor(dtype, in.shape) : ValueType::tensor_unknown_rank(dtype);
}

Status require_same_dtype(const InferContext& ctx, size_t i, size_t j) {
  const DType a = ctx.input_type(i).dtype, b = ctx.input_type(j).dtype;
  if (a != b && a != DType::kUndefined && b != DType::kUndefined)
    return ctx.error("inputs " + std::to_string(i) + " and " + std::to_string(j) +
                     " must have the same element type, got " + std::string(dtype_name(a)) +
                     " and " + std::string(dtype_name(b)));
  return Status::ok();
}

// Before opset 7, binary ops broadcast only when the `broadcast` attribute is 1, and then B
// (a contiguous run of A's dims starting at `axis`, or a suffix by default) to A's shape.
Expected<ValueType> legacy_broadcast(InferContext& ctx, DType out_dtype) {
  const ValueType& a = ctx.input_type(0);
  const ValueType& b = ctx.input_type(1);
  AttrReader attrs(ctx.node());
  const int64_t bcast = attrs.i("broadcast", 0);
  const bool has_axis = attrs.has("axis");
  const int64_t axis_attr = attrs.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  if (!a.has_shape || !b.has_shape) return tensor_like(out_dtype, a);
  if (bcast == 0) {
    if (a.rank() != b.rank())
      return ctx.error("without broadcast=1 (opset < 7) input shapes must be equal, got " +
                       shape_to_string(a.shape) + " and " + shape_to_string(b.shape));
    SymShape out = a.shape;
    for (size_t d = 0; d < out.size(); ++d) {
      const Dim& x = a.shape[d];
      const Dim& y = b.shape[d];
      if (x.is_known() && y.is_known() && x.value() != y.value())
        return ctx.error("without broadcast=1 (opset < 7) input shapes must be equal, got " +
                         shape_to_string(a.shape) + " and " + shape_to_string(b.shape));
      if (!x.is_known() && y.is_known()) out[d] = y;
    }
    return ValueType::tensor(out_dtype, out);
  }
  if (b.rank() > a.rank())
    return ctx.error("broadcast input 1 " + shape_to_string(b.shape) + " has more dims than input 0 " +
                     shape_to_string(a.shape));
  int64_t axis = has_axis ? axis_attr : a.rank() - b.rank();
  if (axis < 0) axis += a.rank();
  if (axis < 0 || axis + b.rank() > a.rank())
    return ctx.error("broadcast axis " + std::to_string(axis_attr) + " does not place input 1 " +
                     shape_to_string(b.shape) + " inside input 0 " + shape_to_string(a.shape));
  for (int64_t d = 0; d < b.rank(); ++d) {
    const Dim& x = a.shape[static_cast<size_t>(axis + d)];
    const Dim& y = b.shape[static_cast<size_t>(d)];
    if (y.is_known() && y.value() != 1 && x.is_known() && x.value() != y.value())
      return ctx.error("input 1 " + shape_to_string(b.shape) + " does not broadcast to input 0 " +
                       shape_to_string(a.shape) + " at axis " + std::to_string(axis));
  }
  return ValueType::tensor(out_dtype, a.shape);
}

Expected<ValueType> broadcast_n(InferContext& ctx, size_t first, size_t count, DType out_dtype) {
  SymShape shape;
  bool known = true;
  for (size_t i = first; i < first + count; ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i));
    const ValueType& t = ctx.input_type(i);
    if (!t.has_shape) {
      known = false;
      continue;
    }
    if (i == first) {
      shape = t.shape;
      continue;
    }
    if (!known) continue;
    ONNXRT_ASSIGN_OR_RETURN(shape, broadcast_shapes(shape, t.shape, ctx));
  }
  if (!known) return ValueType::tensor_unknown_rank(out_dtype);
  return ValueType::tensor(out_dtype, shape);
}

Status infer_binary_impl(InferContext& ctx, bool to_bool, bool same_dtype) {
  if (ctx.num_inputs() < 2) return ctx.error("expected 2 inputs, got " + std::to_string(ctx.num_inputs()));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1));
  if (same_dtype) ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  const DType out = to_bool ? DType::kBool : ctx.input_type(0).dtype;
  if (ctx.opset() < 7) {
    ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[0], legacy_broadcast(ctx, out));
    return Status::ok();
  }
  ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[0], broadcast_n(ctx, 0, 2, out));
  return Status::ok();
}

// Add, Sub, Mul, Div, Mod, BitShift, Bitwise*, And/Or/Xor: same dtype in and out.
Status infer_binary(InferContext& ctx) { return infer_binary_impl(ctx, false, true); }
// Equal, Less, Greater, ...: bool out.
Status infer_compare(InferContext& ctx) { return infer_binary_impl(ctx, true, true); }
// Pow: the exponent's type may differ from the base's (opset 12+); output has the base's type.
Status infer_pow(InferContext& ctx) { return infer_binary_impl(ctx, false, ctx.opset() < 12); }

Status infer_unary(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ctx.outputs[0] = tensor_like(ctx.input_type(0).dtype, ctx.input_type(0));
  return Status::ok();
}

Status infer_unary_bool(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ctx.outputs[0] = tensor_like(DType::kBool, ctx.input_type(0));
  return Status::ok();
}

Status infer_not(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  if (ctx.input_type(0).dtype != DType::kBool)
    return ctx.error("input 0 must be bool, got " + std::string(dtype_name(ctx.input_type(0).dtype)));
  return infer_unary(ctx);
}

Status infer_clip(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i));
    ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
    const ValueType& t = ctx.input_type(i);
    if (t.has_shape && shape_is_static(t.shape) && shape_size(to_static_shape(t.shape)) != 1)
      return ctx.error("input " + std::to_string(i) + " (" + (i == 1 ? "min" : "max") +
                       ") must be a scalar, got shape " + shape_to_string(t.shape));
  }
  return infer_unary(ctx);
}

Status infer_variadic(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("expected at least 1 input, got 0");
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i));
    ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, i));
  }
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[0],
                          broadcast_n(ctx, 0, ctx.num_inputs(), ctx.input_type(0).dtype));
  return Status::ok();
}

Status infer_where(InferContext& ctx) {
  if (ctx.num_inputs() != 3) return ctx.error("expected 3 inputs, got " + std::to_string(ctx.num_inputs()));
  for (size_t i = 0; i < 3; ++i) ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i));
  if (ctx.input_type(0).dtype != DType::kBool)
    return ctx.error("input 0 (condition) must be bool, got " +
                     std::string(dtype_name(ctx.input_type(0).dtype)));
  ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 1, 2));
  ONNXRT_ASSIGN_OR_RETURN(ctx.outputs[0], broadcast_n(ctx, 0, 3, ctx.input_type(1).dtype));
  return Status::ok();
}

Status infer_prelu(InferContext& ctx) {
  if (ctx.num_inputs() != 2) return ctx.error("expected 2 inputs, got " + std::to_string(ctx.num_inputs()));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1));
  ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  const ValueType& x = ctx.input_type(0);
  const ValueType& s = ctx.input_type(1);
  // Before opset 7 a slope of shape [C] applied per channel (along axis 1), not numpy-style along
  // the last axis (PyTorch's PReLU exports rely on it).
  const bool legacy_channel = ctx.opset() < 7 && x.has_shape && s.has_shape && x.rank() >= 2 &&
                              s.rank() == 1 && !(s.shape[0].is_known() && s.shape[0].value() == 1);
  if (legacy_channel) {
    if (x.shape[1].is_known() && s.shape[0].is_known() && x.shape[1].value() != s.shape[0].value())
      return ctx.error("slope shape " + shape_to_string(s.shape) + " must be [C] = [" +
                       std::to_string(x.shape[1].value()) + "] for X " + shape_to_string(x.shape));
  } else if (x.has_shape && s.has_shape) {
    // Slope broadcasts to X (unidirectionally); the output always has X's shape.
    ONNXRT_ASSIGN_OR_RETURN(SymShape out, broadcast_shapes(x.shape, s.shape, ctx));
    if (out.size() != x.shape.size())
      return ctx.error("slope shape " + shape_to_string(s.shape) + " does not broadcast to X " +
                       shape_to_string(x.shape));
    for (size_t d = 0; d < out.size(); ++d) {
      if (x.shape[d].is_known() && out[d].is_known() && x.shape[d].value() != out[d].value())
        return ctx.error("slope shape " + shape_to_string(s.shape) + " does not broadcast to X " +
                         shape_to_string(x.shape));
    }
  }
  return infer_unary(ctx);
}

bool castable(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBFloat16:
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
    case DType::kBool: case DType::kString:
    case DType::kFloat8E4M3FN: case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ: case DType::kUInt4: case DType::kInt4: case DType::kFloat4E2M1:
    case DType::kFloat8E8M0: case DType::kUInt2: case DType::kInt2:
    case DType::kFloat6E2M3: case DType::kFloat6E3M2:
      return true;
    default:
      return false;
  }
}

Status infer_cast(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  AttrReader attrs(ctx.node());
  const Attribute* to = attrs.required("to", AttrKind::kInt);
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  if (!dtype_is_valid(static_cast<int32_t>(to->i)) || !castable(static_cast<DType>(to->i)))
    return ctx.error("attribute 'to' = " + std::to_string(to->i) + " is not a castable element type");
  ctx.outputs[0] = tensor_like(static_cast<DType>(to->i), ctx.input_type(0));
  return Status::ok();
}

Status infer_cast_like(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1));
  ctx.outputs[0] = tensor_like(ctx.input_type(1).dtype, ctx.input_type(0));
  return Status::ok();
}

// BitCast (opset 26): same bits, new type; widths must agree and strings are excluded.
Status infer_bitcast(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0));
  AttrReader attrs(ctx.node());
  const Attribute* to = attrs.required("to", AttrKind::kInt);
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  if (!dtype_is_valid(static_cast<int32_t>(to->i)) || static_cast<DType>(to->i) == DType::kString)
    return ctx.error("attribute 'to' = " + std::to_string(to->i) + " is not a non-string element type");
  const DType from = ctx.input_type(0).dtype, dst = static_cast<DType>(to->i);
  if (from == DType::kString) return ctx.error("input 0 must not be a string tensor");
  if (from != DType::kUndefined && dtype_bits(from) != dtype_bits(dst))
    return ctx.error("BitCast needs equal widths, got " + std::string(dtype_name(from)) + " (" +
                     std::to_string(dtype_bits(from)) + " bits) to " + std::string(dtype_name(dst)) +
                     " (" + std::to_string(dtype_bits(dst)) + " bits)");
  ctx.outputs[0] = tensor_like(dst, ctx.input_type(0));
  return Status::ok();
}

constexpr OpInfo kOps[] = {
    {"", "Add", &infer_binary},
    {"", "Sub", &infer_binary},
    {"", "Mul", &infer_binary},
    {"", "Div", &infer_binary},
    {"", "Mod", &infer_binary},
    {"", "Pow", &infer_pow},
    {"", "BitShift", &infer_binary},
    {"", "BitwiseAnd", &infer_binary},
    {"", "BitwiseOr", &infer_binary},
    {"", "BitwiseXor", &infer_binary},
    {"", "And", &infer_compare},
    {"", "Or", &infer_compare},
    {"", "Xor", &infer_compare},
    {"", "Equal", &infer_compare},
    {"", "Less", &infer_compare},
    {"", "Greater", &infer_compare},
    {"", "LessOrEqual", &infer_compare},
    {"", "GreaterOrEqual", &infer_compare},
    {"", "Not", &infer_not},
    {"", "BitwiseNot", &infer_unary},
    {"", "Min", &infer_variadic},
    {"", "Max", &infer_variadic},
    {"", "Sum", &infer_variadic},
    {"", "Mean", &infer_variadic},
    {"", "Where", &infer_where},
    {"", "Cast", &infer_cast},
    {"", "CastLike", &infer_cast_like},
    {"", "BitCast", &infer_bitcast},
    {"", "Clip", &infer_clip},
    {"", "PRelu", &infer_prelu},
    {"", "IsNaN", &infer_unary_bool},
    {"", "IsInf", &infer_unary_bool},
    {"", "Relu", &infer_unary},
    {"", "Sigmoid", &infer_unary},
    {"", "Tanh", &infer_unary},
    {"", "Erf", &infer_unary},
    {"", "Exp", &infer_unary},
    {"", "Log", &infer_unary},
    {"", "Sqrt", &infer_unary},
    {"", "Neg", &infer_unary},
    {"", "Abs", &infer_unary},
    {"", "Gelu", &infer_unary},
    {"", "LeakyRelu", &infer_unary},
    {"", "Elu", &infer_unary},
    {"", "Selu", &infer_unary},
    {"", "Celu", &infer_unary},
    {"", "HardSigmoid", &infer_unary},
    {"", "HardSwish", &infer_unary},
    {"", "Softplus", &infer_unary},
    {"", "Softsign", &infer_unary},
    {"", "Mish", &infer_unary},
    {"", "ThresholdedRelu", &infer_unary},
    {"", "Floor", &infer_unary},
    {"", "Ceil", &infer_unary},
    {"", "Round", &infer_unary},
    {"", "Reciprocal", &infer_unary},
    {"", "Sign", &infer_unary},
    {"", "Sin", &infer_unary},
    {"", "Cos", &infer_unary},
    {"", "Tan", &infer_unary},
    {"", "Asin", &infer_unary},
    {"", "Acos", &infer_unary},
    {"", "Atan", &infer_unary},
    {"", "Sinh", &infer_unary},
    {"", "Cosh", &infer_unary},
    {"", "Asinh", &infer_unary},
    {"", "Acosh", &infer_unary},
    {"", "Atanh", &infer_unary},
    {"", "Shrink", &infer_unary},
    {"", "Swish", &infer_unary},
};

}  // namespace

std::span<const OpInfo> elementwise_op_infos() { return kOps; }

}  // namespace onnxrt::ir
