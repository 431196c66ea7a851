// Shape inference for the signal family: DFT (17, 20), STFT, HannWindow, HammingWindow,
// BlackmanWindow, MelWeightMatrix, and NonMaxSuppression (data-dependent output count).
#include <optional>
#include <string>
#include <utility>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float_type(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kFloat64 ||
         t == DType::kBFloat16;
}

bool is_int_index(DType t) { return t == DType::kInt32 || t == DType::kInt64; }

Status require_float_input(const InferContext& ctx, size_t i, const char* name) {
  if (!ctx.has_input(i)) return ctx.error(std::string("needs input ") + std::to_string(i) + " (" + name + ")");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || !is_float_type(t.dtype))
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + name +
                     ") must be a float tensor, got " + type_string(t));
  return Status::ok();
}

// The value of a scalar (or one-element) int32/int64 input when known. An error when the input
// has another type or more than one element.
Status scalar_int_input(const InferContext& ctx, size_t i, const char* name,
                        std::optional<int64_t>* out) {
  out->reset();
  if (!ctx.has_input(i)) return Status::ok();
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || !is_int_index(t.dtype))
    return ctx.error(std::string("input ") + std::to_string(i) + " (" + name +
                     ") must be int32 or int64, got " + type_string(t));
  if (const Tensor* v = ctx.input_value(i)) {
    if (v->size() != 1)
      return ctx.error(std::string("input ") + std::to_string(i) + " (" + name +
                       ") must be a scalar, got shape " + shape_to_string(v->shape()));
    *out = tensor_to_int64s(*v)[0];
  }
  return Status::ok();
}

Status infer_dft(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "input"));
  const ValueType& xt = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool inverse = a.i("inverse", 0) != 0;
  const bool onesided = a.i("onesided", 0) != 0;
  std::optional<int64_t> axis;
  if (ctx.opset() < 20) axis = a.i("axis", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  std::optional<int64_t> n;
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 1, "dft_length", &n));
  if (ctx.opset() >= 20) {
    if (ctx.has_input(2)) {
      ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 2, "axis", &axis));
    } else {
      axis = -2;
    }
  }
  if (n && *n <= 0) return ctx.error("dft_length " + std::to_string(*n) + " must be positive");
  const bool irfft = inverse && onesided;
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(xt.dtype);
    return Status::ok();
  }
  const int64_t r = xt.rank();
  if (r < 2) return ctx.error("input must have rank >= 2 (signal dims + [1 or 2]), got " + type_string(xt));
  const Dim last = xt.shape.back();
  if (last.is_known() && last.value() != 1 && last.value() != 2)
    return ctx.error("input's last dim must be 1 (real) or 2 (complex), got " + type_string(xt));
  SymShape out = xt.shape;
  out.back() = Dim(irfft ? 1 : 2);
  if (!axis) {  // axis known only at run time: every signal dim may change
    for (int64_t d = 0; d + 1 < r; ++d) out[static_cast<size_t>(d)] = ctx.fresh_dim();
    ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
    return Status::ok();
  }
  const int64_t ax = *axis < 0 ? *axis + r : *axis;
  if (ax < 0 || ax > r - 2)
    return ctx.error("axis " + std::to_string(*axis) + " is out of range for rank " +
                     std::to_string(r) + " (the last dim holds real/imaginary parts)");
  const Dim len = xt.shape[static_cast<size_t>(ax)];
  Dim nd = ctx.fresh_dim();
  if (n) {
    nd = Dim(*n);
  } else if (irfft) {
    if (len.is_known()) {
      if (len.value() < 2) return ctx.error("an inverse one-sided DFT needs >= 2 bins on the axis");
      nd = Dim(2 * (len.value() - 1));
    }
  } else {
    nd = len;
  }
  Dim od = nd;
  if (onesided && !inverse) od = nd.is_known() ? Dim(nd.value() / 2 + 1) : ctx.fresh_dim();
  out[static_cast<size_t>(ax)] = od;
  ctx.outputs[0] = ValueType::tensor(xt.dtype, std::move(out));
  return Status::ok();
}

Status infer_stft(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "signal"));
  const ValueType& xt = ctx.input_type(0);
  if (!ctx.has_input(1)) return ctx.error("needs input 1 (frame_step)");
  AttrReader a(ctx.node());
  const bool onesided = a.i("onesided", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  std::optional<int64_t> step, flen;
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 1, "frame_step", &step));
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 3, "frame_length", &flen));
  if (step && *step <= 0) return ctx.error("frame_step " + std::to_string(*step) + " must be positive");
  if (flen && *flen <= 0) return ctx.error("frame_length " + std::to_string(*flen) + " must be positive");
  Dim fl = flen ? Dim(*flen) : ctx.fresh_dim();
  if (ctx.has_input(2)) {
    ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 2, "window"));
    const ValueType& wt = ctx.input_type(2);
    if (wt.has_shape) {
      if (wt.rank() != 1) return ctx.error("window must be 1-D, got " + type_string(wt));
      const Dim wl = wt.shape[0];
      if (flen && wl.is_known() && wl.value() != *flen)
        return ctx.error("window length " + std::to_string(wl.value()) + " must equal frame_length " +
                         std::to_string(*flen));
      if (!flen) fl = wl;
    }
  }
  if (!xt.has_shape) {
    ctx.outputs[0] = ValueType::tensor(xt.dtype, {ctx.fresh_dim(), ctx.fresh_dim(), ctx.fresh_dim(), Dim(2)});
    return Status::ok();
  }
  if (xt.rank() != 3)
    return ctx.error("signal must have shape [batch, length, 1 or 2], got " + type_string(xt));
  const Dim last = xt.shape[2];
  if (last.is_known() && last.value() != 1 && last.value() != 2)
    return ctx.error("signal's last dim must be 1 (real) or 2 (complex), got " + type_string(xt));
  const Dim len = xt.shape[1];
  if (!ctx.has_input(2) && !ctx.has_input(3)) fl = len;
  Dim frames = ctx.fresh_dim();
  if (len.is_known() && fl.is_known() && step) {
    if (fl.value() > len.value())
      return ctx.error("frame_length " + std::to_string(fl.value()) + " exceeds the signal length " +
                       std::to_string(len.value()));
    frames = Dim((len.value() - fl.value()) / *step + 1);
  }
  Dim bins = fl;
  if (onesided) bins = fl.is_known() ? Dim(fl.value() / 2 + 1) : ctx.fresh_dim();
  ctx.outputs[0] = ValueType::tensor(xt.dtype, {xt.shape[0], frames, bins, Dim(2)});
  return Status::ok();
}

Status output_datatype(InferContext& ctx, bool allow_int, DType* out) {
  AttrReader a(ctx.node());
  const int64_t v = a.i("output_datatype", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const DType t = dtype_is_valid(static_cast<int32_t>(v)) ? static_cast<DType>(v) : DType::kUndefined;
  const bool ok = is_float_type(t) ||
                  (allow_int && dtype_is_integer(t) && dtype_bits(t) >= 8 && t != DType::kBool);
  if (!ok) return ctx.error("output_datatype " + std::to_string(v) + " is not an allowed type");
  *out = t;
  return Status::ok();
}

Status infer_window(InferContext& ctx) {
  std::optional<int64_t> size;
  if (!ctx.has_input(0)) return ctx.error("needs input 0 (size)");
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 0, "size", &size));
  AttrReader a(ctx.node());
  a.i("periodic", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  DType dt;
  ONNXRT_RETURN_IF_ERROR(output_datatype(ctx, true, &dt));
  if (size && *size < 0) return ctx.error("size " + std::to_string(*size) + " must not be negative");
  ctx.outputs[0] = ValueType::tensor(dt, {size ? Dim(*size) : ctx.fresh_dim()});
  return Status::ok();
}

Status infer_mel(InferContext& ctx) {
  for (size_t i = 0; i < 5; ++i)
    if (!ctx.has_input(i))
      return ctx.error("needs 5 inputs (num_mel_bins, dft_length, sample_rate, lower_edge_hertz, "
                       "upper_edge_hertz); input " + std::to_string(i) + " is missing");
  std::optional<int64_t> bins, n, rate;
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 0, "num_mel_bins", &bins));
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 1, "dft_length", &n));
  ONNXRT_RETURN_IF_ERROR(scalar_int_input(ctx, 2, "sample_rate", &rate));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 3, "lower_edge_hertz"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 4, "upper_edge_hertz"));
  DType dt;
  ONNXRT_RETURN_IF_ERROR(output_datatype(ctx, true, &dt));
  if (bins && *bins <= 0) return ctx.error("num_mel_bins " + std::to_string(*bins) + " must be positive");
  if (n && *n <= 0) return ctx.error("dft_length " + std::to_string(*n) + " must be positive");
  if (rate && *rate <= 0) return ctx.error("sample_rate " + std::to_string(*rate) + " must be positive");
  ctx.outputs[0] = ValueType::tensor(dt, {n ? Dim(*n / 2 + 1) : ctx.fresh_dim(),
                                          bins ? Dim(*bins) : ctx.fresh_dim()});
  return Status::ok();
}

Status infer_nms(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 0, "boxes"));
  ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, 1, "scores"));
  const ValueType& bt = ctx.input_type(0);
  const ValueType& st = ctx.input_type(1);
  if (bt.has_shape && (bt.rank() != 3 || (bt.shape[2].is_known() && bt.shape[2].value() != 4)))
    return ctx.error("boxes must have shape [batches, boxes, 4], got " + type_string(bt));
  if (st.has_shape && st.rank() != 3)
    return ctx.error("scores must have shape [batches, classes, boxes], got " + type_string(st));
  if (bt.has_shape && st.has_shape) {
    for (auto [bd, sd] : {std::pair<size_t, size_t>{0, 0}, {1, 2}}) {
      const Dim x = bt.shape[bd], y = st.shape[sd];
      if (x.is_known() && y.is_known() && x.value() != y.value())
        return ctx.error("boxes " + type_string(bt) + " and scores " + type_string(st) +
                         " disagree on the batch or box count");
    }
  }
  if (ctx.has_input(2) && !is_int_index(ctx.input_type(2).dtype))
    return ctx.error("max_output_boxes_per_class must be int64, got " + type_string(ctx.input_type(2)));
  for (size_t i = 3; i < 5; ++i)
    if (ctx.has_input(i)) ONNXRT_RETURN_IF_ERROR(require_float_input(ctx, i, i == 3 ? "iou_threshold" : "score_threshold"));
  AttrReader a(ctx.node());
  const int64_t cpb = a.i("center_point_box", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (cpb != 0 && cpb != 1) return ctx.error("center_point_box " + std::to_string(cpb) + " must be 0 or 1");
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, {ctx.fresh_dim(), Dim(3)});
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

const OpInfo kSignalOps[] = {
    {"", "DFT", &infer_dft},
    {"", "STFT", &infer_stft},
    {"", "HannWindow", &infer_window},
    {"", "HammingWindow", &infer_window},
    {"", "BlackmanWindow", &infer_window},
    {"", "MelWeightMatrix", &infer_mel},
    {"", "NonMaxSuppression", &infer_nms},
};

}  // namespace

std::span<const OpInfo> signal_op_infos() { return kSignalOps; }

}  // namespace onnxrt::ir
