// Resize and Upsample: attribute reading per opset, the output-size rules, and inference. The
// output shape depends on the values of scales / sizes: exact when they are constants (and always
// at run time), fresh symbols otherwise.
#include <algorithm>
#include <cmath>
#include <string>

#include "base/half.h"
#include "ir/infer_image.h"

namespace onnxrt::ir {

namespace {

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

std::vector<double> tensor_to_doubles(const Tensor& t) {
  std::vector<double> r(static_cast<size_t>(t.size()));
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DType::kFloat32: r[i] = t.data<float>()[i]; break;
      case DType::kFloat64: r[i] = t.data<double>()[i]; break;
      case DType::kFloat16: r[i] = half_to_float(t.data<uint16_t>()[i]); break;
      case DType::kBFloat16: r[i] = bfloat16_to_float(t.data<uint16_t>()[i]); break;
      default: r[i] = 0; break;
    }
  }
  return r;
}

bool is_float_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
         t == DType::kBFloat16;
}

const Tensor* nonempty(const Tensor* t) { return t && t->size() > 0 ? t : nullptr; }

}  // namespace

Status read_resize_attrs(const Node& node, ResizeAttrs* out) {
  AttrReader a(node);
  ResizeAttrs r;
  const bool upsample = node.op_type == "Upsample";
  const std::string mode = a.s("mode", "nearest");
  if (mode == "nearest") r.mode = ResizeMode::kNearest;
  else if (mode == "linear" || mode == "bilinear") r.mode = ResizeMode::kLinear;
  else if (mode == "cubic" && !upsample) r.mode = ResizeMode::kCubic;
  else return invalid_model("mode '" + mode + "' must be nearest, linear or cubic");

  if (upsample || node.opset < 11) {
    // Upsample and Resize-10 have no coordinate transformation: output index / scale.
    r.coord = CoordMode::kAsymmetric;
    r.nearest = NearestMode::kSimple;
    if (upsample && node.opset < 9) {
      r.scales = a.floats("scales");
      if (r.scales.empty()) a.required("scales", AttrKind::kFloats);
    } else {
      r.scales_input = 1;
    }
    return a.status().is_ok() ? (*out = std::move(r), Status::ok()) : a.status();
  }
  r.roi_input = 1;
  r.scales_input = 2;
  r.sizes_input = 3;
  const std::string coord = a.s("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") r.coord = CoordMode::kHalfPixel;
  else if (coord == "half_pixel_symmetric") r.coord = CoordMode::kHalfPixelSymmetric;
  else if (coord == "pytorch_half_pixel") r.coord = CoordMode::kPytorchHalfPixel;
  else if (coord == "align_corners") r.coord = CoordMode::kAlignCorners;
  else if (coord == "asymmetric") r.coord = CoordMode::kAsymmetric;
  else if (coord == "tf_crop_and_resize") r.coord = CoordMode::kTfCropAndResize;
  else if (coord == "tf_half_pixel_for_nn") r.coord = CoordMode::kHalfPixel;  // removed in 13
  else return invalid_model("coordinate_transformation_mode '" + coord + "' is not known");
  const std::string nm = a.s("nearest_mode", "round_prefer_floor");
  if (nm == "round_prefer_floor") r.nearest = NearestMode::kRoundPreferFloor;
  else if (nm == "round_prefer_ceil") r.nearest = NearestMode::kRoundPreferCeil;
  else if (nm == "floor") r.nearest = NearestMode::kFloor;
  else if (nm == "ceil") r.nearest = NearestMode::kCeil;
  else return invalid_model("nearest_mode '" + nm + "' is not known");
  r.cubic_a = a.f("cubic_coeff_a", -0.75f);
  r.exclude_outside = a.i("exclude_outside", 0) != 0;
  r.extrapolation = a.f("extrapolation_value", 0.0f);
  if (node.opset >= 18) {
    r.antialias = a.i("antialias", 0) != 0;
    r.axes = a.ints("axes", {});
    const std::string pol = a.s("keep_aspect_ratio_policy", "stretch");
    if (pol == "stretch") r.policy = AspectPolicy::kStretch;
    else if (pol == "not_larger") r.policy = AspectPolicy::kNotLarger;
    else if (pol == "not_smaller") r.policy = AspectPolicy::kNotSmaller;
    else return invalid_model("keep_aspect_ratio_policy '" + pol + "' is not known");
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  *out = std::move(r);
  return Status::ok();
}

namespace {

// Axes normalized to [0, rank), checked for duplicates; all axes when none are given.
Expected<std::vector<int64_t>> resize_axes(const ResizeAttrs& a, int64_t rank) {
  std::vector<int64_t> axes;
  if (a.axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    return axes;
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t ax : a.axes) {
    const int64_t v = ax < 0 ? ax + rank : ax;
    if (v < 0 || v >= rank || seen[static_cast<size_t>(v)])
      return invalid_model("axes " + ints_str(a.axes) + " must be distinct axes of a rank-" +
                           std::to_string(rank) + " input");
    seen[static_cast<size_t>(v)] = true;
    axes.push_back(v);
  }
  return axes;
}

}  // namespace

Expected<ResizePlan> resize_plan(const ResizeAttrs& a, const Shape& x, const Tensor* roi,
                                 const Tensor* scales, const Tensor* sizes) {
  const int64_t rank = static_cast<int64_t>(x.size());
  auto axes_r = resize_axes(a, rank);
  if (!axes_r) return axes_r.status();
  const std::vector<int64_t>& axes = *axes_r;
  const size_t na = axes.size();
  ResizePlan p;
  p.out = x;
  p.scale.assign(static_cast<size_t>(rank), 1.0);
  p.roi_start.assign(static_cast<size_t>(rank), 0.0);
  p.roi_end.assign(static_cast<size_t>(rank), 1.0);

  roi = nonempty(roi);
  scales = nonempty(scales);
  sizes = nonempty(sizes);
  if (scales && sizes) return invalid_model("only one of scales and sizes may be given");

  std::vector<double> sc;
  if (!a.scales.empty()) {
    sc.assign(a.scales.begin(), a.scales.end());
  } else if (scales) {
    if (!is_float_dtype(scales->dtype()))
      return invalid_model("scales must be a float tensor");
    sc = tensor_to_doubles(*scales);
  }
  if (!sc.empty()) {
    if (sc.size() != na)
      return invalid_argument("scales has " + std::to_string(sc.size()) + " values, expected " +
                              std::to_string(na) + " (one per resized axis)");
    for (size_t i = 0; i < na; ++i) {
      if (!(sc[i] > 0) || !std::isfinite(sc[i]))
        return invalid_argument("scales must be positive, got " + std::to_string(sc[i]) +
                                " for axis " + std::to_string(axes[i]));
      const size_t ax = static_cast<size_t>(axes[i]);
      p.scale[ax] = sc[i];
      const double o = std::floor(static_cast<double>(x[ax]) * sc[i]);
      if (o > 9.0e15) return invalid_argument("scales make the output too large");
      p.out[ax] = static_cast<int64_t>(o);
    }
  } else if (sizes) {
    if (sizes->dtype() != DType::kInt64) return invalid_model("sizes must be an int64 tensor");
    if (sizes->size() != static_cast<int64_t>(na))
      return invalid_argument("sizes has " + std::to_string(sizes->size()) + " values, expected " +
                              std::to_string(na) + " (one per resized axis)");
    const int64_t* sz = sizes->data<int64_t>();
    for (size_t i = 0; i < na; ++i)
      if (sz[i] < 0) return invalid_argument("sizes must not be negative");
    if (a.policy == AspectPolicy::kStretch) {
      for (size_t i = 0; i < na; ++i) {
        const size_t ax = static_cast<size_t>(axes[i]);
        p.out[ax] = sz[i];
        p.scale[ax] = x[ax] > 0 ? static_cast<double>(sz[i]) / static_cast<double>(x[ax]) : 1.0;
      }
    } else {
      double s = a.policy == AspectPolicy::kNotLarger ? INFINITY : 0.0;
      for (size_t i = 0; i < na; ++i) {
        const size_t ax = static_cast<size_t>(axes[i]);
        const double r = x[ax] > 0 ? static_cast<double>(sz[i]) / static_cast<double>(x[ax]) : 1.0;
        s = a.policy == AspectPolicy::kNotLarger ? std::min(s, r) : std::max(s, r);
      }
      for (size_t i = 0; i < na; ++i) {
        const size_t ax = static_cast<size_t>(axes[i]);
        p.scale[ax] = s;
        // Rounded half up, as the spec writes it. The common scale comes from one axis's sizes and
        // multiplies another's dim: it can leave int64 (converting that double is undefined).
        const double o = std::floor(s * static_cast<double>(x[ax]) + 0.5);
        if (!(o <= 9.0e15)) return invalid_argument("sizes make the output too large");
        p.out[ax] = static_cast<int64_t>(o);
      }
    }
  } else {
    return invalid_model("one of scales and sizes must be given");
  }
  for (int64_t d = 0; d < rank; ++d)
    if (x[d] == 0 && p.out[d] > 0)
      return invalid_argument("cannot resize axis " + std::to_string(d) +
                              " of size 0 to a non-empty size");

  if (roi && a.coord == CoordMode::kTfCropAndResize) {
    if (!is_float_dtype(roi->dtype())) return invalid_model("roi must be a float tensor");
    std::vector<double> rv = tensor_to_doubles(*roi);
    if (rv.size() != 2 * na)
      return invalid_argument("roi has " + std::to_string(rv.size()) + " values, expected " +
                              std::to_string(2 * na) + " (start and end per resized axis)");
    for (size_t i = 0; i < na; ++i) {
      p.roi_start[static_cast<size_t>(axes[i])] = rv[i];
      p.roi_end[static_cast<size_t>(axes[i])] = rv[na + i];
    }
    p.has_roi = true;
  }
  return p;
}

Status infer_resize(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("needs input X");
  const ValueType& xt = ctx.input_type(0);
  if (!xt.is_tensor()) return ctx.error("input 0 (X) must be a tensor, got " + type_string(xt));
  if (xt.dtype == DType::kString || xt.dtype == DType::kBool || xt.dtype == DType::kComplex64 ||
      xt.dtype == DType::kComplex128)
    return ctx.error("input 0 (X) has unsupported element type " + type_string(xt));
  ResizeAttrs a;
  Status st = read_resize_attrs(ctx.node(), &a);
  if (!st) return ctx.error(st.message());
  auto input_or_null = [&](int i, const Tensor** v, bool* present) {
    *v = nullptr;
    *present = false;
    if (i < 0 || !ctx.has_input(static_cast<size_t>(i))) return;
    const ValueType& t = ctx.input_type(static_cast<size_t>(i));
    // A statically empty input (shape [0]) counts as omitted.
    if (t.has_shape && t.rank() == 1 && t.shape[0].is_known() && t.shape[0].value() == 0) return;
    *present = true;
    *v = ctx.input_value(static_cast<size_t>(i));
  };
  const Tensor *roi, *scales, *sizes;
  bool has_roi, has_scales, has_sizes;
  input_or_null(a.roi_input, &roi, &has_roi);
  input_or_null(a.scales_input, &scales, &has_scales);
  input_or_null(a.sizes_input, &sizes, &has_sizes);
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  const int64_t rank = xt.rank();
  auto axes = resize_axes(a, rank);
  if (!axes) return ctx.error(axes.status().message());
  const bool values_known = (!has_scales || scales) && (!has_sizes || sizes) &&
                            (!has_roi || roi || a.coord != CoordMode::kTfCropAndResize);
  if (values_known && shape_is_static(xt.shape)) {
    auto p = resize_plan(a, to_static_shape(xt.shape), roi, scales, sizes);
    if (!p) return ctx.error(p.status().message());
    ONNXRT_RETURN_IF_ERROR(check_element_count(to_sym_shape(p->out), ctx, "output shape"));
    ctx.outputs[0] = ValueType::tensor(xt.dtype, to_sym_shape(p->out));
    return Status::ok();
  }
  SymShape out = xt.shape;
  std::vector<bool> resized(static_cast<size_t>(rank), false);
  for (int64_t ax : *axes) resized[static_cast<size_t>(ax)] = true;
  // Scales known, X partly symbolic: known dims are exact, a symbolic dim survives scale 1.
  std::vector<double> sc;
  if (!a.scales.empty()) sc.assign(a.scales.begin(), a.scales.end());
  else if (scales && scales->size() > 0 && is_float_dtype(scales->dtype())) sc = tensor_to_doubles(*scales);
  if (!sc.empty() && sc.size() != axes->size())
    return ctx.error("scales has " + std::to_string(sc.size()) + " values, expected " +
                     std::to_string(axes->size()));
  for (size_t i = 0; i < axes->size(); ++i) {
    const size_t ax = static_cast<size_t>((*axes)[i]);
    if (!sc.empty()) {
      // The same checks as resize_plan: a NaN, infinite or huge scale has no int64 output dim.
      if (!(sc[i] > 0) || !std::isfinite(sc[i]))
        return ctx.error("scales must be positive, got " + std::to_string(sc[i]) + " for axis " +
                         std::to_string(ax));
      if (out[ax].is_known()) {
        const double o = std::floor(static_cast<double>(out[ax].value()) * sc[i]);
        if (o > 9.0e15) return ctx.error("scales make the output too large");
        out[ax] = Dim(static_cast<int64_t>(o));
      } else if (sc[i] != 1.0) {
        out[ax] = ctx.fresh_dim();
      }
    } else if (sizes && sizes->dtype() == DType::kInt64 && sizes->size() == static_cast<int64_t>(axes->size()) &&
               a.policy == AspectPolicy::kStretch) {
      if (sizes->data<int64_t>()[i] < 0) return ctx.error("sizes must not be negative");
      out[ax] = Dim(sizes->data<int64_t>()[i]);
    } else {
      out[ax] = ctx.fresh_dim();
    }
  }
  ONNXRT_RETURN_IF_ERROR(check_element_count(out, ctx, "output shape"));
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

}  // namespace onnxrt::ir
