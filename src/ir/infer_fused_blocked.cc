// Inference of the channel-blocked ops (contract in ir/infer_fused.h): ToBlocked, FromBlocked and
// BlockedConv. A blocked tensor [N, C/8, H, W, 8] is an ordinary float32 tensor to the rest of
// the engine (planner, executor); only these ops know what its dims mean.
#include <string>

#include "ir/infer.h"
#include "ir/infer_fused.h"
#include "ir/infer_nn_window.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

constexpr int64_t kLanes = kChannelBlock;

Status require_float32(InferContext& ctx, size_t i, size_t rank, const char* what) {
  if (!ctx.has_input(i)) return ctx.error(std::string("needs input ") + std::to_string(i) + " (" + what + ")");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || t.dtype != DType::kFloat32)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must be a float32 tensor, got " +
                     type_string(t));
  if (t.has_shape && t.rank() != rank)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") must have rank " +
                     std::to_string(rank) + ", got " + type_string(t));
  return Status::ok();
}

// The last dim of a blocked input must be the block (when known).
Status require_blocked(InferContext& ctx, size_t i, const char* what) {
  ONNXRT_RETURN_IF_ERROR(require_float32(ctx, i, 5, what));
  const ValueType& t = ctx.input_type(i);
  if (t.has_shape && t.shape[4].is_known() && t.shape[4].value() != kLanes)
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + what + ") " + type_string(t) +
                     " must be channel-blocked [N, C/8, H, W, 8]");
  return Status::ok();
}

Status infer_to_blocked(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float32(ctx, 0, 4, "X"));
  const ValueType& t = ctx.input_type(0);
  if (!t.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  const Dim c = t.shape[1];
  if (!c.is_known() || c.value() % kLanes != 0)
    return ctx.error("X " + type_string(t) + " must have a known number of channels that is a multiple of 8");
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, {t.shape[0], c.value() / kLanes, t.shape[2], t.shape[3], kLanes});
  return Status::ok();
}

Status infer_from_blocked(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_blocked(ctx, 0, "X"));
  const ValueType& t = ctx.input_type(0);
  if (!t.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  const Dim cb = t.shape[1];
  if (!cb.is_known()) return ctx.error("X " + type_string(t) + " must have a known number of channel blocks");
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, {t.shape[0], cb.value() * kLanes, t.shape[2], t.shape[3]});
  return Status::ok();
}

Status infer_blocked_conv(InferContext& ctx) {
  auto act = read_fused_activation(ctx.node());
  if (!act) return act.status();
  AttrReader a(ctx.node());
  const std::string x_layout = a.s("x_layout", "blocked");
  const bool x_nchw = x_layout == "NCHW";
  if (!x_nchw && x_layout != "blocked")
    return ctx.error("x_layout '" + x_layout + "' must be 'blocked' or 'NCHW'");
  if (x_nchw) {
    ONNXRT_RETURN_IF_ERROR(require_float32(ctx, 0, 4, "X"));
    if (ctx.has_input(3)) return ctx.error("takes no Z with x_layout 'NCHW'");
  } else {
    ONNXRT_RETURN_IF_ERROR(require_blocked(ctx, 0, "X"));
  }
  ONNXRT_RETURN_IF_ERROR(require_float32(ctx, 1, 4, "W"));
  const ValueType& xt = ctx.input_type(0);
  const ValueType& wt = ctx.input_type(1);
  if (!wt.has_shape || !shape_is_static(wt.shape)) return ctx.error("W must have a known shape, got " + type_string(wt));
  const int64_t m = wt.shape[0].value();
  if (m % kLanes != 0) return ctx.error("W " + type_string(wt) + " must have a multiple of 8 output channels");
  if (ctx.has_input(2)) {
    ONNXRT_RETURN_IF_ERROR(require_float32(ctx, 2, 1, "B"));
    const ValueType& bt = ctx.input_type(2);
    if (bt.has_shape && bt.shape[0].is_known() && bt.shape[0].value() != m)
      return ctx.error("B " + type_string(bt) + " must have W.shape[0] = " + std::to_string(m) + " elements");
  }
  const int64_t group = a.i("group", 1);
  WindowAttrs w;
  Status st = read_window_attrs(a, 2, {wt.shape[2].value(), wt.shape[3].value()}, false, &w);
  if (!st) return ctx.error(st.message());
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (group <= 0) return ctx.error("group " + std::to_string(group) + " must be positive");
  if (x_nchw && group != 1) return ctx.error("group " + std::to_string(group) + " must be 1 with x_layout 'NCHW'");
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  const int64_t x_channels_per_dim1 = x_nchw ? 1 : kLanes;
  if (xt.shape[1].is_known() && xt.shape[1].value() * x_channels_per_dim1 != wt.shape[1].value() * group)
    return ctx.error("X " + type_string(xt) + " has " + std::to_string(xt.shape[1].value() * x_channels_per_dim1) +
                     " channels, expected W.shape[1] * group = " + std::to_string(wt.shape[1].value() * group));
  SymShape out{xt.shape[0], m / kLanes, Dim(), Dim(), kLanes};
  for (size_t d = 0; d < 2; ++d) {
    const Dim in = xt.shape[2 + d];
    if (!in.is_known()) {
      out[2 + d] = ctx.fresh_dim();
      continue;
    }
    auto wd = window_dim(w, d, in.value());
    if (!wd) return ctx.error(wd.status().message());
    out[2 + d] = wd->out;
  }
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, std::move(out));
  return check_same_shape_input(ctx, 3, "Z");
}

}  // namespace

constexpr OpInfo kBlockedOps[] = {
    {kFusedDomain, "ToBlocked", &infer_to_blocked},
    {kFusedDomain, "FromBlocked", &infer_from_blocked},
    {kFusedDomain, "BlockedConv", &infer_blocked_conv},
};

std::span<const OpInfo> blocked_op_infos() { return kBlockedOps; }

}  // namespace onnxrt::ir
