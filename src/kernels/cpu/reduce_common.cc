#include "kernels/cpu/reduce_common.h"

#include <algorithm>

#include "ir/attribute.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels::reduce {

namespace {

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Expected<ReduceAttrs> read_reduce_attrs(const KernelInit& init) {
  static const std::pair<std::string_view, ReduceKind> kinds[] = {
      {"ReduceSum", ReduceKind::kSum},          {"ReduceMean", ReduceKind::kMean},
      {"ReduceMax", ReduceKind::kMax},          {"ReduceMin", ReduceKind::kMin},
      {"ReduceProd", ReduceKind::kProd},        {"ReduceL1", ReduceKind::kL1},
      {"ReduceL2", ReduceKind::kL2},            {"ReduceLogSum", ReduceKind::kLogSum},
      {"ReduceLogSumExp", ReduceKind::kLogSumExp}, {"ReduceSumSquare", ReduceKind::kSumSquare}};
  ReduceAttrs a;
  bool found = false;
  for (const auto& [name, kind] : kinds)
    if (init.node.op_type == name) {
      a.kind = kind;
      found = true;
    }
  if (!found) return init.error("not a Reduce op");
  const int since = a.kind == ReduceKind::kSum ? 13 : 18;
  ir::AttrReader r(init.node);
  a.keepdims = r.i("keepdims", 1) != 0;
  a.axes_from_input = init.node.opset >= since;
  if (a.axes_from_input) a.noop_with_empty_axes = r.i("noop_with_empty_axes", 0) != 0;
  else a.attr_axes = r.ints("axes");
  ONNXRT_RETURN_IF_ERROR(r.status());
  return a;
}

Expected<std::vector<bool>> reduced_axes(const KernelContext& ctx, const ReduceAttrs& a,
                                         int64_t rank) {
  std::vector<int64_t> axes = a.attr_axes;
  if (a.axes_from_input) {
    axes.clear();
    if (const Tensor* t = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr) {
      if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32)
        return ctx.error("axes must be int64, got " + std::string(dtype_name(t->dtype())));
      if (t->rank() > 1) return ctx.error("axes must be 1-D, got rank " + std::to_string(t->rank()));
      for (int64_t i = 0; i < t->size(); ++i)
        axes.push_back(t->dtype() == DType::kInt64 ? t->data<int64_t>()[i] : t->data<int32_t>()[i]);
    }
    if (axes.empty() && a.noop_with_empty_axes) return std::vector<bool>(static_cast<size_t>(rank), false);
  }
  if (axes.empty()) return std::vector<bool>(static_cast<size_t>(rank), true);
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  for (int64_t ax : axes) {
    if (ax < -rank || ax >= rank)
      return ctx.error("axis " + std::to_string(ax) + " out of range for rank " + std::to_string(rank));
    const size_t n = static_cast<size_t>(ax < 0 ? ax + rank : ax);
    if (mask[n]) return ctx.error("axes " + ints_str(axes) + " repeat axis " + std::to_string(ax));
    mask[n] = true;
  }
  return mask;
}

Status check_reduce_output(const KernelContext& ctx, const Shape& in, const std::vector<bool>& mask,
                           bool keepdims, const Tensor& out) {
  Shape want;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!mask[i]) want.push_back(in[i]);
    else if (keepdims) want.push_back(1);
  }
  if (out.shape() != want)
    return ctx.error("output shape " + shape_to_string(out.shape()) + " does not match expected " +
                     shape_to_string(want));
  return Status::ok();
}

Expected<int64_t> axis_for_rank(const KernelContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<int64_t> read_axis_input(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.num_inputs() > i ? ctx.input(i) : nullptr;
  if (!t) return ctx.error("input " + std::to_string(i) + " (axis) is required");
  if (t->size() != 1 || t->rank() > 1)
    return ctx.error("axis must be a scalar, got shape " + shape_to_string(t->shape()));
  if (t->dtype() == DType::kInt64) return t->data<int64_t>()[0];
  if (t->dtype() == DType::kInt32) return static_cast<int64_t>(t->data<int32_t>()[0]);
  return ctx.error("axis must be int32 or int64, got " + std::string(dtype_name(t->dtype())));
}

Expected<int64_t> read_k(const KernelContext& ctx, int opset, int64_t attr_k) {
  if (opset < 10) return attr_k;
  const Tensor* t = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  if (!t) return ctx.error("input 1 (K) is required");
  if (t->size() != 1 || t->rank() > 1)
    return ctx.error("K must hold one value, got shape " + shape_to_string(t->shape()));
  if (t->dtype() == DType::kInt64) return t->data<int64_t>()[0];
  if (t->dtype() == DType::kInt32) return static_cast<int64_t>(t->data<int32_t>()[0]);
  return ctx.error("K must be int64, got " + std::string(dtype_name(t->dtype())));
}

AxisSplit split_at_axis(const Shape& s, int64_t axis) {
  AxisSplit r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < axis) r.outer *= s[static_cast<size_t>(i)];
    else if (i == axis) r.n = s[static_cast<size_t>(i)];
    else r.inner *= s[static_cast<size_t>(i)];
  }
  return r;
}

}  // namespace onnxrt::kernels::reduce
