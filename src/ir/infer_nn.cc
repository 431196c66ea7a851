// Shape inference for the neural-network family. Conv and the windowed pools live in
// infer_nn_window.cc; the ops here keep X's shape or reduce the spatial dims.
#include <string>

#include "ir/infer_nn_window.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

Status require_float_x(const InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("needs input 0");
  const ValueType& xt = ctx.input_type(0);
  if (!xt.is_tensor() || !is_float_type(xt.dtype))
    return ctx.error("input 0 must be a float tensor, got " + type_string(xt));
  return Status::ok();
}

Status require_min_rank(const InferContext& ctx, int64_t min_rank, const char* what) {
  const ValueType& xt = ctx.input_type(0);
  if (xt.has_shape && xt.rank() < min_rank)
    return ctx.error(std::string("X must have rank >= ") + std::to_string(min_rank) + " (" + what +
                     "), got " + type_string(xt));
  return Status::ok();
}

Status check_axis(InferContext& ctx, int64_t axis) {
  const ValueType& xt = ctx.input_type(0);
  if (!xt.has_shape) return Status::ok();
  // A scalar has no axis, yet Softmax on rank 0 is accepted by the coercion rule of opset < 13.
  auto r = normalize_axis(axis, xt.rank() == 0 ? 1 : xt.rank(), ctx);
  return r ? Status::ok() : r.status();
}

Status infer_softmax(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", ctx.opset() >= 13 ? -1 : 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_RETURN_IF_ERROR(check_axis(ctx, axis));
  ctx.outputs[0] = ctx.input_type(0);
  return Status::ok();
}

Status infer_global_pool(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  ONNXRT_RETURN_IF_ERROR(require_min_rank(ctx, 3, "N, C, spatial..."));
  const ValueType& xt = ctx.input_type(0);
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  SymShape out = xt.shape;
  for (size_t d = 2; d < out.size(); ++d) out[d] = Dim(1);
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

Status infer_batchnorm(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  for (size_t i = 1; i < 5; ++i)
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor())
      return ctx.error("needs 5 tensor inputs (X, scale, B, mean, var); input " +
                       std::to_string(i) + " is missing");
  const ValueType& xt = ctx.input_type(0);
  ONNXRT_RETURN_IF_ERROR(require_min_rank(ctx, 2, "N, C, ..."));
  AttrReader a(ctx.node());
  const bool spatial = ctx.opset() >= 9 || a.i("spatial", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (xt.has_shape && spatial) {
    for (size_t i = 1; i < 5; ++i) {
      const ValueType& t = ctx.input_type(i);
      if (t.has_shape && (t.rank() != 1 || (t.shape[0].is_known() && xt.shape[1].is_known() &&
                                            t.shape[0] != xt.shape[1])))
        return ctx.error("input " + std::to_string(i) + " must have shape [C] = [" +
                         shape_to_string(SymShape{xt.shape[1]}) + "], got " + type_string(t));
    }
  }
  ctx.outputs[0] = xt;
  // Training-mode statistics have the shape of the running mean / variance.
  for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.outputs[i] = ctx.input_type(i < 3 ? 2 + i : i);
  return Status::ok();
}

Status infer_layernorm(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  if (!ctx.has_input(1)) return ctx.error("needs input 1 (Scale)");
  const ValueType& xt = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  const int64_t stash = a.i("stash_type", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(stash)) ||
      !is_float_type(static_cast<DType>(stash)))
    return ctx.error("stash_type " + std::to_string(stash) + " must be a float type");
  const DType u = static_cast<DType>(stash);
  ctx.outputs[0] = xt;
  if (!xt.has_shape) {
    for (size_t i = 1; i < ctx.num_outputs(); ++i)
      ctx.outputs[i] = ValueType::tensor_unknown_rank(u);
    return Status::ok();
  }
  auto ax = normalize_axis(axis, xt.rank(), ctx);
  if (!ax) return ax.status();
  SymShape stat(xt.shape.begin(), xt.shape.begin() + *ax);
  stat.resize(xt.shape.size(), Dim(1));
  for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.outputs[i] = ValueType::tensor(u, stat);
  return Status::ok();
}

Status infer_channel_norm(InferContext& ctx) {  // InstanceNormalization, GroupNormalization
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  if (!ctx.has_input(1) || !ctx.has_input(2))
    return ctx.error("needs inputs scale and B");
  ONNXRT_RETURN_IF_ERROR(require_min_rank(ctx, 2, "N, C, ..."));
  if (ctx.node().op_type == "GroupNormalization") {
    AttrReader a(ctx.node());
    a.required("num_groups", AttrKind::kInt);
    const int64_t g = a.i("num_groups", 0);
    ONNXRT_RETURN_IF_ERROR(a.status());
    const ValueType& xt = ctx.input_type(0);
    if (g <= 0) return ctx.error("num_groups " + std::to_string(g) + " must be positive");
    if (xt.has_shape && xt.shape[1].is_known() && xt.shape[1].value() % g != 0)
      return ctx.error("channels " + std::to_string(xt.shape[1].value()) +
                       " are not divisible by num_groups " + std::to_string(g));
  }
  ctx.outputs[0] = ctx.input_type(0);
  return Status::ok();
}

Status infer_lp_norm(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  const int64_t p = a.i("p", 2);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (p != 1 && p != 2) return ctx.error("p " + std::to_string(p) + " must be 1 or 2");
  ONNXRT_RETURN_IF_ERROR(check_axis(ctx, axis));
  ctx.outputs[0] = ctx.input_type(0);
  return Status::ok();
}

Status infer_lrn(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  ONNXRT_RETURN_IF_ERROR(require_min_rank(ctx, 2, "N, C, ..."));
  AttrReader a(ctx.node());
  a.required("size", AttrKind::kInt);
  const int64_t size = a.i("size", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (size <= 0) return ctx.error("size " + std::to_string(size) + " must be positive");
  ctx.outputs[0] = ctx.input_type(0);
  return Status::ok();
}

Status infer_dropout(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  const ValueType& xt = ctx.input_type(0);
  ctx.outputs[0] = xt;
  if (ctx.num_outputs() > 1) {
    // The mask became bool in opset 10; before that it had the data's type.
    ValueType m = xt;
    m.dtype = ctx.opset() >= 10 ? DType::kBool : xt.dtype;
    ctx.outputs[1] = m;
  }
  return Status::ok();
}

// SwiGLU (opset 28): A and B must have identical shapes; no broadcasting.
Status infer_swiglu(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  if (!ctx.has_input(1) || !ctx.input_type(1).is_tensor()) return ctx.error("needs input 1 (B)");
  const ValueType& a = ctx.input_type(0);
  const ValueType& b = ctx.input_type(1);
  if (b.dtype != a.dtype) return ctx.error("B " + type_string(b) + " must have A's type " + type_string(a));
  ValueType out = a;
  if (a.has_shape && b.has_shape) {
    if (a.rank() != b.rank())
      return ctx.error("A " + type_string(a) + " and B " + type_string(b) + " must have identical shapes");
    for (size_t d = 0; d < a.shape.size(); ++d) {
      if (a.shape[d].is_known() && b.shape[d].is_known() && a.shape[d] != b.shape[d])
        return ctx.error("A " + type_string(a) + " and B " + type_string(b) + " must have identical shapes");
      if (!a.shape[d].is_known() && b.shape[d].is_known()) out.shape[d] = b.shape[d];
    }
  } else if (b.has_shape) {
    out = b;
    out.dtype = a.dtype;
  }
  out.sym_value.reset();
  ctx.outputs[0] = std::move(out);
  return Status::ok();
}

// CausalConvWithState (opset 27): input (B, C, L), weight (C, 1, K) -> output (B, C, L),
// present_state (B, C, K - 1).
Status infer_causal_conv(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_x(ctx));
  if (!ctx.has_input(1) || !ctx.input_type(1).is_tensor()) return ctx.error("needs input 1 (weight)");
  const ValueType& x = ctx.input_type(0);
  const ValueType& w = ctx.input_type(1);
  if (w.dtype != x.dtype) return ctx.error("weight " + type_string(w) + " must have input's type");
  if (x.has_shape && x.rank() != 3) return ctx.error("input must have rank 3, got " + type_string(x));
  if (w.has_shape && w.rank() != 3) return ctx.error("weight must have rank 3, got " + type_string(w));
  AttrReader a(ctx.node());
  const std::string act = a.s("activation", "none");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (act != "none" && act != "silu" && act != "swish")
    return ctx.error("activation must be none, silu or swish, got '" + act + "'");
  ctx.outputs[0] = x;
  if (ctx.num_outputs() > 1) {
    Dim k1 = ctx.fresh_dim();
    if (w.has_shape && w.shape[2].is_known()) {
      if (w.shape[2].value() < 1) return ctx.error("kernel size must be >= 1, got " + type_string(w));
      k1 = Dim(w.shape[2].value() - 1);
    }
    ctx.outputs[1] = x.has_shape ? ValueType::tensor(x.dtype, SymShape{x.shape[0], x.shape[1], k1})
                                 : ValueType::tensor_unknown_rank(x.dtype);
  }
  return Status::ok();
}

const OpInfo kNnOps[] = {
    {"", "CausalConvWithState", &infer_causal_conv},
    {"", "SwiGLU", &infer_swiglu},
    {"", "Conv", &infer_conv},
    {"", "MaxPool", &infer_pool},
    {"", "AveragePool", &infer_pool},
    {"", "LpPool", &infer_pool},
    {"", "GlobalAveragePool", &infer_global_pool},
    {"", "GlobalMaxPool", &infer_global_pool},
    {"", "GlobalLpPool", &infer_global_pool},
    {"", "BatchNormalization", &infer_batchnorm},
    {"", "LayerNormalization", &infer_layernorm},
    {"", "InstanceNormalization", &infer_channel_norm},
    {"", "GroupNormalization", &infer_channel_norm},
    {"", "LpNormalization", &infer_lp_norm},
    {"", "LRN", &infer_lrn},
    {"", "Softmax", &infer_softmax},
    {"", "LogSoftmax", &infer_softmax},
    {"", "Hardmax", &infer_softmax},
    {"", "Dropout", &infer_dropout},
};

}  // namespace

std::span<const OpInfo> nn_op_infos() { return kNnOps; }

}  // namespace onnxrt::ir
