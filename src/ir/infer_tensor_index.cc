// Inference for the indexing and data-movement ops: Gather, Slice, Split, Tile, Range, Pad,
// GatherElements, GatherND, Scatter*, Trilu, NonZero, OneHot, DepthToSpace, SpaceToDepth.
#include <algorithm>
#include <cmath>
#include <limits>

#include "base/half.h"
#include "ir/infer_tensor_util.h"

namespace onnxrt::ir::tensor_infer {
namespace {

std::string shp(const SymShape& s) { return shape_to_string(s); }

Status require_index_type(const InferContext& ctx, size_t i, const char* what) {
  DType t = ctx.input_type(i).dtype;
  if (t != DType::kInt32 && t != DType::kInt64 && t != DType::kUndefined)
    return ctx.error("input " + std::to_string(i) + " (" + what + ") must be int32 or int64, got " +
                     std::string(dtype_name(t)));
  return Status::ok();
}

SymShape fresh_dims(InferContext& ctx, int64_t n) {
  SymShape s;
  for (int64_t i = 0; i < n; ++i) s.push_back(ctx.fresh_dim());
  return s;
}

// A scalar numeric constant as double (Range, OneHot depth).
std::optional<double> const_scalar(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return std::nullopt;
  const Tensor* t = ctx.input_value(i);
  if (!t || t->size() != 1) return std::nullopt;
  switch (t->dtype()) {
    case DType::kFloat32: return t->data<float>()[0];
    case DType::kFloat64: return t->data<double>()[0];
    case DType::kInt8: return t->data<int8_t>()[0];
    case DType::kUInt8: return t->data<uint8_t>()[0];
    case DType::kInt16: return t->data<int16_t>()[0];
    case DType::kUInt16: return t->data<uint16_t>()[0];
    case DType::kInt32: return t->data<int32_t>()[0];
    case DType::kInt64: return static_cast<double>(t->data<int64_t>()[0]);
    case DType::kUInt32: return t->data<uint32_t>()[0];
    case DType::kUInt64: return static_cast<double>(t->data<uint64_t>()[0]);
    case DType::kFloat16: return half_to_float(t->data<uint16_t>()[0]);
    case DType::kBFloat16: return bfloat16_to_float(t->data<uint16_t>()[0]);
    default: return std::nullopt;
  }
}

}  // namespace

Status infer_same_as_input0(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  ctx.outputs[0] = ctx.input_type(0);
  ctx.outputs[0].sym_value.reset();
  return Status::ok();
}

// ---------------------------------------------------------------- Gather

Status infer_gather(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "indices"));
  ONNXRT_RETURN_IF_ERROR(require_index_type(ctx, 1, "indices"));
  const ValueType& data = ctx.input_type(0);
  const ValueType& idx = ctx.input_type(1);
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!data.has_shape || !idx.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(data.dtype);
    return Status::ok();
  }
  auto ax = norm_axis(axis, data.rank());
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for data " +
                     shp(data.shape) + " of rank " + std::to_string(data.rank()));
  const size_t k = static_cast<size_t>(*ax);
  const Dim dim = data.shape[k];
  auto ind = const_ints(ctx, 1);
  if (ind && dim.is_known()) {
    for (int64_t v : *ind)
      if (v < -dim.value() || v >= dim.value())
        return ctx.error("index " + std::to_string(v) + " out of range for axis " +
                         std::to_string(k) + " of size " + std::to_string(dim.value()) +
                         " (expected [" + std::to_string(-dim.value()) + ", " +
                         std::to_string(dim.value() - 1) + "])");
  }
  SymShape out(data.shape.begin(), data.shape.begin() + static_cast<ptrdiff_t>(k));
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), data.shape.begin() + static_cast<ptrdiff_t>(k) + 1, data.shape.end());
  ctx.outputs[0] = ValueType::tensor(data.dtype, out);
  if (data.rank() == 1 && idx.rank() <= 1 && ind) {
    if (auto dv = dims_value(ctx, 0)) {
      SymShape v;
      const int64_t n = static_cast<int64_t>(dv->size());
      for (int64_t i : *ind) {
        if (i < -n || i >= n) return Status::ok();
        v.push_back((*dv)[static_cast<size_t>(i < 0 ? i + n : i)]);
      }
      ctx.outputs[0].sym_value = v;
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- Slice

Status infer_slice(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& data = ctx.input_type(0);
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  bool axes_given = false, steps_given = false;
  if (ctx.opset() < 10) {
    AttrReader a(ctx.node());
    starts = a.ints("starts");
    ends = a.ints("ends");
    axes_given = a.has("axes");
    if (axes_given) axes = a.ints("axes");
    ONNXRT_RETURN_IF_ERROR(a.status());
    if (!a.has("starts") || !a.has("ends")) return ctx.error("attributes 'starts' and 'ends' are required");
  } else {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "starts"));
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "ends"));
    starts = const_ints(ctx, 1);
    ends = const_ints(ctx, 2);
    axes_given = ctx.has_input(3);
    if (axes_given) axes = const_ints(ctx, 3);
    steps_given = ctx.has_input(4);
    if (steps_given) steps = const_ints(ctx, 4);
  }
  if (!data.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(data.dtype);
    return Status::ok();
  }
  const int64_t r = data.rank();
  SymShape out = data.shape;
  if (!starts || !ends || (axes_given && !axes) || (steps_given && !steps)) {
    // Parameters unknown statically: the rank is kept; sliced axes get fresh dims.
    if (axes_given && axes) {
      ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> ax, normalize_axes(*axes, r, ctx));
      for (int64_t x : ax) out[static_cast<size_t>(x)] = ctx.fresh_dim();
    } else {
      out = fresh_dims(ctx, r);
    }
    ctx.outputs[0] = ValueType::tensor(data.dtype, out);
    return Status::ok();
  }
  const size_t n = starts->size();
  if (ends->size() != n)
    return ctx.error("starts " + ints_to_string(*starts) + " and ends " + ints_to_string(*ends) +
                     " differ in length");
  if (!axes_given) {
    axes = std::vector<int64_t>();
    for (size_t i = 0; i < n; ++i) axes->push_back(static_cast<int64_t>(i));
  }
  if (!steps_given) steps = std::vector<int64_t>(n, 1);
  if (axes->size() != n || steps->size() != n)
    return ctx.error("starts, ends, axes and steps must have one entry per sliced axis; got " +
                     std::to_string(n) + ", " + std::to_string(ends->size()) + ", " +
                     std::to_string(axes->size()) + ", " + std::to_string(steps->size()));
  ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> ax, normalize_axes(*axes, r, ctx));
  std::vector<SliceBounds> bounds(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t step = (*steps)[i];
    if (step == 0) return ctx.error("steps " + ints_to_string(*steps) + " contain 0");
    Dim& d = out[static_cast<size_t>(ax[i])];
    if (d.is_known()) {
      bounds[i] = slice_bounds(d.value(), (*starts)[i], (*ends)[i], step);
      d = Dim(bounds[i].count);
    } else if (step == 1 && (*starts)[i] == 0 && (*ends)[i] >= std::numeric_limits<int32_t>::max()) {
      // [0:INT_MAX] keeps the whole (symbolic) dim.
    } else {
      d = ctx.fresh_dim();
    }
  }
  ctx.outputs[0] = ValueType::tensor(data.dtype, out);
  if (r == 1 && out[0].is_known()) {
    if (auto dv = dims_value(ctx, 0)) {
      SymShape v;
      for (int64_t i = 0; i < out[0].value(); ++i)
        v.push_back((*dv)[static_cast<size_t>(bounds[0].start + i * (*steps)[0])]);
      ctx.outputs[0].sym_value = v;
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- Split

Status infer_split(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 0);
  std::optional<std::vector<int64_t>> split;
  bool split_given = false;
  if (ctx.opset() >= 13 || (ctx.opset() < 2 && ctx.has_input(1))) {
    split_given = ctx.has_input(1);
    if (split_given) split = const_ints(ctx, 1);
  } else if (a.has("split")) {
    split_given = true;
    split = a.ints("split");
  }
  const bool has_num = ctx.opset() >= 18 && a.has("num_outputs");
  const int64_t num_outputs = a.i("num_outputs", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const int64_t n = static_cast<int64_t>(ctx.num_outputs());
  if (has_num && split_given) return ctx.error("has both 'split' and 'num_outputs'");
  if (has_num && num_outputs != n)
    return ctx.error("num_outputs is " + std::to_string(num_outputs) + " but the node has " +
                     std::to_string(n) + " outputs");
  if (n == 0) return ctx.error("needs at least one output");
  if (!in.has_shape) {
    for (auto& o : ctx.outputs) o = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  auto ax = norm_axis(axis, in.rank());
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(in.rank()));
  const Dim d = in.shape[static_cast<size_t>(*ax)];
  std::vector<Dim> parts;
  if (split_given && split) {
    if (static_cast<int64_t>(split->size()) != n)
      return ctx.error("split " + ints_to_string(*split) + " has " +
                       std::to_string(split->size()) + " entries for " + std::to_string(n) +
                       " outputs");
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0) return ctx.error("split " + ints_to_string(*split) + " has a negative entry");
      if (__builtin_add_overflow(sum, s, &sum))
        return ctx.error("split " + ints_to_string(*split) + " sums past int64");
      parts.push_back(Dim(s));
    }
    if (d.is_known() && sum != d.value())
      return ctx.error("split " + ints_to_string(*split) + " sums to " + std::to_string(sum) +
                       " but axis " + std::to_string(*ax) + " has size " +
                       std::to_string(d.value()));
  } else if (split_given || !d.is_known()) {
    for (int64_t i = 0; i < n; ++i) parts.push_back(n == 1 ? d : ctx.fresh_dim());
  } else {
    const int64_t dim = d.value();
    if (dim % n == 0) {
      parts.assign(static_cast<size_t>(n), Dim(dim / n));
    } else {
      if (!has_num)
        return ctx.error("axis " + std::to_string(*ax) + " of size " + std::to_string(dim) +
                         " cannot be split evenly into " + std::to_string(n) + " outputs");
      const int64_t chunk = dim / n + 1;
      const int64_t last = dim - chunk * (n - 1);
      if (last < 0)
        return ctx.error("axis of size " + std::to_string(dim) + " cannot be split into " +
                         std::to_string(n) + " chunks of " + std::to_string(chunk));
      parts.assign(static_cast<size_t>(n), Dim(chunk));
      parts.back() = Dim(last);
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    SymShape s = in.shape;
    s[static_cast<size_t>(*ax)] = parts[static_cast<size_t>(i)];
    ctx.outputs[static_cast<size_t>(i)] = ValueType::tensor(in.dtype, s);
  }
  return Status::ok();
}

// ---------------------------------------------------------------- Tile

Status infer_tile(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "repeats"));
  const ValueType& in = ctx.input_type(0);
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  std::optional<std::vector<int64_t>> reps;
  if (ctx.opset() < 6) {
    // Tile-1: inputs (input, tiles, axis) repeat one axis.
    auto tiles = const_ints(ctx, 1);
    auto axis = const_ints(ctx, 2);
    if (tiles && axis && tiles->size() == 1 && axis->size() == 1) {
      auto ax = norm_axis((*axis)[0], in.rank());
      if (!ax) return ctx.error("axis " + std::to_string((*axis)[0]) + " out of range");
      reps = std::vector<int64_t>(static_cast<size_t>(in.rank()), 1);
      (*reps)[static_cast<size_t>(*ax)] = (*tiles)[0];
    }
  } else {
    reps = const_ints(ctx, 1);
  }
  if (!reps) {
    ctx.outputs[0] = ValueType::tensor(in.dtype, fresh_dims(ctx, in.rank()));
    return Status::ok();
  }
  if (static_cast<int64_t>(reps->size()) != in.rank())
    return ctx.error("repeats " + ints_to_string(*reps) + " has " + std::to_string(reps->size()) +
                     " entries, expected the input rank " + std::to_string(in.rank()));
  SymShape out = in.shape;
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t r = (*reps)[i];
    if (r < 0) return ctx.error("repeats " + ints_to_string(*reps) + " has a negative entry");
    if (r == 1) continue;
    if (!out[i].is_known()) {
      out[i] = r == 0 ? Dim(0) : ctx.fresh_dim();
      continue;
    }
    int64_t tiled = 0;  // repeats are data: dim * repeat can leave int64 (found by fuzz_session)
    if (__builtin_mul_overflow(out[i].value(), r, &tiled))
      return ctx.error("repeats " + ints_to_string(*reps) + ": axis " + std::to_string(i) + " of size " +
                       std::to_string(out[i].value()) + " repeated " + std::to_string(r) +
                       " times overflows int64");
    out[i] = Dim(tiled);
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

// ---------------------------------------------------------------- Range

Status infer_range(InferContext& ctx) {
  for (size_t i = 0; i < 3; ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, i == 0 ? "start" : i == 1 ? "limit" : "delta"));
  }
  const DType dt = ctx.input_type(0).dtype;
  auto s = const_scalar(ctx, 0), l = const_scalar(ctx, 1), d = const_scalar(ctx, 2);
  if (!s || !l || !d) {
    // Range(0, n, 1) with n a dim (torch.arange(x.shape[1])): n elements, as a dim is >= 0.
    const std::optional<SymShape> limit = dtype_is_integer(dt) ? dims_value(ctx, 1) : std::nullopt;
    const bool counts_to_limit = s && d && *s == 0 && *d == 1 && limit && limit->size() == 1;
    Dim n = ctx.fresh_dim();
    if (counts_to_limit) n = (*limit)[0].is_known() ? Dim(std::max<int64_t>((*limit)[0].value(), 0)) : (*limit)[0];
    ctx.outputs[0] = ValueType::tensor(dt, {n});
    return Status::ok();
  }
  if (*d == 0) return ctx.error("delta is 0");
  int64_t n;
  if (dtype_is_integer(dt) && ctx.input_value(0)->dtype() == DType::kInt64) {
    const int64_t si = ctx.input_value(0)->data<int64_t>()[0];
    const int64_t li = ctx.input_value(1)->data<int64_t>()[0];
    const int64_t di = ctx.input_value(2)->data<int64_t>()[0];
    // ceil((l - s) / d) in integers, in 128 bits: l - s overflows int64 for far-apart limits.
    const __int128 num = static_cast<__int128>(li) - si;
    const __int128 q = num / di + ((num % di != 0 && ((num > 0) == (di > 0))) ? 1 : 0);
    if (q > std::numeric_limits<int64_t>::max()) return ctx.error("output of " + std::to_string(static_cast<double>(q)) + " elements is too large");
    n = static_cast<int64_t>(q);
  } else {
    // Checked before converting: a double beyond int64 (or NaN) has no integer value.
    const double q = std::ceil((*l - *s) / *d);
    if (std::isnan(q)) return ctx.error("start, limit or delta is NaN");
    if (q >= 9.2e18) return ctx.error("output of " + std::to_string(q) + " elements is too large");
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  }
  ctx.outputs[0] = ValueType::tensor(dt, {Dim(std::max<int64_t>(n, 0))});
  return Status::ok();
}

// ---------------------------------------------------------------- Pad

Status infer_pad(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const std::string mode = a.s("mode", "constant");
  std::optional<std::vector<int64_t>> pads;
  std::optional<std::vector<int64_t>> axes;
  if (ctx.opset() < 11) {
    pads = a.ints(ctx.opset() < 2 ? "paddings" : "pads");
  } else {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "pads"));
    pads = const_ints(ctx, 1);
    if (ctx.opset() >= 18 && ctx.has_input(3)) {
      axes = const_ints(ctx, 3);
      if (!axes) pads.reset();
    }
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode != "constant" && mode != "reflect" && mode != "edge" && !(mode == "wrap" && ctx.opset() >= 19))
    return ctx.error("mode '" + mode + "' is not one of constant, reflect, edge" +
                     std::string(ctx.opset() >= 19 ? ", wrap" : ""));
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  const int64_t r = in.rank();
  if (!pads) {
    ctx.outputs[0] = ValueType::tensor(in.dtype, fresh_dims(ctx, r));
    return Status::ok();
  }
  std::vector<int64_t> ax;
  if (axes) {
    ONNXRT_ASSIGN_OR_RETURN(ax, normalize_axes(*axes, r, ctx));
  } else {
    for (int64_t i = 0; i < r; ++i) ax.push_back(i);
  }
  const size_t k = ax.size();
  if (pads->size() != 2 * k)
    return ctx.error("pads " + ints_to_string(*pads) + " has " + std::to_string(pads->size()) +
                     " entries, expected " + std::to_string(2 * k) + " (2 per padded axis)");
  SymShape out = in.shape;
  for (size_t i = 0; i < k; ++i) {
    Dim& d = out[static_cast<size_t>(ax[i])];
    int64_t add = 0, v = 0;  // pads are data: their sum, and dim + sum, can leave int64
    if (__builtin_add_overflow((*pads)[i], (*pads)[i + k], &add) ||
        (d.is_known() && __builtin_add_overflow(d.value(), add, &v)))
      return ctx.error("pads " + ints_to_string(*pads) + ": axis " + std::to_string(ax[i]) +
                       " padded size overflows int64");
    if (add == 0 && (*pads)[i] == 0) continue;
    if (d.is_known()) {
      if (v < 0)
        return ctx.error("pads " + ints_to_string(*pads) + " crop axis " + std::to_string(ax[i]) +
                         " of size " + std::to_string(d.value()) + " below zero");
      d = Dim(v);
    } else {
      d = ctx.fresh_dim();
    }
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

// ---------------------------------------------------------------- GatherElements, GatherND

Status infer_gather_elements(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "indices"));
  ONNXRT_RETURN_IF_ERROR(require_index_type(ctx, 1, "indices"));
  const ValueType& data = ctx.input_type(0);
  const ValueType& idx = ctx.input_type(1);
  if (data.has_shape && idx.has_shape && data.rank() != idx.rank())
    return ctx.error("indices " + shp(idx.shape) + " must have the rank of data " +
                     shp(data.shape));
  ctx.outputs[0] = idx.has_shape ? ValueType::tensor(data.dtype, idx.shape)
                                 : ValueType::tensor_unknown_rank(data.dtype);
  return Status::ok();
}

Status infer_gather_nd(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "indices"));
  const ValueType& data = ctx.input_type(0);
  const ValueType& idx = ctx.input_type(1);
  if (idx.dtype != DType::kInt64 && idx.dtype != DType::kUndefined)
    return ctx.error("indices must be int64, got " + std::string(dtype_name(idx.dtype)));
  AttrReader a(ctx.node());
  const int64_t b = a.i("batch_dims", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!data.has_shape || !idx.has_shape || idx.rank() == 0 || !idx.shape.back().is_known()) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(data.dtype);
    return Status::ok();
  }
  const int64_t k = idx.shape.back().value();
  if (b < 0 || b >= std::min(data.rank(), idx.rank()))
    return ctx.error("batch_dims " + std::to_string(b) + " must be in [0, " +
                     std::to_string(std::min(data.rank(), idx.rank())) + ")");
  if (k < 1 || b + k > data.rank())
    return ctx.error("indices " + shp(idx.shape) + " last dim " + std::to_string(k) +
                     " must be in [1, " + std::to_string(data.rank() - b) + "] for data " +
                     shp(data.shape) + " with batch_dims " + std::to_string(b));
  SymShape out(idx.shape.begin(), idx.shape.end() - 1);
  out.insert(out.end(), data.shape.begin() + b + k, data.shape.end());
  ctx.outputs[0] = ValueType::tensor(data.dtype, out);
  return Status::ok();
}

// ---------------------------------------------------------------- NonZero, OneHot

Status infer_nonzero(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "X"));
  const ValueType& in = ctx.input_type(0);
  const Dim r = in.has_shape ? Dim(in.rank()) : ctx.fresh_dim();
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, {r, ctx.fresh_dim()});
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_onehot(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "indices"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "depth"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 2, "values"));
  const ValueType& idx = ctx.input_type(0);
  const DType dt = ctx.input_type(2).dtype;
  AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!idx.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(dt);
    return Status::ok();
  }
  const int64_t r = idx.rank() + 1;
  auto ax = norm_axis(axis, r);
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for output rank " +
                     std::to_string(r));
  Dim depth = ctx.fresh_dim();
  if (auto d = const_scalar(ctx, 1)) {
    if (!(*d >= 1 && *d < 9.0e18)) return ctx.error("depth " + std::to_string(*d) + " must be >= 1");
    depth = Dim(static_cast<int64_t>(*d));
  }
  SymShape out = idx.shape;
  out.insert(out.begin() + *ax, depth);
  ctx.outputs[0] = ValueType::tensor(dt, out);
  return Status::ok();
}

// ---------------------------------------------------------------- DepthToSpace, SpaceToDepth

namespace {
Status space_depth(InferContext& ctx, bool to_space) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const int64_t b = a.i("blocksize", 0);
  const std::string mode = a.s("mode", "DCR");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (b <= 0) return ctx.error("blocksize " + std::to_string(b) + " must be positive");
  if ((to_space || ctx.opset() >= 28) && mode != "DCR" && mode != "CRD")
    return ctx.error("mode '" + mode + "' must be DCR or CRD");
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor(in.dtype, fresh_dims(ctx, 4));
    return Status::ok();
  }
  if (in.rank() != 4)
    return ctx.error("input " + shp(in.shape) + " must have rank 4 (N, C, H, W)");
  SymShape out = in.shape;
  // blocksize is an attribute: blocksize^2 and dim * blocksize can leave int64.
  int64_t b2 = 0;
  if (__builtin_mul_overflow(b, b, &b2))
    return ctx.error("blocksize " + std::to_string(b) + " squared overflows int64");
  auto mul = [&](Dim d, int64_t f, const char* what) -> Expected<Dim> {
    if (!d.is_known()) return ctx.fresh_dim();
    int64_t v = 0;
    if (__builtin_mul_overflow(d.value(), f, &v))
      return ctx.error(std::string(what) + " " + std::to_string(d.value()) + " of input " + shp(in.shape) +
                       " times " + std::to_string(f) + " overflows int64");
    return Dim(v);
  };
  auto div = [&](Dim d, int64_t f, const char* what) -> Expected<Dim> {
    if (!d.is_known()) return ctx.fresh_dim();
    if (d.value() % f != 0)
      return ctx.error(std::string(what) + " " + std::to_string(d.value()) +
                       " of input " + shp(in.shape) + " is not divisible by " + std::to_string(f));
    return Dim(d.value() / f);
  };
  if (to_space) {
    ONNXRT_ASSIGN_OR_RETURN(out[1], div(in.shape[1], b2, "channels"));
    ONNXRT_ASSIGN_OR_RETURN(out[2], mul(in.shape[2], b, "height"));
    ONNXRT_ASSIGN_OR_RETURN(out[3], mul(in.shape[3], b, "width"));
  } else {
    ONNXRT_ASSIGN_OR_RETURN(out[1], mul(in.shape[1], b2, "channels"));
    ONNXRT_ASSIGN_OR_RETURN(out[2], div(in.shape[2], b, "height"));
    ONNXRT_ASSIGN_OR_RETURN(out[3], div(in.shape[3], b, "width"));
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}
}  // namespace

Status infer_depth_to_space(InferContext& ctx) { return space_depth(ctx, true); }
Status infer_space_to_depth(InferContext& ctx) { return space_depth(ctx, false); }

}  // namespace onnxrt::ir::tensor_infer
