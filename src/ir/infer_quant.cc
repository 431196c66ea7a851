// Type and shape inference for the quantization family: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear and the integer MatMul/Conv ops.
#include <string>
#include <vector>

#include "ir/infer_nn_window.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

Status require_tensor(const InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " (" + what + ") is missing");
  if (!ctx.input_type(i).is_tensor())
    return ctx.error("input " + std::to_string(i) + " (" + what + ") must be a tensor, got " +
                     type_string(ctx.input_type(i)));
  return Status::ok();
}

ValueType like(DType dtype, const ValueType& in) {
  return in.has_shape ? ValueType::tensor(dtype, in.shape) : ValueType::tensor_unknown_rank(dtype);
}

std::string name(DType t) { return std::string(dtype_name(t)); }

bool is_quant_target(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: case DType::kInt16: case DType::kUInt16:
    case DType::kInt4: case DType::kUInt4: case DType::kInt2: case DType::kUInt2:
    case DType::kFloat8E4M3FN: case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ: case DType::kFloat4E2M1: case DType::kFloat6E2M3:
    case DType::kFloat6E3M2:
      return true;
    default:
      return false;
  }
}

// Checks a scale / zero-point shape against X for per-tensor, per-axis and blocked layouts.
Status check_param_shape(const InferContext& ctx, size_t i, const ValueType& x, int64_t axis_attr,
                         int64_t block_size) {
  if (!ctx.has_input(i)) return Status::ok();
  const ValueType& p = ctx.input_type(i);
  if (!p.has_shape || !x.has_shape) return Status::ok();
  const char* what = i == 1 ? "scale" : "zero point";
  if (p.rank() == 0) return Status::ok();
  if (block_size <= 0) {
    if (p.rank() != 1)
      return ctx.error(std::string(what) + " must be a scalar or 1-D without block_size, got " +
                       shape_to_string(p.shape));
    if (p.shape[0].is_known() && p.shape[0].value() == 1) return Status::ok();
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, x.rank(), ctx));
    const Dim& xd = x.shape[static_cast<size_t>(axis)];
    if (p.shape[0].is_known() && xd.is_known() && p.shape[0].value() != xd.value())
      return ctx.error(std::string(what) + " has " + std::to_string(p.shape[0].value()) +
                       " elements, expected X's dim " + std::to_string(axis) + " = " +
                       std::to_string(xd.value()));
    return Status::ok();
  }
  if (p.rank() != x.rank())
    return ctx.error(std::string(what) + " must have X's rank " + std::to_string(x.rank()) +
                     " for blocked quantization, got " + shape_to_string(p.shape));
  ONNXRT_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_attr, x.rank(), ctx));
  for (int64_t d = 0; d < x.rank(); ++d) {
    const Dim& xd = x.shape[static_cast<size_t>(d)];
    const Dim& pd = p.shape[static_cast<size_t>(d)];
    if (!xd.is_known() || !pd.is_known()) continue;
    // ceil(dim / block_size) without dim + block_size - 1, which a huge block_size takes past int64.
    const int64_t want = d == axis ? xd.value() / block_size + (xd.value() % block_size != 0) : xd.value();
    if (pd.value() != want)
      return ctx.error(std::string(what) + " shape " + shape_to_string(p.shape) +
                       " does not fit X " + shape_to_string(x.shape) + " with block_size " +
                       std::to_string(block_size) + " on axis " + std::to_string(axis));
  }
  return Status::ok();
}

Status infer_quantize(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "x"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "y_scale"));
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 1);
  const int64_t block = a.i("block_size", 0);
  const int64_t out_attr = a.i("output_dtype", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (block < 0) return ctx.error("block_size must be >= 0, got " + std::to_string(block));
  DType out = DType::kUInt8;
  if (out_attr != 0) {
    if (!dtype_is_valid(static_cast<int32_t>(out_attr)))
      return ctx.error("output_dtype " + std::to_string(out_attr) + " is not an element type");
    out = static_cast<DType>(out_attr);
  }
  if (ctx.has_input(2)) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "y_zero_point"));
    const DType zp = ctx.input_type(2).dtype;
    if (out_attr != 0 && zp != out)
      return ctx.error("output_dtype " + name(out) + " differs from y_zero_point's type " + name(zp));
    out = zp;
  }
  if (!is_quant_target(out)) return ctx.error("cannot quantize to " + name(out));
  const ValueType& x = ctx.input_type(0);
  ONNXRT_RETURN_IF_ERROR(check_param_shape(ctx, 1, x, axis, block));
  ONNXRT_RETURN_IF_ERROR(check_param_shape(ctx, 2, x, axis, block));
  ctx.outputs[0] = like(out, x);
  return Status::ok();
}

Status infer_dequantize(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "x"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "x_scale"));
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 1);
  const int64_t block = a.i("block_size", 0);
  const int64_t out_attr = a.i("output_dtype", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (block < 0) return ctx.error("block_size must be >= 0, got " + std::to_string(block));
  DType out = ctx.input_type(1).dtype;
  if (out_attr != 0) {
    if (!dtype_is_valid(static_cast<int32_t>(out_attr)))
      return ctx.error("output_dtype " + std::to_string(out_attr) + " is not an element type");
    out = static_cast<DType>(out_attr);
  }
  if (out != DType::kFloat32 && out != DType::kFloat16 && out != DType::kBFloat16)
    return ctx.error("output type must be float, float16 or bfloat16, got " + name(out));
  if (ctx.has_input(2)) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "x_zero_point"));
    if (ctx.input_type(2).dtype != ctx.input_type(0).dtype)
      return ctx.error("x_zero_point's type " + name(ctx.input_type(2).dtype) + " differs from x's " +
                       name(ctx.input_type(0).dtype));
  }
  const ValueType& x = ctx.input_type(0);
  ONNXRT_RETURN_IF_ERROR(check_param_shape(ctx, 1, x, axis, block));
  ONNXRT_RETURN_IF_ERROR(check_param_shape(ctx, 2, x, axis, block));
  ctx.outputs[0] = like(out, x);
  return Status::ok();
}

Status infer_dynamic_quantize(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "x"));
  if (ctx.input_type(0).dtype != DType::kFloat32)
    return ctx.error("input 0 (x) must be float, got " + name(ctx.input_type(0).dtype));
  ctx.outputs[0] = like(DType::kUInt8, ctx.input_type(0));
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(DType::kFloat32, {});
  if (ctx.num_outputs() > 2) ctx.outputs[2] = ValueType::tensor(DType::kUInt8, {});
  return Status::ok();
}

// numpy.matmul shapes (1-D operands promoted and the added dim dropped again).
Status matmul_shape(InferContext& ctx, size_t ia, size_t ib, DType out) {
  const ValueType& a = ctx.input_type(ia);
  const ValueType& b = ctx.input_type(ib);
  if (!a.has_shape || !b.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(out);
    return Status::ok();
  }
  if (a.rank() == 0 || b.rank() == 0) return ctx.error("MatMul operands must have rank >= 1");
  SymShape as = a.shape, bs = b.shape;
  if (as.size() == 1) as.insert(as.begin(), Dim(1));
  if (bs.size() == 1) bs.push_back(Dim(1));
  const Dim& k1 = as.back();
  const Dim& k2 = bs[bs.size() - 2];
  if (k1.is_known() && k2.is_known() && k1.value() != k2.value())
    return ctx.error("inner dims differ: A " + shape_to_string(a.shape) + ", B " + shape_to_string(b.shape));
  SymShape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  ONNXRT_ASSIGN_OR_RETURN(SymShape batch, broadcast_shapes(ab, bb, ctx));
  if (a.rank() > 1) batch.push_back(as[as.size() - 2]);
  if (b.rank() > 1) batch.push_back(bs.back());
  ctx.outputs[0] = ValueType::tensor(out, batch);
  return Status::ok();
}

bool is_int8(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

Status infer_matmul_integer(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "A"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "B"));
  if (!is_int8(ctx.input_type(0).dtype) || !is_int8(ctx.input_type(1).dtype))
    return ctx.error("A and B must be int8 or uint8, got " + name(ctx.input_type(0).dtype) + " and " +
                     name(ctx.input_type(1).dtype));
  return matmul_shape(ctx, 0, 1, DType::kInt32);
}

Status infer_qlinear_matmul(InferContext& ctx) {
  static const char* kNames[] = {"a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point",
                                 "y_scale", "y_zero_point"};
  for (size_t i = 0; i < 8; ++i)
    if (i != 2 && i != 5 && i != 7) ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, kNames[i]));
  if (!is_int8(ctx.input_type(0).dtype) || !is_int8(ctx.input_type(3).dtype))
    return ctx.error("a and b must be int8 or uint8, got " + name(ctx.input_type(0).dtype) + " and " +
                     name(ctx.input_type(3).dtype));
  const DType out = ctx.has_input(7) ? ctx.input_type(7).dtype : ctx.input_type(0).dtype;
  if (!is_int8(out)) return ctx.error("y_zero_point must be int8 or uint8, got " + name(out));
  return matmul_shape(ctx, 0, 3, out);
}

// ConvInteger (X=0, W=1) and QLinearConv (X=0, W=3): the float Conv's geometry.
Status conv_shape(InferContext& ctx, size_t ix, size_t iw, DType out) {
  const ValueType& x = ctx.input_type(ix);
  const ValueType& w = ctx.input_type(iw);
  if (!is_int8(x.dtype) || !is_int8(w.dtype))
    return ctx.error("X and W must be int8 or uint8, got " + name(x.dtype) + " and " + name(w.dtype));
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(out);
    return Status::ok();
  }
  if (x.rank() < 3) return ctx.error("X must have rank >= 3, got " + shape_to_string(x.shape));
  if (w.has_shape && w.rank() != x.rank())
    return ctx.error("W " + shape_to_string(w.shape) + " must have X's rank " + std::to_string(x.rank()));
  AttrReader a(ctx.node());
  const int64_t group = a.i("group", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (group <= 0) return ctx.error("group must be positive, got " + std::to_string(group));
  std::vector<int64_t> kw(static_cast<size_t>(x.rank() - 2), -1);
  if (w.has_shape)
    for (int64_t d = 2; d < x.rank(); ++d)
      kw[static_cast<size_t>(d - 2)] = w.shape[static_cast<size_t>(d)].is_known() ? w.shape[static_cast<size_t>(d)].value() : -1;
  WindowAttrs win;
  Status st = read_window_attrs(a, static_cast<size_t>(x.rank() - 2), kw, false, &win);
  if (!st) return ctx.error(st.message());
  Dim m = w.has_shape ? w.shape[0] : ctx.fresh_dim();
  if (w.has_shape && m.is_known() && m.value() % group != 0)
    return ctx.error("W's output channels " + std::to_string(m.value()) + " are not divisible by group " +
                     std::to_string(group));
  int64_t expected_c = 0;  // group is an attribute: W.shape[1] * group can leave int64
  if (w.has_shape && w.shape[1].is_known() && __builtin_mul_overflow(w.shape[1].value(), group, &expected_c))
    return ctx.error("W.shape[1] " + std::to_string(w.shape[1].value()) + " * group " + std::to_string(group) +
                     " overflows int64");
  if (w.has_shape && x.shape[1].is_known() && w.shape[1].is_known() && x.shape[1].value() != expected_c)
    return ctx.error("X has " + std::to_string(x.shape[1].value()) + " channels, expected W.shape[1] * group = " +
                     std::to_string(expected_c));
  SymShape shape{x.shape[0], m};
  bool kernel_known = true;
  for (int64_t k : win.kernel) kernel_known = kernel_known && k > 0;
  for (size_t d = 0; d < win.rank(); ++d) {
    const Dim& in = x.shape[d + 2];
    if (!in.is_known() || !kernel_known) {
      shape.push_back(ctx.fresh_dim());
      continue;
    }
    auto wd = window_dim(win, d, in.value());
    if (!wd) return ctx.error(wd.status().message());
    shape.push_back(Dim(wd->out));
  }
  ctx.outputs[0] = ValueType::tensor(out, shape);
  return Status::ok();
}

Status infer_conv_integer(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "x"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "w"));
  return conv_shape(ctx, 0, 1, DType::kInt32);
}

Status infer_qlinear_conv(InferContext& ctx) {
  static const char* kNames[] = {"x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point",
                                 "y_scale", "y_zero_point"};
  for (size_t i = 0; i < 8; ++i)
    if (i != 2 && i != 5 && i != 7) ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, kNames[i]));
  if (ctx.has_input(8)) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 8, "B"));
    if (ctx.input_type(8).dtype != DType::kInt32)
      return ctx.error("input 8 (B) must be int32, got " + name(ctx.input_type(8).dtype));
  }
  const DType out = ctx.has_input(7) ? ctx.input_type(7).dtype : ctx.input_type(0).dtype;
  return conv_shape(ctx, 0, 3, out);
}

// com.onnxrt MatMulInt8Weight(A float, W 8-bit 2-D, scale, zero_point) (passes/
// fuse_dequantize_matmul.cc): MatMul(A, DequantizeLinear(W)), float output.
Status infer_matmul_int8_weight(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "A"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "W"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "scale"));
  if (ctx.input_type(0).dtype != DType::kFloat32 || !is_int8(ctx.input_type(1).dtype) ||
      ctx.input_type(2).dtype != DType::kFloat32)
    return ctx.error("A and scale must be float and W int8 or uint8, got " + name(ctx.input_type(0).dtype) + ", " +
                     name(ctx.input_type(2).dtype) + " and " + name(ctx.input_type(1).dtype));
  if (ctx.input_type(1).has_shape && ctx.input_type(1).rank() != 2) return ctx.error("W must be 2-D");
  return matmul_shape(ctx, 0, 1, DType::kFloat32);
}

constexpr OpInfo kOps[] = {
    {"com.onnxrt", "MatMulInt8Weight", &infer_matmul_int8_weight},
    {"", "QuantizeLinear", &infer_quantize},
    {"", "DequantizeLinear", &infer_dequantize},
    {"", "DynamicQuantizeLinear", &infer_dynamic_quantize},
    {"", "MatMulInteger", &infer_matmul_integer},
    {"", "QLinearMatMul", &infer_qlinear_matmul},
    {"", "ConvInteger", &infer_conv_integer},
    {"", "QLinearConv", &infer_qlinear_conv},
};

}  // namespace

std::span<const OpInfo> quant_op_infos() { return kOps; }

}  // namespace onnxrt::ir
