// Inference for reductions (Reduce*), ArgMax/ArgMin, TopK and CumSum/CumProd.
#include <algorithm>

#include "ir/infer_tensor_util.h"

namespace onnxrt::ir::tensor_infer {

// The opset from which a Reduce op takes its axes as input 1 (and noop_with_empty_axes exists).
int reduce_axes_input_since(std::string_view op) { return op == "ReduceSum" ? 13 : 18; }

Status infer_reduce(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  const int since = reduce_axes_input_since(ctx.node().op_type);
  AttrReader a(ctx.node());
  const bool keep = a.i("keepdims", 1) != 0;
  const bool noop = ctx.opset() >= since && a.i("noop_with_empty_axes", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  AxesArg ax = read_axes(ctx, since, 1);
  if (ax.present && ctx.opset() >= since) {
    const ValueType& at = ctx.input_type(1);
    if (!at.is_tensor() || (at.dtype != DType::kInt64 && at.dtype != DType::kInt32))
      return ctx.error("input 1 (axes) must be an int64 tensor, got " + type_string(at));
    if (at.has_shape && at.rank() > 1)
      return ctx.error("input 1 (axes) must be 1-D, got rank " + std::to_string(at.rank()));
    // A non-constant axes input of static length 0 is still known: no axes.
    if (!ax.known && at.has_shape && at.rank() == 1 && at.shape[0].is_known() && at.shape[0].value() == 0) {
      ax.known = true;
      ax.axes.clear();
    }
  }
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  const int64_t r = in.rank();
  if (!ax.known) {
    const ValueType& at = ctx.input_type(1);
    if (keep) {
      // Which axes are reduced is unknown, but a size-1 dim stays 1 either way.
      SymShape out;
      for (int64_t i = 0; i < r; ++i) {
        const Dim& d = in.shape[static_cast<size_t>(i)];
        out.push_back(d.is_known() && d.value() == 1 ? Dim(1) : ctx.fresh_dim());
      }
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    } else if (at.has_shape && at.rank() == 1 && at.shape[0].is_known() &&
               at.shape[0].value() > 0 && at.shape[0].value() <= r) {
      SymShape out;
      for (int64_t i = 0; i < r - at.shape[0].value(); ++i) out.push_back(ctx.fresh_dim());
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    } else {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    }
    return Status::ok();
  }
  if (ax.axes.empty() && noop) {
    ctx.outputs[0] = ValueType::tensor(in.dtype, in.shape);
    return Status::ok();
  }
  ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(ax.axes, r, ctx));
  SymShape out;
  for (int64_t i = 0; i < r; ++i) {
    const bool reduced = axes.empty() || std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) out.push_back(in.shape[static_cast<size_t>(i)]);
    else if (keep) out.push_back(Dim(1));
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

Status infer_arg_reduce(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 0);
  const bool keep = a.i("keepdims", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kInt64);
    return Status::ok();
  }
  auto ax = norm_axis(axis, in.rank());
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(in.rank()));
  SymShape out = in.shape;
  if (keep) out[static_cast<size_t>(*ax)] = Dim(1);
  else out.erase(out.begin() + *ax);
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, out);
  return Status::ok();
}

Status infer_topk(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "X"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  std::optional<int64_t> k;
  if (ctx.opset() < 10) {
    if (!a.has("k")) return ctx.error("attribute 'k' is required");
    k = a.i("k", 0);
  } else {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "K"));
    if (auto v = const_ints(ctx, 1)) {
      if (v->size() != 1)
        return ctx.error("K must hold one value, got " + ints_to_string(*v));
      k = (*v)[0];
    }
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ctx.num_outputs() != 2) return ctx.error("expects 2 outputs (Values, Indices)");
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    ctx.outputs[1] = ValueType::tensor_unknown_rank(DType::kInt64);
    return Status::ok();
  }
  auto ax = norm_axis(axis, in.rank());
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(in.rank()));
  SymShape out = in.shape;
  Dim& d = out[static_cast<size_t>(*ax)];
  if (k) {
    if (*k < 0) return ctx.error("k " + std::to_string(*k) + " must be >= 0");
    if (d.is_known() && *k > d.value())
      return ctx.error("k " + std::to_string(*k) + " exceeds axis " + std::to_string(*ax) +
                       " of size " + std::to_string(d.value()));
    d = Dim(*k);
  } else {
    d = ctx.fresh_dim();
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  ctx.outputs[1] = ValueType::tensor(DType::kInt64, out);
  return Status::ok();
}

Status infer_cumulative(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "x"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "axis"));
  const ValueType& in = ctx.input_type(0);
  const ValueType& at = ctx.input_type(1);
  if (at.dtype != DType::kInt64 && at.dtype != DType::kInt32)
    return ctx.error("input 1 (axis) must be int32 or int64, got " + type_string(at));
  if (at.has_shape && (at.rank() > 1 || (at.rank() == 1 && at.shape[0].is_known() && at.shape[0].value() != 1)))
    return ctx.error("input 1 (axis) must be a scalar, got shape " + shape_to_string(at.shape));
  AttrReader a(ctx.node());
  a.i("exclusive", 0);
  a.i("reverse", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (in.has_shape) {
    if (auto v = const_ints(ctx, 1); v && v->size() == 1 && !norm_axis((*v)[0], in.rank()))
      return ctx.error("axis " + std::to_string((*v)[0]) + " out of range for rank " +
                       std::to_string(in.rank()));
    ctx.outputs[0] = ValueType::tensor(in.dtype, in.shape);
  } else {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
  }
  return Status::ok();
}

}  // namespace onnxrt::ir::tensor_infer

namespace onnxrt::ir {
namespace {
using tensor_infer::infer_arg_reduce;
using tensor_infer::infer_cumulative;
using tensor_infer::infer_reduce;
using tensor_infer::infer_topk;
const OpInfo kReduceOps[] = {
    {"", "ReduceSum", &infer_reduce},
    {"", "ReduceMean", &infer_reduce},
    {"", "ReduceMax", &infer_reduce},
    {"", "ReduceMin", &infer_reduce},
    {"", "ReduceProd", &infer_reduce},
    {"", "ReduceL1", &infer_reduce},
    {"", "ReduceL2", &infer_reduce},
    {"", "ReduceLogSum", &infer_reduce},
    {"", "ReduceLogSumExp", &infer_reduce},
    {"", "ReduceSumSquare", &infer_reduce},
    {"", "ArgMax", &infer_arg_reduce},
    {"", "ArgMin", &infer_arg_reduce},
    {"", "TopK", &infer_topk},
    {"", "CumSum", &infer_cumulative},
    {"", "CumProd", &infer_cumulative},
};
}  // namespace

std::span<const OpInfo> reduce_op_infos() { return kReduceOps; }

}  // namespace onnxrt::ir
