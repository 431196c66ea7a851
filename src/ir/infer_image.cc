// Shape inference of the image family: ConvTranspose, DeformConv, the sampling ops (GridSample,
// AffineGrid), the ROI ops (RoiAlign, MaxRoiPool) and MaxUnpool. Resize and Upsample live in
// infer_image_resize.cc.
#include <string>

#include "ir/infer_image.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

// Python-style floor division: the spec's pad split uses it, and negative total padding (an
// output_shape larger than the input covers) must split the same way as the reference.
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

Status require_float_input(const InferContext& ctx, size_t i, const char* name) {
  if (!ctx.has_input(i)) return ctx.error(std::string("needs input ") + name);
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || !is_float_type(t.dtype))
    return ctx.error("input " + std::to_string(i) + " (" + name + ") must be a float tensor, got " +
                     type_string(t));
  return Status::ok();
}

Status read_positive_list(AttrReader& a, const char* name, size_t n, std::vector<int64_t>* out) {
  *out = a.ints(name, {});
  if (out->empty()) {
    out->assign(n, 1);
    return Status::ok();
  }
  if (out->size() != n)
    return invalid_model(std::string(name) + " " + ints_str(*out) + " must have " +
                         std::to_string(n) + " values (one per spatial dim)");
  for (int64_t v : *out)
    if (v <= 0) return invalid_model(std::string(name) + " " + ints_str(*out) + " must be positive");
  return Status::ok();
}

}  // namespace

// ---------------------------------------------------------------- ConvTranspose geometry

Status read_convtranspose_attrs(const Node& node, size_t n, ConvTransposeAttrs* out) {
  AttrReader a(node);
  ConvTransposeAttrs r;
  r.group = a.i("group", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (r.group <= 0) return invalid_model("group " + std::to_string(r.group) + " must be positive");
  r.kernel = a.ints("kernel_shape", {});
  if (r.kernel.empty()) r.kernel.assign(n, -1);
  if (r.kernel.size() != n)
    return invalid_model("kernel_shape " + ints_str(r.kernel) + " must have " + std::to_string(n) +
                         " values");
  ONNXRT_RETURN_IF_ERROR(read_positive_list(a, "strides", n, &r.strides));
  ONNXRT_RETURN_IF_ERROR(read_positive_list(a, "dilations", n, &r.dilations));
  r.output_padding = a.ints("output_padding", {});
  if (r.output_padding.empty()) r.output_padding.assign(n, 0);
  if (r.output_padding.size() != n)
    return invalid_model("output_padding " + ints_str(r.output_padding) + " must have " +
                         std::to_string(n) + " values");
  for (size_t d = 0; d < n; ++d)
    if (r.output_padding[d] < 0)
      return invalid_model("output_padding " + ints_str(r.output_padding) + " must not be negative");
  r.pads = a.ints("pads", {});
  if (r.pads.empty()) r.pads.assign(2 * n, 0);
  if (r.pads.size() != 2 * n)
    return invalid_model("pads " + ints_str(r.pads) + " must have " + std::to_string(2 * n) +
                         " values");
  for (int64_t p : r.pads)
    if (p < 0) return invalid_model("pads " + ints_str(r.pads) + " must not be negative");
  r.output_shape = a.ints("output_shape", {});
  // Some exporters write the full [N, C, spatial...] shape; the spatial tail is what counts.
  if (r.output_shape.size() == n + 2) r.output_shape.erase(r.output_shape.begin(), r.output_shape.begin() + 2);
  if (!r.output_shape.empty() && r.output_shape.size() != n)
    return invalid_model("output_shape " + ints_str(r.output_shape) + " must have " +
                         std::to_string(n) + " values");
  for (int64_t v : r.output_shape)
    if (v < 0) return invalid_model("output_shape " + ints_str(r.output_shape) + " must not be negative");
  const std::string ap = a.s("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) r.auto_pad = AutoPad::kNotSet;
  else if (ap == "SAME_UPPER") r.auto_pad = AutoPad::kSameUpper;
  else if (ap == "SAME_LOWER") r.auto_pad = AutoPad::kSameLower;
  else if (ap == "VALID") r.auto_pad = AutoPad::kValid;
  else return invalid_model("auto_pad '" + ap + "' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  ONNXRT_RETURN_IF_ERROR(a.status());
  *out = std::move(r);
  return Status::ok();
}

Expected<ConvTransposeDim> convtranspose_dim(const ConvTransposeAttrs& a, size_t d, int64_t in,
                                             int64_t k) {
  const size_t n = a.strides.size();
  const int64_t s = a.strides[d];
  // Strides, dilations, pads and output_padding are attributes: the sums and products below
  // can leave int64. The builtins wrap without UB; the flag refuses the result before use.
  bool overflow = false;
  auto mul = [&](int64_t x, int64_t y) { int64_t v = 0; overflow |= __builtin_mul_overflow(x, y, &v); return v; };
  auto add = [&](int64_t x, int64_t y) { int64_t v = 0; overflow |= __builtin_add_overflow(x, y, &v); return v; };
  auto sub = [&](int64_t x, int64_t y) { int64_t v = 0; overflow |= __builtin_sub_overflow(x, y, &v); return v; };
  const int64_t dk = add(mul(k - 1, a.dilations[d]), 1);
  const int64_t full = add(add(mul(s, in - 1), a.output_padding[d]), dk);  // output with no padding
  ConvTransposeDim r;
  const bool same = a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower;
  if (!a.output_shape.empty() || same) {
    // The spec: total_padding = full - output_shape; SAME_UPPER puts the odd one at the end,
    // every other mode at the beginning. SAME without output_shape targets in * stride.
    r.out = !a.output_shape.empty() ? a.output_shape[d] : mul(in, s);
    const int64_t total = sub(full, r.out);
    r.pad_begin = a.auto_pad == AutoPad::kSameUpper ? floor_div(total, 2) : total - floor_div(total, 2);
  } else if (a.auto_pad == AutoPad::kValid) {
    r.out = full;
  } else {
    r.pad_begin = a.pads[d];
    r.out = sub(sub(full, a.pads[d]), a.pads[d + n]);
  }
  if (overflow)
    return invalid_argument("spatial dim " + std::to_string(d) + " of size " + std::to_string(in) + " with kernel " +
                            std::to_string(k) + ", stride " + std::to_string(s) + ", dilation " +
                            std::to_string(a.dilations[d]) + " and its pads: the output size overflows int64");
  if (in == 0) r.out = a.output_shape.empty() ? 0 : r.out;
  if (r.out < 0)
    return invalid_argument("spatial dim " + std::to_string(d) + " of size " + std::to_string(in) +
                            " gives a negative output size " + std::to_string(r.out));
  return r;
}

Expected<ConvTransposeGeom> convtranspose_geometry(const Node& node, const Shape& x,
                                                   const Shape& w) {
  if (x.size() < 3 || w.size() != x.size())
    return invalid_argument("X " + shape_to_string(x) + " must have rank >= 3 and W " +
                            shape_to_string(w) + " the same rank");
  const size_t nd = x.size() - 2;
  ConvTransposeAttrs a;
  ONNXRT_RETURN_IF_ERROR(read_convtranspose_attrs(node, nd, &a));
  ConvTransposeGeom g;
  g.N = x[0];
  g.C = x[1];
  g.G = a.group;
  if (g.C != w[0] || g.C % g.G != 0)
    return invalid_argument("X " + shape_to_string(x) + " and W " + shape_to_string(w) +
                            " do not agree with group " + std::to_string(g.G) +
                            " (expected W.shape[0] = C, divisible by group)");
  g.Cg = g.C / g.G;
  g.Mg = w[1];
  g.M = g.Mg * g.G;
  for (size_t d = 0; d < nd; ++d) {
    const int64_t k = w[d + 2];
    if (a.kernel[d] >= 0 && a.kernel[d] != k)
      return invalid_argument("kernel_shape " + ints_str(a.kernel) + " does not match W " +
                              shape_to_string(w));
    auto cd = convtranspose_dim(a, d, x[d + 2], k);
    if (!cd) return cd.status();
    g.in.push_back(x[d + 2]);
    g.out.push_back(cd->out);
    g.kernel.push_back(k);
    g.stride.push_back(a.strides[d]);
    g.dil.push_back(a.dilations[d]);
    g.pad_begin.push_back(cd->pad_begin);
    g.in_size *= x[d + 2];
    g.out_size *= cd->out;
    g.kernel_size *= k;
  }
  return g;
}

namespace {

// ---------------------------------------------------------------- ConvTranspose

Status infer_convtranspose(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "W"));
  const ValueType& xt = ctx.input_type(0);
  const ValueType& wt = ctx.input_type(1);
  if (wt.dtype != xt.dtype) return ctx.error("W must have X's type " + type_string(xt) + ", got " + type_string(wt));
  if (ctx.has_input(2) && (!ctx.input_type(2).is_tensor() || ctx.input_type(2).dtype != xt.dtype))
    return ctx.error("input 2 (B) must be a tensor of X's type, got " + type_string(ctx.input_type(2)));
  int64_t rank = xt.has_shape ? xt.rank() : (wt.has_shape ? wt.rank() : -1);
  if (rank < 0) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  if (rank < 3) return ctx.error("X must have rank >= 3 (N, C, spatial...), got rank " + std::to_string(rank));
  if (xt.has_shape && wt.has_shape && wt.rank() != rank)
    return ctx.error("W has rank " + std::to_string(wt.rank()) + ", expected X's rank " + std::to_string(rank));
  const size_t nd = static_cast<size_t>(rank - 2);
  ConvTransposeAttrs a;
  Status st = read_convtranspose_attrs(ctx.node(), nd, &a);
  if (!st) return ctx.error(st.message());
  Dim m = ctx.fresh_dim();
  if (wt.has_shape) {
    if (wt.shape[1].is_known()) {
      int64_t channels = 0;  // group is an attribute: W.shape[1] * group can leave int64
      if (__builtin_mul_overflow(wt.shape[1].value(), a.group, &channels))
        return ctx.error("W.shape[1] " + std::to_string(wt.shape[1].value()) + " * group " +
                         std::to_string(a.group) + " overflows int64");
      m = Dim(channels);
    }
    if (xt.has_shape && xt.shape[1].is_known() && wt.shape[0].is_known() &&
        xt.shape[1].value() != wt.shape[0].value())
      return ctx.error("X has " + std::to_string(xt.shape[1].value()) + " channels, W.shape[0] is " +
                       std::to_string(wt.shape[0].value()));
    if (wt.shape[0].is_known() && wt.shape[0].value() % a.group != 0)
      return ctx.error("W.shape[0] " + std::to_string(wt.shape[0].value()) +
                       " is not divisible by group " + std::to_string(a.group));
    for (size_t d = 0; d < nd; ++d)
      if (a.kernel[d] >= 0 && wt.shape[d + 2].is_known() && wt.shape[d + 2].value() != a.kernel[d])
        return ctx.error("kernel_shape " + ints_str(a.kernel) + " does not match W " + type_string(wt));
  }
  if (ctx.has_input(2) && ctx.input_type(2).has_shape) {
    const ValueType& bt = ctx.input_type(2);
    if (bt.rank() != 1 || (bt.shape[0].is_known() && m.is_known() && bt.shape[0] != m))
      return ctx.error("B must be 1-D with W.shape[1] * group elements, got " + type_string(bt));
  }
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  SymShape out{xt.shape[0], m};
  for (size_t d = 0; d < nd; ++d) {
    int64_t k = a.kernel[d];
    if (k < 0 && wt.has_shape && wt.shape[d + 2].is_known()) k = wt.shape[d + 2].value();
    if (!a.output_shape.empty()) {
      out.push_back(a.output_shape[d]);
    } else if (xt.shape[d + 2].is_known() && k >= 0) {
      auto cd = convtranspose_dim(a, d, xt.shape[d + 2].value(), k);
      if (!cd) return ctx.error(cd.status().message());
      out.push_back(cd->out);
    } else {
      out.push_back(ctx.fresh_dim());
    }
  }
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

// ---------------------------------------------------------------- DeformConv

Status infer_deform_conv(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "W"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 2, "offset"));
  const ValueType& xt = ctx.input_type(0);
  const ValueType& wt = ctx.input_type(1);
  for (size_t i = 1; i < 5; ++i)
    if (ctx.has_input(i) && ctx.input_type(i).dtype != xt.dtype)
      return ctx.error("input " + std::to_string(i) + " must have X's type " + type_string(xt) +
                       ", got " + type_string(ctx.input_type(i)));
  AttrReader a(ctx.node());
  const int64_t group = a.i("group", 1), offset_group = a.i("offset_group", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (group <= 0 || offset_group <= 0)
    return ctx.error("group and offset_group must be positive");
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  if (xt.rank() < 3) return ctx.error("X must have rank >= 3, got " + type_string(xt));
  const size_t nd = static_cast<size_t>(xt.rank() - 2);
  std::vector<int64_t> kw(nd, -1);
  if (wt.has_shape) {
    if (wt.rank() != xt.rank()) return ctx.error("W must have X's rank, got " + type_string(wt));
    for (size_t d = 0; d < nd; ++d)
      if (wt.shape[d + 2].is_known()) kw[d] = wt.shape[d + 2].value();
  }
  WindowAttrs w;
  Status st = read_window_attrs(a, nd, kw, false, &w);
  if (!st) return ctx.error(st.message());
  SymShape out{xt.shape[0], wt.has_shape ? wt.shape[0] : ctx.fresh_dim()};
  for (size_t d = 0; d < nd; ++d) {
    if (xt.shape[d + 2].is_known() && w.kernel[d] >= 0) {
      auto wd = window_dim(w, d, xt.shape[d + 2].value());
      if (!wd) return ctx.error(wd.status().message());
      out.push_back(wd->out);
    } else {
      out.push_back(ctx.fresh_dim());
    }
  }
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

// ---------------------------------------------------------------- GridSample, AffineGrid

Status infer_grid_sample(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("needs inputs X and grid");
  const ValueType& xt = ctx.input_type(0);
  if (!xt.is_tensor()) return ctx.error("input 0 (X) must be a tensor, got " + type_string(xt));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "grid"));
  const ValueType& gt = ctx.input_type(1);
  AttrReader a(ctx.node());
  const std::string mode = a.s("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  const std::string pad = a.s("padding_mode", "zeros");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode != "linear" && mode != "bilinear" && mode != "nearest" && mode != "cubic" && mode != "bicubic")
    return ctx.error("mode '" + mode + "' must be linear, nearest or cubic");
  if (pad != "zeros" && pad != "border" && pad != "reflection")
    return ctx.error("padding_mode '" + pad + "' must be zeros, border or reflection");
  if (!xt.has_shape || !gt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  if (xt.rank() < 3 || gt.rank() != xt.rank())
    return ctx.error("X " + type_string(xt) + " must have rank >= 3 and grid " + type_string(gt) + " the same rank");
  if (ctx.opset() < 20 && xt.rank() != 4)
    return ctx.error("GridSample-" + std::to_string(ctx.opset()) + " takes 4-D X, got " + type_string(xt));
  const int64_t nd = xt.rank() - 2;
  const Dim& last = gt.shape.back();
  if (last.is_known() && last.value() != nd)
    return ctx.error("grid's last dim must be " + std::to_string(nd) + ", got " + type_string(gt));
  if (xt.shape[0].is_known() && gt.shape[0].is_known() && xt.shape[0] != gt.shape[0])
    return ctx.error("X and grid must have the same batch size");
  SymShape out{xt.shape[0], xt.shape[1]};
  for (int64_t d = 1; d <= nd; ++d) out.push_back(gt.shape[static_cast<size_t>(d)]);
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

Status infer_affine_grid(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "theta"));
  if (!ctx.has_input(1)) return ctx.error("needs input size");
  const ValueType& tt = ctx.input_type(0);
  const ValueType& st = ctx.input_type(1);
  if (!st.is_tensor() || st.dtype != DType::kInt64)
    return ctx.error("input 1 (size) must be an int64 tensor, got " + type_string(st));
  if (tt.has_shape && tt.rank() != 3) return ctx.error("theta must be [N, 2, 3] or [N, 3, 4], got " + type_string(tt));
  int64_t n = -1;
  if (const Tensor* sv = ctx.input_value(1)) {
    if (sv->rank() != 1 || (sv->size() != 4 && sv->size() != 5))
      return ctx.error("size must hold 4 or 5 values, got shape " + shape_to_string(sv->shape()));
    n = sv->size();
    const int64_t* s = sv->data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (s[i] < 0) return ctx.error("size must not be negative");
    const int64_t sd = n - 2;
    if (tt.has_shape && ((tt.shape[1].is_known() && tt.shape[1].value() != sd) ||
                         (tt.shape[2].is_known() && tt.shape[2].value() != sd + 1)))
      return ctx.error("theta " + type_string(tt) + " does not match a " + std::to_string(sd) + "-D size");
    SymShape out{tt.has_shape ? tt.shape[0] : Dim(s[0])};
    for (int64_t i = 2; i < n; ++i) out.push_back(s[i]);
    out.push_back(sd);
    ctx.outputs[0] = ValueType::tensor(tt.dtype, std::move(out));
    return Status::ok();
  }
  if (st.has_shape && st.rank() == 1 && st.shape[0].is_known()) n = st.shape[0].value();
  else if (tt.has_shape && tt.shape[1].is_known()) n = tt.shape[1].value() + 2;
  if (n != 4 && n != 5) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(tt.dtype);
    return Status::ok();
  }
  SymShape out{tt.has_shape ? tt.shape[0] : ctx.fresh_dim()};
  for (int64_t i = 2; i < n; ++i) out.push_back(ctx.fresh_dim());
  out.push_back(n - 2);
  ctx.outputs[0] = ValueType::tensor(tt.dtype, std::move(out));
  return Status::ok();
}

// ---------------------------------------------------------------- RoiAlign, MaxRoiPool

Status infer_roi_align(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "rois"));
  if (!ctx.has_input(2) || !ctx.input_type(2).is_tensor() || ctx.input_type(2).dtype != DType::kInt64)
    return ctx.error("input 2 (batch_indices) must be an int64 tensor");
  const ValueType& xt = ctx.input_type(0);
  const ValueType& rt = ctx.input_type(1);
  AttrReader a(ctx.node());
  const int64_t oh = a.i("output_height", 1), ow = a.i("output_width", 1);
  const std::string mode = a.s("mode", "avg");
  const std::string ctm = a.s("coordinate_transformation_mode", "half_pixel");
  a.i("sampling_ratio", 0);
  a.f("spatial_scale", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (oh <= 0 || ow <= 0) return ctx.error("output_height and output_width must be positive");
  if (mode != "avg" && mode != "max") return ctx.error("mode '" + mode + "' must be avg or max");
  if (ctm != "half_pixel" && ctm != "output_half_pixel")
    return ctx.error("coordinate_transformation_mode '" + ctm + "' must be half_pixel or output_half_pixel");
  if (xt.has_shape && xt.rank() != 4) return ctx.error("X must be 4-D, got " + type_string(xt));
  if (rt.has_shape && (rt.rank() != 2 || (rt.shape[1].is_known() && rt.shape[1].value() != 4)))
    return ctx.error("rois must be [num_rois, 4], got " + type_string(rt));
  Dim nr = rt.has_shape ? rt.shape[0] : ctx.fresh_dim();
  const ValueType& bt = ctx.input_type(2);
  if (bt.has_shape && bt.rank() == 1 && bt.shape[0].is_known() && nr.is_known() && bt.shape[0] != nr)
    return ctx.error("batch_indices must have num_rois elements, got " + type_string(bt));
  ctx.outputs[0] = ValueType::tensor(xt.dtype, {nr, xt.has_shape ? xt.shape[1] : ctx.fresh_dim(), oh, ow});
  return Status::ok();
}

Status infer_max_roi_pool(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "rois"));
  const ValueType& xt = ctx.input_type(0);
  const ValueType& rt = ctx.input_type(1);
  AttrReader a(ctx.node());
  a.required("pooled_shape", AttrKind::kInts);
  const std::vector<int64_t> ps = a.ints("pooled_shape", {});
  a.f("spatial_scale", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ps.size() != 2 || ps[0] <= 0 || ps[1] <= 0)
    return ctx.error("pooled_shape " + ints_str(ps) + " must be two positive values");
  if (xt.has_shape && xt.rank() != 4) return ctx.error("X must be 4-D, got " + type_string(xt));
  if (rt.has_shape && (rt.rank() != 2 || (rt.shape[1].is_known() && rt.shape[1].value() != 5)))
    return ctx.error("rois must be [num_rois, 5], got " + type_string(rt));
  ctx.outputs[0] = ValueType::tensor(
      xt.dtype, {rt.has_shape ? rt.shape[0] : ctx.fresh_dim(),
                 xt.has_shape ? xt.shape[1] : ctx.fresh_dim(), ps[0], ps[1]});
  return Status::ok();
}

// ---------------------------------------------------------------- MaxUnpool

Status infer_max_unpool(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "X"));
  if (!ctx.has_input(1) || !ctx.input_type(1).is_tensor() || ctx.input_type(1).dtype != DType::kInt64)
    return ctx.error("input 1 (I) must be an int64 tensor");
  const ValueType& xt = ctx.input_type(0);
  if (ctx.has_input(2) && (!ctx.input_type(2).is_tensor() || ctx.input_type(2).dtype != DType::kInt64))
    return ctx.error("input 2 (output_shape) must be an int64 tensor");
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  if (xt.rank() < 3) return ctx.error("X must have rank >= 3, got " + type_string(xt));
  const size_t nd = static_cast<size_t>(xt.rank() - 2);
  AttrReader a(ctx.node());
  WindowAttrs w;
  Status st = read_window_attrs(a, nd, {}, false, &w);
  if (!st) return ctx.error(st.message());
  if (ctx.has_input(2)) {
    if (const Tensor* os = ctx.input_value(2)) {
      if (os->rank() != 1 || os->size() != xt.rank())
        return ctx.error("output_shape must hold " + std::to_string(xt.rank()) + " values, got shape " +
                         shape_to_string(os->shape()));
      SymShape out;
      for (int64_t i = 0; i < os->size(); ++i) {
        if (os->data<int64_t>()[i] < 0) return ctx.error("output_shape must not be negative");
        out.push_back(os->data<int64_t>()[i]);
      }
      ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
    } else {
      SymShape out{xt.shape[0], xt.shape[1]};
      for (size_t d = 0; d < nd; ++d) out.push_back(ctx.fresh_dim());
      ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
    }
    return Status::ok();
  }
  SymShape out{xt.shape[0], xt.shape[1]};
  for (size_t d = 0; d < nd; ++d) {
    const Dim& in = xt.shape[d + 2];
    if (!in.is_known()) {
      out.push_back(ctx.fresh_dim());
      continue;
    }
    int64_t o = 0;
    if (!unpooled_size(in.value(), w.strides[d], w.pads[d], w.pads[d + nd], w.kernel[d], &o))
      return ctx.error("spatial dim " + std::to_string(d) + " unpools to a size past int64");
    if (o < 0) return ctx.error("spatial dim " + std::to_string(d) + " unpools to a negative size");
    out.push_back(o);
  }
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

// ImageDecoder(encoded uint8 [N]) -> uint8 [H, W, C]: H and W come from the data, C from
// pixel_format (3 for RGB and BGR, 1 for Grayscale).
Status infer_image_decoder(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (encoded_stream) is required");
  const ValueType& t = ctx.input_type(0);
  if (!t.is_tensor() || t.dtype != DType::kUInt8) return ctx.error("input 0 (encoded_stream) must be tensor(uint8), got " + type_string(t));
  if (t.has_shape && t.rank() != 1) return ctx.error("input 0 (encoded_stream) must be 1-D, got rank " + std::to_string(t.rank()));
  AttrReader a(ctx.node());
  const std::string f = a.s("pixel_format", "RGB");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (f != "RGB" && f != "BGR" && f != "Grayscale") return ctx.error("pixel_format must be RGB, BGR or Grayscale, got '" + f + "'");
  ctx.outputs[0] = ValueType::tensor(DType::kUInt8, SymShape{ctx.fresh_dim(), ctx.fresh_dim(), Dim(f == "Grayscale" ? 1 : 3)});
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

const OpInfo kImageOps[] = {
    {"", "ConvTranspose", &infer_convtranspose},
    {"", "DeformConv", &infer_deform_conv},
    {"", "Resize", &infer_resize},
    {"", "Upsample", &infer_resize},
    {"", "GridSample", &infer_grid_sample},
    {"", "AffineGrid", &infer_affine_grid},
    {"", "RoiAlign", &infer_roi_align},
    {"", "MaxRoiPool", &infer_max_roi_pool},
    {"", "MaxUnpool", &infer_max_unpool},
    {"", "ImageDecoder", &infer_image_decoder},
};

}  // namespace

std::span<const OpInfo> image_op_infos() { return kImageOps; }

}  // namespace onnxrt::ir
