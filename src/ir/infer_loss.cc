// Shape inference for the loss family: SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss.
// Scores are [N, C, d1, ...], labels [N, d1, ...]; the loss is per element (reduction "none")
// or a scalar; SoftmaxCrossEntropyLoss's optional second output (log_prob) has the scores' shape.
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

Status infer_loss(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs the scores and the labels");
  const ValueType& xt = ctx.input_type(0);
  const ValueType& lt = ctx.input_type(1);
  if (!xt.is_tensor() || !is_float_type(xt.dtype))
    return ctx.error("input 0 (scores) must be a float tensor, got " + type_string(xt));
  if (!lt.is_tensor() || (lt.dtype != DType::kInt32 && lt.dtype != DType::kInt64))
    return ctx.error("input 1 (labels) must be int32 or int64, got " + type_string(lt));
  if (ctx.has_input(2)) {
    const ValueType& wt = ctx.input_type(2);
    if (!wt.is_tensor() || wt.dtype != xt.dtype || (wt.has_shape && wt.rank() != 1))
      return ctx.error("input 2 (weights) must be 1-D with the scores' type, got " + type_string(wt));
    if (wt.has_shape && xt.has_shape && xt.rank() >= 2 && wt.shape[0].is_known() &&
        xt.shape[1].is_known() && wt.shape[0] != xt.shape[1])
      return ctx.error("weights " + type_string(wt) + " must have C = " +
                       std::to_string(xt.shape[1].value()) + " elements");
  }
  AttrReader a(ctx.node());
  const std::string reduction = a.s("reduction", "mean");
  a.i("ignore_index", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return ctx.error("reduction '" + reduction + "' must be none, sum or mean");
  if (xt.has_shape && xt.rank() < 2)
    return ctx.error("scores must have rank >= 2 ([N, C, ...]), got " + type_string(xt));
  if (xt.has_shape && lt.has_shape) {
    bool ok = lt.rank() == xt.rank() - 1;
    for (int64_t d = 0; ok && d < lt.rank(); ++d) {
      const Dim& ld = lt.shape[static_cast<size_t>(d)];
      const Dim& xd = xt.shape[static_cast<size_t>(d == 0 ? 0 : d + 1)];
      if (ld.is_known() && xd.is_known() && ld != xd) ok = false;
    }
    if (!ok)
      return ctx.error("labels " + type_string(lt) + " must have the scores' shape " + type_string(xt) +
                       " without the class dim 1");
  }
  if (reduction != "none") {
    ctx.outputs[0] = ValueType::tensor(xt.dtype, {});
  } else if (xt.has_shape) {
    SymShape s = xt.shape;
    s.erase(s.begin() + 1);
    // Labels may know a dim that the scores leave symbolic.
    if (lt.has_shape && lt.rank() == static_cast<int64_t>(s.size()))
      for (size_t d = 0; d < s.size(); ++d)
        if (!s[d].is_known() && lt.shape[d].is_known()) s[d] = lt.shape[d];
    ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(s));
  } else if (lt.has_shape) {
    ctx.outputs[0] = ValueType::tensor(xt.dtype, lt.shape);
  } else {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
  }
  if (ctx.num_outputs() > 1) {
    if (ctx.node().op_type != "SoftmaxCrossEntropyLoss")
      return ctx.error("has one output (loss), got " + std::to_string(ctx.num_outputs()));
    ctx.outputs[1] = xt;
  }
  return Status::ok();
}

constexpr OpInfo kLossOps[] = {
    {"", "SoftmaxCrossEntropyLoss", &infer_loss},
    {"", "NegativeLogLikelihoodLoss", &infer_loss},
};

}  // namespace

std::span<const OpInfo> loss_op_infos() { return kLossOps; }

}  // namespace onnxrt::ir
