#include "ir/infer_nn_window.h"

#include <string>

namespace onnxrt::ir {

namespace {

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

Status read_positive(AttrReader& a, const char* name, size_t n, std::vector<int64_t>* out) {
  *out = a.ints(name, {});
  if (out->empty()) {
    out->assign(n, 1);
    return Status::ok();
  }
  if (out->size() != n)
    return invalid_model(std::string(name) + " " + ints_to_string(*out) + " must have " +
                         std::to_string(n) + " values (one per spatial dim)");
  for (int64_t v : *out)
    if (v <= 0)
      return invalid_model(std::string(name) + " " + ints_to_string(*out) +
                           " must be positive");
  return Status::ok();
}

}  // namespace

Status read_window_attrs(AttrReader& a, size_t n, const std::vector<int64_t>& kernel_from_weights,
                         bool allow_ceil_mode, WindowAttrs* w) {
  if (a.has("kernel_shape")) {
    w->kernel = a.ints("kernel_shape");
    if (w->kernel.size() != n)
      return invalid_model("kernel_shape " + ints_to_string(w->kernel) + " must have " +
                           std::to_string(n) + " values (one per spatial dim of the input)");
    for (size_t d = 0; d < n; ++d) {
      if (w->kernel[d] <= 0)
        return invalid_model("kernel_shape " + ints_to_string(w->kernel) + " must be positive");
      if (d < kernel_from_weights.size() && kernel_from_weights[d] >= 0 &&
          kernel_from_weights[d] != w->kernel[d])
        return invalid_model("kernel_shape " + ints_to_string(w->kernel) +
                             " does not match the weights' spatial dims " +
                             ints_to_string(kernel_from_weights));
    }
  } else if (kernel_from_weights.size() == n && n > 0) {
    w->kernel = kernel_from_weights;
  } else if (kernel_from_weights.empty() && n > 0) {
    a.required("kernel_shape", AttrKind::kInts);
    ONNXRT_RETURN_IF_ERROR(a.status());
    return invalid_model("kernel_shape is required");
  } else {
    w->kernel = kernel_from_weights;
  }
  ONNXRT_RETURN_IF_ERROR(read_positive(a, "strides", n, &w->strides));
  ONNXRT_RETURN_IF_ERROR(read_positive(a, "dilations", n, &w->dilations));

  const std::string auto_pad = a.s("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    w->auto_pad = AutoPad::kNotSet;
  } else if (auto_pad == "SAME_UPPER") {
    w->auto_pad = AutoPad::kSameUpper;
  } else if (auto_pad == "SAME_LOWER") {
    w->auto_pad = AutoPad::kSameLower;
  } else if (auto_pad == "VALID") {
    w->auto_pad = AutoPad::kValid;
  } else {
    return invalid_model("auto_pad '" + auto_pad +
                         "' must be NOTSET, SAME_UPPER, SAME_LOWER or VALID");
  }

  w->pads = a.ints("pads", {});
  if (w->pads.empty()) w->pads.assign(2 * n, 0);
  if (w->pads.size() != 2 * n)
    return invalid_model("pads " + ints_to_string(w->pads) + " must have " +
                         std::to_string(2 * n) + " values (begin and end per spatial dim)");
  for (int64_t p : w->pads)
    if (p < 0) return invalid_model("pads " + ints_to_string(w->pads) + " must not be negative");
  // The spec forbids pads together with auto_pad; models that carry both are accepted and the
  // explicit pads ignored, as auto_pad decides the padding.
  if (w->auto_pad != AutoPad::kNotSet) w->pads.assign(2 * n, 0);

  w->ceil_mode = allow_ceil_mode && a.i("ceil_mode", 0) != 0;
  return a.status();
}

Expected<WindowDim> window_dim(const WindowAttrs& w, size_t d, int64_t in) {
  const int64_t k = w.kernel[d], s = w.strides[d], dil = w.dilations[d];
  // Kernel, strides, dilations and pads are attributes: any product or sum below can leave
  // int64. The builtins wrap without UB; the flag refuses the result at the end.
  bool overflow = false;
  auto mul = [&](int64_t x, int64_t y) { int64_t v = 0; overflow |= __builtin_mul_overflow(x, y, &v); return v; };
  auto add = [&](int64_t x, int64_t y) { int64_t v = 0; overflow |= __builtin_add_overflow(x, y, &v); return v; };
  auto refuse = [&]() {
    return invalid_argument("spatial dim " + std::to_string(d) + " of size " + std::to_string(in) + " with kernel " +
                            std::to_string(k) + ", stride " + std::to_string(s) + ", dilation " +
                            std::to_string(dil) + " and its pads: the output size overflows int64");
  };
  const int64_t dk = add(mul(k - 1, dil), 1);  // extent of the dilated window
  if (overflow) return refuse();
  WindowDim r;
  switch (w.auto_pad) {
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower: {
      // Output is ceil(in / stride) whatever the kernel; the padding that takes is split evenly,
      // the odd one going to the end (UPPER) or the beginning (LOWER). Strides larger than the
      // window can make the needed padding negative: then none is added.
      r.out = in / s + (in % s != 0);  // ceil(in / s), without in + s - 1 leaving int64
      int64_t total = add(mul(r.out - 1, s), dk - in);
      if (overflow) return refuse();
      if (total < 0) total = 0;
      r.pad_begin = w.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      r.pad_end = total - r.pad_begin;
      if (in == 0) r.out = 0;
      return r;
    }
    case AutoPad::kValid:
      break;
    case AutoPad::kNotSet:
      r.pad_begin = w.pads[d];
      r.pad_end = w.pads[d + w.rank()];
      break;
  }
  const int64_t span = add(add(in, r.pad_begin), add(r.pad_end, -dk));
  if (overflow) return refuse();
  if (span < 0)
    return invalid_argument("spatial dim " + std::to_string(d) + " of size " + std::to_string(in) +
                            " with pads " + std::to_string(r.pad_begin) + "+" +
                            std::to_string(r.pad_end) + " is smaller than the dilated kernel " +
                            std::to_string(dk));
  if (w.ceil_mode) {
    r.out = span / s + (span % s != 0) + 1;  // ceil(span / s) + 1, without span + s - 1 overflowing
    // A window may hang off the end in ceil_mode only if it starts inside the input or the
    // leading padding (PyTorch's rule, which the spec and the reference follow).
    if (mul(r.out - 1, s) >= add(in, r.pad_begin)) --r.out;
    if (overflow) return refuse();
  } else {
    r.out = span / s + 1;
  }
  return r;
}

Expected<std::vector<WindowDim>> window_dims(const WindowAttrs& w,
                                             const std::vector<int64_t>& in_spatial) {
  if (in_spatial.size() != w.rank())
    return invalid_argument("input has " + std::to_string(in_spatial.size()) +
                            " spatial dims, the window attributes have " +
                            std::to_string(w.rank()));
  std::vector<WindowDim> r(w.rank());
  for (size_t d = 0; d < w.rank(); ++d) {
    auto wd = window_dim(w, d, in_spatial[d]);
    if (!wd) return wd.status();
    r[d] = *wd;
  }
  return r;
}

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

// Output spatial dims for possibly symbolic input dims.
Expected<SymShape> infer_spatial(InferContext& ctx, const WindowAttrs& w, const SymShape& x) {
  SymShape out;
  for (size_t d = 0; d < w.rank(); ++d) {
    const Dim& in = x[d + 2];
    if (in.is_known() && w.kernel[d] >= 0) {
      auto wd = window_dim(w, d, in.value());
      if (!wd) return ctx.error(wd.status().message());
      out.push_back(wd->out);
      continue;
    }
    // A symbolic dim survives unchanged where the window cannot change the size.
    const bool same_stride1 = (w.auto_pad == AutoPad::kSameUpper ||
                               w.auto_pad == AutoPad::kSameLower) && w.strides[d] == 1;
    const bool identity = w.kernel[d] == 1 && w.strides[d] == 1 && !w.ceil_mode &&
                          (w.auto_pad != AutoPad::kNotSet ||
                           (w.pads[d] == 0 && w.pads[d + w.rank()] == 0));
    out.push_back(in.is_symbol() && (same_stride1 || identity) ? in : ctx.fresh_dim());
  }
  return out;
}

}  // namespace

Status infer_conv(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1))
    return ctx.error("needs inputs X and W");
  const ValueType& xt = ctx.input_type(0);
  const ValueType& wt = ctx.input_type(1);
  if (!xt.is_tensor() || !is_float_type(xt.dtype))
    return ctx.error("input 0 (X) must be a float tensor, got " + type_string(xt));
  if (!wt.is_tensor() || wt.dtype != xt.dtype)
    return ctx.error("input 1 (W) must be a tensor of X's type " + type_string(xt) + ", got " +
                     type_string(wt));
  if (ctx.has_input(2) && (!ctx.input_type(2).is_tensor() || ctx.input_type(2).dtype != xt.dtype))
    return ctx.error("input 2 (B) must be a tensor of X's type, got " +
                     type_string(ctx.input_type(2)));
  int64_t rank = -1;
  if (xt.has_shape) rank = xt.rank();
  else if (wt.has_shape) rank = wt.rank();
  if (rank < 0) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  if (rank < 3) return ctx.error("X must have rank >= 3 (N, C, spatial...), got rank " +
                                 std::to_string(rank));
  if (xt.has_shape && wt.has_shape && wt.rank() != xt.rank())
    return ctx.error("W has rank " + std::to_string(wt.rank()) + ", expected X's rank " +
                     std::to_string(xt.rank()));
  AttrReader a(ctx.node());
  const int64_t group = a.i("group", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (group <= 0) return ctx.error("group " + std::to_string(group) + " must be positive");
  std::vector<int64_t> kw;
  if (wt.has_shape)
    for (int64_t d = 2; d < rank; ++d)
      kw.push_back(wt.shape[d].is_known() ? wt.shape[d].value() : -1);
  else
    kw.assign(static_cast<size_t>(rank - 2), -1);
  WindowAttrs w;
  Status st = read_window_attrs(a, static_cast<size_t>(rank - 2), kw, false, &w);
  if (!st) return ctx.error(st.message());

  Dim m = ctx.fresh_dim();
  if (wt.has_shape) {
    m = wt.shape[0];
    if (m.is_known() && m.value() % group != 0)
      return ctx.error("W's output channels " + std::to_string(m.value()) +
                       " are not divisible by group " + std::to_string(group));
    int64_t expected_c = 0;  // group is an attribute: W.shape[1] * group can leave int64
    if (wt.shape[1].is_known() && __builtin_mul_overflow(wt.shape[1].value(), group, &expected_c))
      return ctx.error("W.shape[1] " + std::to_string(wt.shape[1].value()) + " * group " +
                       std::to_string(group) + " overflows int64");
    if (xt.has_shape && xt.shape[1].is_known() && wt.shape[1].is_known() && xt.shape[1].value() != expected_c)
      return ctx.error("X has " + std::to_string(xt.shape[1].value()) +
                       " channels, expected W.shape[1] * group = " + std::to_string(expected_c));
  }
  if (ctx.has_input(2) && ctx.input_type(2).has_shape) {
    const ValueType& bt = ctx.input_type(2);
    if (bt.rank() != 1 || (bt.shape[0].is_known() && m.is_known() && bt.shape[0] != m))
      return ctx.error("B must be 1-D with W.shape[0] elements, got " + type_string(bt));
  }
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  SymShape out{xt.shape[0], m};
  auto sp = infer_spatial(ctx, w, xt.shape);
  if (!sp) return sp.status();
  out.insert(out.end(), sp->begin(), sp->end());
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

Status infer_pool(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("needs input X");
  const ValueType& xt = ctx.input_type(0);
  if (!xt.is_tensor()) return ctx.error("input 0 (X) must be a tensor, got " + type_string(xt));
  const std::string& op = ctx.node().op_type;
  const bool is_max = op == "MaxPool";
  if (!is_max && !is_float_type(xt.dtype))
    return ctx.error("input 0 (X) must be a float tensor, got " + type_string(xt));
  if (is_max && !is_float_type(xt.dtype) && xt.dtype != DType::kInt8 && xt.dtype != DType::kUInt8)
    return ctx.error("input 0 (X) must be a float, int8 or uint8 tensor, got " + type_string(xt));
  if (!is_max && ctx.num_outputs() > 1) return ctx.error("has only one output");
  if (!xt.has_shape) {
    for (size_t i = 0; i < ctx.num_outputs(); ++i)
      ctx.outputs[i] = ValueType::tensor_unknown_rank(i == 0 ? xt.dtype : DType::kInt64);
    return Status::ok();
  }
  if (xt.rank() < 3)
    return ctx.error("X must have rank >= 3 (N, C, spatial...), got " + type_string(xt));
  AttrReader a(ctx.node());
  WindowAttrs w;
  // ceil_mode arrived in MaxPool/AveragePool 10 and LpPool 18.
  const bool has_ceil = (op == "LpPool") ? ctx.opset() >= 18 : ctx.opset() >= 10;
  Status st = read_window_attrs(a, static_cast<size_t>(xt.rank() - 2), {}, has_ceil, &w);
  if (!st) return ctx.error(st.message());
  if (is_max) {
    const int64_t so = a.i("storage_order", 0);
    if (so != 0 && so != 1)
      return ctx.error("storage_order " + std::to_string(so) + " must be 0 or 1");
  }
  SymShape out{xt.shape[0], xt.shape[1]};
  auto sp = infer_spatial(ctx, w, xt.shape);
  if (!sp) return sp.status();
  out.insert(out.end(), sp->begin(), sp->end());
  ctx.outputs[0] = ValueType::tensor(xt.dtype, out);
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(DType::kInt64, out);
  return Status::ok();
}

}  // namespace onnxrt::ir
