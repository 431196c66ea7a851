// Inference for the remaining tensor-family ops: Compress, Unique, EyeLike, CenterCropPad,
// Col2Im, Det. (ScatterND/ScatterElements/Scatter, Trilu, ReverseSequence and TensorScatter keep
// the input's type: infer_same_as_input0.)
#include <algorithm>

#include "ir/infer_tensor_util.h"

namespace onnxrt::ir::tensor_infer {
namespace {

std::string shp(const SymShape& s) { return shape_to_string(s); }

}  // namespace

// Compress: the output length is the number of true conditions, known whenever the condition
// is (always at run time), so the op needs no data-dependent allocation.
Status infer_compress(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "condition"));
  const ValueType& in = ctx.input_type(0);
  const ValueType& ct = ctx.input_type(1);
  if (ct.dtype != DType::kBool && ct.dtype != DType::kUndefined)
    return ctx.error("input 1 (condition) must be bool, got " + std::string(dtype_name(ct.dtype)));
  if (ct.has_shape && ct.rank() != 1)
    return ctx.error("input 1 (condition) must be 1-D, got shape " + shp(ct.shape));
  AttrReader a(ctx.node());
  const bool has_axis = a.has("axis");
  const int64_t axis = a.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  Dim n = ctx.fresh_dim();
  const Tensor* cv = ctx.input_value(1);
  int64_t len = 0;
  if (cv && cv->dtype() == DType::kBool) {
    len = cv->size();
    int64_t c = 0;
    for (int64_t i = 0; i < cv->size(); ++i) c += cv->data<bool>()[i] ? 1 : 0;
    n = Dim(c);
  }
  if (!has_axis) {
    if (cv && in.has_shape && shape_is_static(in.shape)) {
      const int64_t total = shape_size(to_static_shape(in.shape));
      if (len > total)
        return ctx.error("condition has " + std::to_string(len) + " entries for an input of " +
                         std::to_string(total) + " elements");
    }
    ctx.outputs[0] = ValueType::tensor(in.dtype, {n});
    return Status::ok();
  }
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  auto ax = norm_axis(axis, in.rank());
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for input " + shp(in.shape));
  SymShape out = in.shape;
  const Dim d = out[static_cast<size_t>(*ax)];
  if (cv && d.is_known() && len > d.value())
    return ctx.error("condition has " + std::to_string(len) + " entries but axis " +
                     std::to_string(*ax) + " of input " + shp(in.shape) + " has size " +
                     std::to_string(d.value()));
  out[static_cast<size_t>(*ax)] = n;
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

// Unique: every output length depends on the data.
Status infer_unique(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "X"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool has_axis = a.has("axis");
  const int64_t axis = a.i("axis", 0);
  a.i("sorted", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const Dim u = ctx.fresh_dim();
  Dim inv = ctx.fresh_dim();
  if (has_axis) {
    if (!in.has_shape) {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    } else {
      auto ax = norm_axis(axis, in.rank());
      if (!ax)
        return ctx.error("axis " + std::to_string(axis) + " out of range for input " +
                         shp(in.shape));
      SymShape out = in.shape;
      inv = out[static_cast<size_t>(*ax)];
      out[static_cast<size_t>(*ax)] = u;
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    }
  } else {
    ctx.outputs[0] = ValueType::tensor(in.dtype, {u});
    if (in.has_shape) inv = dim_product(in.shape, 0, in.shape.size(), ctx);
  }
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(DType::kInt64, {u});
  if (ctx.num_outputs() > 2) ctx.outputs[2] = ValueType::tensor(DType::kInt64, {inv});
  if (ctx.num_outputs() > 3) ctx.outputs[3] = ValueType::tensor(DType::kInt64, {u});
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_eye_like(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool has_dtype = a.has("dtype");
  const int64_t dt = a.i("dtype", 0);
  a.i("k", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  DType out_t = in.dtype;
  if (has_dtype) {
    if (!dtype_is_valid(static_cast<int32_t>(dt)) || dt == 0 || dt == static_cast<int64_t>(DType::kString))
      return ctx.error("attribute 'dtype' " + std::to_string(dt) + " is not a supported element type");
    out_t = static_cast<DType>(dt);
  }
  if (in.has_shape && in.rank() != 2)
    return ctx.error("input " + shp(in.shape) + " must be 2-D");
  ctx.outputs[0] = in.has_shape ? ValueType::tensor(out_t, in.shape)
                                : ValueType::tensor(out_t, {ctx.fresh_dim(), ctx.fresh_dim()});
  return Status::ok();
}

Status infer_center_crop_pad(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input_data"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "shape"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool has_axes = a.has("axes");
  std::vector<int64_t> axes = a.ints("axes");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  if (!has_axes)
    for (int64_t i = 0; i < in.rank(); ++i) axes.push_back(i);
  ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> ax, normalize_axes(axes, in.rank(), ctx));
  SymShape out = in.shape;
  auto target = dims_value(ctx, 1);
  if (target && target->size() != ax.size())
    return ctx.error("shape " + shp(*target) + " has " + std::to_string(target->size()) +
                     " entries for " + std::to_string(ax.size()) + " axes");
  for (size_t i = 0; i < ax.size(); ++i) {
    Dim d = target ? (*target)[i] : ctx.fresh_dim();
    if (d.is_known() && d.value() < 0)
      return ctx.error("shape " + shp(*target) + " has a negative entry");
    out[static_cast<size_t>(ax[i])] = d;
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

Status infer_col2im(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "image_shape"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "block_shape"));
  const ValueType& in = ctx.input_type(0);
  if (in.has_shape && in.rank() != 3)
    return ctx.error("input " + shp(in.shape) + " must be 3-D (N, C * prod(block_shape), L)");
  auto image = const_ints(ctx, 1);
  auto block = const_ints(ctx, 2);
  const ValueType& it = ctx.input_type(1);
  if (!image) {
    if (it.has_shape && it.rank() == 1 && it.shape[0].is_known()) {
      SymShape out{in.has_shape ? in.shape[0] : ctx.fresh_dim(), ctx.fresh_dim()};
      for (int64_t i = 0; i < it.shape[0].value(); ++i) out.push_back(ctx.fresh_dim());
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    } else {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    }
    return Status::ok();
  }
  if (block && block->size() != image->size())
    return ctx.error("block_shape " + ints_to_string(*block) + " and image_shape " +
                     ints_to_string(*image) + " differ in length");
  SymShape out{in.has_shape ? in.shape[0] : ctx.fresh_dim(), ctx.fresh_dim()};
  if (block && in.has_shape && in.shape[1].is_known()) {
    int64_t p = 1;
    for (int64_t b : *block) {
      if (b <= 0) return ctx.error("block_shape " + ints_to_string(*block) + " must be positive");
      if (__builtin_mul_overflow(p, b, &p))
        return ctx.error("block_shape " + ints_to_string(*block) + " has a product past int64");
    }
    if (in.shape[1].value() % p != 0)
      return ctx.error("input dim 1 (" + std::to_string(in.shape[1].value()) +
                       ") is not divisible by prod(block_shape) = " + std::to_string(p));
    out[1] = Dim(in.shape[1].value() / p);
  }
  for (int64_t d : *image) {
    if (d < 0) return ctx.error("image_shape " + ints_to_string(*image) + " has a negative entry");
    out.push_back(Dim(d));
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

Status infer_det(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "X"));
  const ValueType& in = ctx.input_type(0);
  if (!dtype_is_float(in.dtype) && in.dtype != DType::kUndefined)
    return ctx.error("input X must be a float tensor, got " + std::string(dtype_name(in.dtype)));
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  if (in.rank() < 2) return ctx.error("input " + shp(in.shape) + " must have rank >= 2");
  const Dim m = in.shape[in.shape.size() - 2], n = in.shape.back();
  if (m.is_known() && n.is_known() && m.value() != n.value())
    return ctx.error("input " + shp(in.shape) + " must hold square matrices");
  ctx.outputs[0] = ValueType::tensor(in.dtype, SymShape(in.shape.begin(), in.shape.end() - 2));
  return Status::ok();
}

}  // namespace onnxrt::ir::tensor_infer
