// Inference for our fused ops (see ir/infer_fused.h). Each delegates to the op it extends and then
// checks the extra inputs, so a fused node always has exactly the type of the node it replaced.
#include "ir/infer_fused.h"

#include <array>
#include <vector>

#include "ir/infer.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

struct ActName {
  std::string_view name;
  FusedAct kind;
  size_t num_params;
};

constexpr std::array<ActName, 13> kActs = {{
    {"", FusedAct::kNone, 0},
    {"Relu", FusedAct::kRelu, 0},
    {"Clip", FusedAct::kClip, 2},
    {"Sigmoid", FusedAct::kSigmoid, 0},
    {"Tanh", FusedAct::kTanh, 0},
    {"LeakyRelu", FusedAct::kLeakyRelu, 1},
    {"HardSigmoid", FusedAct::kHardSigmoid, 2},
    {"HardSwish", FusedAct::kHardSwish, 0},
    {"Gelu", FusedAct::kGelu, 0},
    {"GeluTanh", FusedAct::kGeluTanh, 0},
    {"Swish", FusedAct::kSwish, 1},
    {"Mish", FusedAct::kMish, 0},
    {"QuantizeDequantize", FusedAct::kQuantizeDequantize, 4},
}};

}  // namespace

Status check_same_shape_input(InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return Status::ok();
  const ValueType& zt = ctx.input_type(i);
  const ValueType& yt = ctx.outputs[0];
  if (!zt.is_tensor() || zt.dtype != yt.dtype)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what +
                     ") must be a tensor of the output's type " + type_string(yt) + ", got " +
                     type_string(zt));
  if (!zt.has_shape || !yt.has_shape) return Status::ok();
  bool ok = zt.rank() == yt.rank();
  for (size_t d = 0; ok && d < zt.shape.size(); ++d)
    ok = !(zt.shape[d].is_known() && yt.shape[d].is_known() &&
           zt.shape[d].value() != yt.shape[d].value());
  if (!ok)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") " +
                     type_string(zt) + " must have the output's shape " + type_string(yt));
  return Status::ok();
}

namespace {

Status check_activation(InferContext& ctx) {
  auto act = read_fused_activation(ctx.node());
  return act ? Status::ok() : act.status();
}

Status infer_fused_conv(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(check_activation(ctx));
  InferFn conv = find_infer_fn("", "Conv");
  if (!conv) return ctx.error("Conv inference is missing");
  ONNXRT_RETURN_IF_ERROR(conv(ctx));
  return check_same_shape_input(ctx, 3, "Z");
}

// MatMul(A, B^T) for trans_b = 1: B is 2-D [N, K], and A [..., K] gives [..., N].
Status infer_matmul_trans_b(InferContext& ctx) {
  for (size_t i : {0, 1})
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor()) return require_tensor_with_shape(ctx, i);
  ONNXRT_RETURN_IF_ERROR(require_tensor_with_shape(ctx, 1));
  const ValueType& at = ctx.input_type(0);
  const ValueType& bt = ctx.input_type(1);
  if (at.dtype != bt.dtype)
    return ctx.error("A and B must have the same element type, got " + type_string(at) + " and " + type_string(bt));
  const SymShape& b = bt.shape;
  if (b.size() != 2) return ctx.error("with trans_b = 1, B must be 2-D, got " + shape_to_string(b));
  if (!at.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(at.dtype);
    return Status::ok();
  }
  SymShape out = at.shape;
  if (out.empty()) return ctx.error("input A must have rank >= 1, got a scalar");
  if (out.back().is_known() && b[1].is_known() && out.back().value() != b[1].value())
    return ctx.error("inner dimensions differ: A " + shape_to_string(out) + " has K=" +
                     std::to_string(out.back().value()) + " but B " + shape_to_string(b) +
                     " (transposed) has K=" + std::to_string(b[1].value()));
  out.back() = b[0];
  ctx.outputs[0] = ValueType::tensor(at.dtype, std::move(out));
  return Status::ok();
}

Status infer_fused_matmul(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(check_activation(ctx));
  AttrReader attrs(ctx.node());
  const int64_t trans_b = attrs.i("trans_b", 0);
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  if (trans_b != 0 && trans_b != 1) return ctx.error("trans_b must be 0 or 1, got " + std::to_string(trans_b));
  // A float16 / bfloat16 B with a float32 A: a 16-bit weight kept in 16 bits
  // (passes/widen_16bit_floats.cc); the product is float32 and is inferred as if B were widened.
  std::vector<const ValueType*> types;
  std::vector<const Tensor*> values;
  ValueType wide_b;
  const bool half_b = ctx.num_inputs() > 1 && ctx.has_input(0) && ctx.has_input(1) &&
                      ctx.input_type(0).is_tensor() && ctx.input_type(0).dtype == DType::kFloat32 &&
                      ctx.input_type(1).is_tensor() &&
                      (ctx.input_type(1).dtype == DType::kFloat16 || ctx.input_type(1).dtype == DType::kBFloat16);
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    types.push_back(ctx.has_input(i) ? &ctx.input_type(i) : nullptr);
    values.push_back(ctx.input_value(i));
  }
  if (half_b) {
    wide_b = ctx.input_type(1);
    wide_b.dtype = DType::kFloat32;
    types[1] = &wide_b;
    values[1] = nullptr;  // the 16-bit values are not float32 data
  }
  InferContext product(ctx.node(), types, values, ctx.symbols());
  if (trans_b) {
    ONNXRT_RETURN_IF_ERROR(infer_matmul_trans_b(product));
  } else {
    InferFn matmul = find_infer_fn("", "MatMul");
    if (!matmul) return ctx.error("MatMul inference is missing");
    ONNXRT_RETURN_IF_ERROR(matmul(product));
  }
  ctx.outputs[0] = std::move(product.outputs[0]);
  const ValueType& yt = ctx.outputs[0];
  if (ctx.has_input(2)) {
    const ValueType& bt = ctx.input_type(2);
    if (!bt.is_tensor() || bt.dtype != yt.dtype)
      return ctx.error("input 2 (bias) must be a tensor of the output's type " + type_string(yt) +
                       ", got " + type_string(bt));
    if (bt.has_shape && yt.has_shape) {
      const bool ok = bt.rank() == 1 && !yt.shape.empty() &&
                      !(bt.shape[0].is_known() && yt.shape.back().is_known() &&
                        bt.shape[0].value() != yt.shape.back().value());
      if (!ok)
        return ctx.error("input 2 (bias) " + type_string(bt) +
                         " must be 1-D with the output's last dim, output is " + type_string(yt));
    }
  }
  return check_same_shape_input(ctx, 3, "Z");
}

// Same as ONNX's Swish, Gelu and Mish, which only opsets 24, 20 and 18 define.
Status infer_fused_swish(InferContext& ctx) {
  InferFn swish = find_infer_fn("", "Swish");
  if (!swish) return ctx.error("Swish inference is missing");
  return swish(ctx);
}
Status infer_fused_gelu(InferContext& ctx) {
  InferFn gelu = find_infer_fn("", "Gelu");
  if (!gelu) return ctx.error("Gelu inference is missing");
  return gelu(ctx);
}
Status infer_fused_mish(InferContext& ctx) {
  InferFn mish = find_infer_fn("", "Mish");
  if (!mish) return ctx.error("Mish inference is missing");
  return mish(ctx);
}
// ONNX's LayerNormalization (opset 17) under our domain (passes/fuse_layer_norm.cc).
Status infer_fused_layer_norm(InferContext& ctx) {
  InferFn ln = find_infer_fn("", "LayerNormalization");
  if (!ln) return ctx.error("LayerNormalization inference is missing");
  return ln(ctx);
}
// ONNX's RMSNormalization (opset 23) under our domain (passes/fuse_rms_norm.cc).
Status infer_fused_rms_norm(InferContext& ctx) {
  InferFn rms = find_infer_fn("", "RMSNormalization");
  if (!rms) return ctx.error("RMSNormalization inference is missing");
  return rms(ctx);
}

// MatMulIntegerToFloat(A, B, a_zero_point, b_zero_point, scale, bias): MatMulInteger's shape, float
// output; scale has one element or the output's last dim, bias the last dim (passes/fuse_quant_matmul.cc).
Status infer_matmul_integer_to_float(InferContext& ctx) {
  InferFn mmi = find_infer_fn("", "MatMulInteger");
  if (!mmi) return ctx.error("MatMulInteger inference is missing");
  ONNXRT_RETURN_IF_ERROR(mmi(ctx));
  ctx.outputs[0].dtype = DType::kFloat32;
  const ValueType& yt = ctx.outputs[0];
  const int64_t n = yt.has_shape && !yt.shape.empty() && yt.shape.back().is_known() ? yt.shape.back().value() : -1;
  for (size_t i : {size_t{4}, size_t{5}}) {
    if (!ctx.has_input(i)) {
      if (i == 4) return ctx.error("input 4 (scale) is required");
      continue;
    }
    const ValueType& t = ctx.input_type(i);
    if (!t.is_tensor() || t.dtype != DType::kFloat32)
      return ctx.error(std::string(i == 4 ? "input 4 (scale)" : "input 5 (bias)") + " must be float, got " + type_string(t));
    if (!t.has_shape) continue;
    int64_t size = 1;
    bool known = true;
    for (const auto& d : t.shape) {
      if (!d.is_known()) known = false;
      else size *= d.value();
    }
    const bool ok = !known || (i == 4 && size == 1) || (t.rank() == 1 && (n < 0 || size == n));
    if (!ok)
      return ctx.error(std::string(i == 4 ? "input 4 (scale) " : "input 5 (bias) ") + type_string(t) +
                       " must have 1 element (scale only) or the output's last dim, output is " + type_string(yt));
  }
  return Status::ok();
}

// QuantizeDequantize(X, scale, zero_point): X's type; scale a float32 scalar, zero_point a
// scalar of a 8- or 16-bit integer type (the kernels take only those).
Status infer_quantize_dequantize(InferContext& ctx) {
  static const char* kNames[] = {"X", "scale", "zero_point"};
  for (size_t i = 0; i < 3; ++i) {
    if (!ctx.has_input(i)) return ctx.error(std::string("input ") + std::to_string(i) + " (" + kNames[i] + ") is required");
    const ValueType& t = ctx.input_type(i);
    if (!t.is_tensor()) return ctx.error(std::string(kNames[i]) + " must be a tensor, got " + type_string(t));
    if (i > 0 && t.has_shape) {
      int64_t size = 1;
      for (const auto& d : t.shape) size *= d.is_known() ? d.value() : 1;
      if (t.rank() > 1 || size != 1)
        return ctx.error(std::string(kNames[i]) + " must be a scalar or have one element, got " + type_string(t));
    }
  }
  const DType zt = ctx.input_type(2).dtype;
  int32_t lo = 0, hi = 0;
  if (ctx.input_type(0).dtype != DType::kFloat32 || ctx.input_type(1).dtype != DType::kFloat32 ||
      !quantized_range(zt, &lo, &hi))
    return ctx.error("X and scale must be float and zero_point int8, uint8, int16 or uint16, got " +
                     std::string(dtype_name(ctx.input_type(0).dtype)) + ", " +
                     std::string(dtype_name(ctx.input_type(1).dtype)) + " and " + std::string(dtype_name(zt)));
  ctx.outputs[0] = ctx.input_type(0);
  return Status::ok();
}

// SquaredDistances(X, V): X [N, K] and V [M, K] float32 -> [N, M].
Status infer_squared_distances(InferContext& ctx) {
  static const char* kNames[] = {"X", "V"};
  for (size_t i = 0; i < 2; ++i) {
    if (!ctx.has_input(i)) return ctx.error(std::string("input ") + std::to_string(i) + " (" + kNames[i] + ") is required");
    const ValueType& t = ctx.input_type(i);
    if (!t.is_tensor() || t.dtype != DType::kFloat32 || (t.has_shape && t.rank() != 2))
      return ctx.error(std::string(kNames[i]) + " must be a 2-D float tensor, got " + type_string(t));
  }
  const ValueType& x = ctx.input_type(0);
  const ValueType& v = ctx.input_type(1);
  if (x.has_shape && v.has_shape && x.shape[1].is_known() && v.shape[1].is_known() &&
      x.shape[1].value() != v.shape[1].value())
    return ctx.error("X " + type_string(x) + " and V " + type_string(v) + " must have the same number of columns");
  SymShape out = {x.has_shape ? x.shape[0] : ctx.fresh_dim(), v.has_shape ? v.shape[0] : ctx.fresh_dim()};
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, out);
  return Status::ok();
}

constexpr OpInfo kFusedOps[] = {
    {kFusedDomain, "SquaredDistances", &infer_squared_distances},
    {kFusedDomain, "QuantizeDequantize", &infer_quantize_dequantize},
    {kFusedDomain, "MatMulIntegerToFloat", &infer_matmul_integer_to_float},
    {kFusedDomain, "FusedConv", &infer_fused_conv},
    {kFusedDomain, "FusedMatMul", &infer_fused_matmul},
    {kFusedDomain, "FusedAttention", &infer_fused_attention},
    {kFusedDomain, "Swish", &infer_fused_swish},
    {kFusedDomain, "Gelu", &infer_fused_gelu},
    {kFusedDomain, "Mish", &infer_fused_mish},
    {kFusedDomain, "RMSNormalization", &infer_fused_rms_norm},
    {kFusedDomain, "LayerNormalization", &infer_fused_layer_norm},
};

}  // namespace

Expected<FusedActivation> read_fused_activation(const Node& node) {
  AttrReader a(node);
  const std::string name = a.s("activation", "");
  const std::vector<float> params = a.floats("activation_params", {});
  ONNXRT_RETURN_IF_ERROR(a.status());
  for (const ActName& n : kActs) {
    if (n.name != name) continue;
    if (params.size() != n.num_params)
      return invalid_model(node.describe() + ": activation '" + name + "' takes " +
                           std::to_string(n.num_params) + " activation_params, got " +
                           std::to_string(params.size()));
    FusedActivation out;
    out.kind = n.kind;
    if (params.size() > 0) out.p0 = params[0];
    if (params.size() > 1) out.p1 = params[1];
    if (params.size() > 2) out.p2 = params[2];
    if (params.size() > 3) out.p3 = params[3];
    if (out.kind == FusedAct::kQuantizeDequantize) {
      // The kernels convert zero point and range to int32: integers of a 16-bit type's size.
      auto integral = [](float v) { return v == std::nearbyint(v) && v >= -65536.f && v <= 65536.f; };
      if (!integral(out.p1) || !integral(out.p2) || !integral(out.p3) || out.p2 > out.p3)
        return invalid_model(node.describe() + ": activation 'QuantizeDequantize' takes scale, zero point, lo, hi "
                             "with integral zero point and lo <= hi within +-65536");
    }
    return out;
  }
  return invalid_model(node.describe() + ": unknown activation '" + name + "'");
}

std::string_view fused_activation_name(FusedAct kind) {
  for (const ActName& n : kActs)
    if (n.kind == kind) return n.name;
  return "";
}

size_t fused_activation_num_params(FusedAct kind) {
  for (const ActName& n : kActs)
    if (n.kind == kind) return n.num_params;
  return 0;
}

std::span<const OpInfo> fused_op_infos() { return kFusedOps; }

}  // namespace onnxrt::ir
