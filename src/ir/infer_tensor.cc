// Inference for the shape ops (Reshape, Shape, Size, Flatten, Squeeze, Unsqueeze, Identity,
// Constant, ConstantOfShape, Expand, Transpose, Concat) and the tensor family's op table.
//
// Shape-computation chains (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) carry their
// elements as dims in ValueType::sym_value, so a Reshape whose shape input is computed at run time
// still gets "batch" in its output type when the chain started from a symbolic dim.
#include <algorithm>
#include <numeric>

#include "ir/infer_tensor_util.h"
#include "ir/op_families.h"

namespace onnxrt::ir {
namespace tensor_infer {

// Defined in infer_tensor_index.cc and infer_tensor_reduce.cc.
Status infer_gather(InferContext& ctx);
Status infer_slice(InferContext& ctx);
Status infer_split(InferContext& ctx);
Status infer_tile(InferContext& ctx);
Status infer_range(InferContext& ctx);
Status infer_pad(InferContext& ctx);
Status infer_same_as_input0(InferContext& ctx);
Status infer_gather_elements(InferContext& ctx);
Status infer_gather_nd(InferContext& ctx);
Status infer_nonzero(InferContext& ctx);
Status infer_onehot(InferContext& ctx);
Status infer_depth_to_space(InferContext& ctx);
Status infer_space_to_depth(InferContext& ctx);
Status infer_reduce(InferContext& ctx);
Status infer_arg_reduce(InferContext& ctx);
Status infer_topk(InferContext& ctx);
// Defined in infer_tensor_misc.cc and infer_tensor_einsum.cc.
Status infer_compress(InferContext& ctx);
Status infer_unique(InferContext& ctx);
Status infer_eye_like(InferContext& ctx);
Status infer_center_crop_pad(InferContext& ctx);
Status infer_col2im(InferContext& ctx);
Status infer_det(InferContext& ctx);
Status infer_einsum(InferContext& ctx);

// ---------------------------------------------------------------- helpers

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

std::optional<std::vector<int64_t>> const_ints(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return std::nullopt;
  const Tensor* t = ctx.input_value(i);
  if (!t || !t->defined()) return std::nullopt;
  if (t->dtype() != DType::kInt64 && t->dtype() != DType::kInt32) return std::nullopt;
  std::vector<int64_t> v(static_cast<size_t>(t->size()));
  for (int64_t k = 0; k < t->size(); ++k)
    v[static_cast<size_t>(k)] =
        t->dtype() == DType::kInt64 ? t->data<int64_t>()[k] : t->data<int32_t>()[k];
  return v;
}

std::optional<SymShape> dims_value(const InferContext& ctx, size_t i) {
  if (auto v = const_ints(ctx, i)) {
    SymShape s;
    for (int64_t x : *v) s.push_back(Dim(x));
    return s;
  }
  if (ctx.has_input(i) && ctx.input_type(i).sym_value) return ctx.input_type(i).sym_value;
  return std::nullopt;
}

std::optional<SymShape> sym_value_of(const Tensor& t) {
  if (!t.defined() || t.rank() > 1 || t.size() > 64) return std::nullopt;
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32) return std::nullopt;
  SymShape s;
  for (int64_t k = 0; k < t.size(); ++k)
    s.push_back(Dim(t.dtype() == DType::kInt64 ? t.data<int64_t>()[k] : t.data<int32_t>()[k]));
  return s;
}

Dim dim_product(const SymShape& dims, size_t begin, size_t end, InferContext& ctx) {
  int64_t p = 1;
  int symbols = 0;
  Dim sym;
  for (size_t i = begin; i < end; ++i) {
    if (dims[i].is_known()) {
      p *= dims[i].value();
    } else {
      ++symbols;
      sym = dims[i];
    }
  }
  if (symbols == 0) return Dim(p);
  if (p == 0) return Dim(0);
  if (symbols == 1 && p == 1) return sym;
  std::vector<int32_t> syms;
  for (size_t i = begin; i < end; ++i)
    if (!dims[i].is_known()) syms.push_back(dims[i].symbol_id());
  return ctx.derived_dim("product(" + symbol_list(std::move(syms)) + ";" + std::to_string(p) + ")");
}

std::string symbol_list(std::vector<int32_t> ids) {
  std::sort(ids.begin(), ids.end());
  std::string s;
  for (int32_t id : ids) s += std::to_string(id) + ",";
  return s;
}

Status require_tensor(const InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i))
    return ctx.error("input " + std::to_string(i) + " (" + what + ") is required but missing");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor())
    return ctx.error("input " + std::to_string(i) + " (" + what + ") must be a tensor, got " +
                     type_string(t));
  return Status::ok();
}

AxesArg read_axes(InferContext& ctx, int input_since, size_t input_index, const char* attr) {
  AxesArg r;
  if (ctx.opset() < input_since) {
    AttrReader a(ctx.node());
    if (a.has(attr)) {
      r.present = true;
      r.axes = a.ints(attr);
    }
    return r;
  }
  if (!ctx.has_input(input_index)) return r;
  r.present = true;
  if (auto v = const_ints(ctx, input_index)) {
    r.axes = *v;
  } else {
    r.known = false;
  }
  return r;
}

Expected<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank,
                                              const InferContext& ctx) {
  std::vector<int64_t> out;
  for (int64_t ax : axes) {
    auto n = norm_axis(ax, rank);
    if (!n)
      return ctx.error("axis " + std::to_string(ax) + " out of range for rank " +
                       std::to_string(rank) + " (expected [" + std::to_string(-rank) + ", " +
                       std::to_string(rank) + "))");
    if (std::find(out.begin(), out.end(), *n) != out.end())
      return ctx.error("axes " + ints_to_string(axes) + " repeat axis " + std::to_string(ax));
    out.push_back(*n);
  }
  return out;
}

namespace {

std::string shp(const SymShape& s) { return shape_to_string(s); }

// Keeps a rank-0/1 sym_value through ops that only change rank between 0 and 1.
void carry_sym_value(InferContext& ctx) {
  ValueType& o = ctx.outputs[0];
  const ValueType& in = ctx.input_type(0);
  std::optional<SymShape> v = in.sym_value;
  if (!v) {
    if (const Tensor* t = ctx.input_value(0)) v = sym_value_of(*t);
  }
  if (v && o.has_shape && o.rank() <= 1) {
    if (o.rank() == 0 && v->size() == 1) o.sym_value = v;
    if (o.rank() == 1 && o.shape[0].is_known() &&
        o.shape[0].value() == static_cast<int64_t>(v->size()))
      o.sym_value = v;
  }
}

// ---------------------------------------------------------------- Reshape

// Multiplies a known, non-negative dim into an element count; false when the count overflows
// int64. The shape input is data: a model can ask for dims whose product has no int64 value.
bool multiply_count(int64_t& count, int64_t dim) { return !__builtin_mul_overflow(count, dim, &count); }

Status infer_reshape(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool allowzero = ctx.opset() >= 14 && a.i("allowzero", 0) != 0;
  std::optional<SymShape> target;
  if (ctx.opset() < 5) {
    std::vector<int64_t> s = a.ints("shape");
    ONNXRT_RETURN_IF_ERROR(a.status());
    target = SymShape(s.begin(), s.end());
  } else {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "shape"));
    target = dims_value(ctx, 1);
    if (!target) {
      const ValueType& st = ctx.input_type(1);
      if (st.has_shape && st.rank() == 1 && st.shape[0].is_known()) {
        SymShape out;
        for (int64_t i = 0; i < st.shape[0].value(); ++i) out.push_back(ctx.fresh_dim());
        ctx.outputs[0] = ValueType::tensor(in.dtype, out);
      } else {
        ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
      }
      return Status::ok();
    }
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  SymShape out(target->size());
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < target->size(); ++i) {
    const Dim t = (*target)[i];
    if (t.is_symbol()) {
      out[i] = t;
      continue;
    }
    const int64_t v = t.value();
    if (v == 0 && !allowzero) {
      if (!in.has_shape) {
        out[i] = ctx.fresh_dim();
      } else if (static_cast<int64_t>(i) >= in.rank()) {
        return ctx.error("shape " + shp(*target) + " has 0 (copy input dim) at index " +
                         std::to_string(i) + " but the input " + shp(in.shape) + " has rank " +
                         std::to_string(in.rank()));
      } else {
        out[i] = in.shape[i];
      }
    } else if (v == 0) {
      out[i] = Dim(0);
      has_zero = true;
    } else if (v == -1) {
      if (infer_at >= 0)
        return ctx.error("shape " + shp(*target) + " has more than one -1");
      infer_at = static_cast<int64_t>(i);
    } else if (v < -1) {
      return ctx.error("shape " + shp(*target) + " has invalid dim " + std::to_string(v) +
                       " at index " + std::to_string(i) + " (expected >= -1)");
    } else {
      out[i] = t;
    }
  }
  if (allowzero && has_zero && infer_at >= 0)
    return ctx.error("shape " + shp(*target) + " has both 0 and -1 while allowzero=1");
  if (infer_at >= 0) {
    Dim solved = ctx.fresh_dim();
    if (in.has_shape) {
      // Cancel equal symbols between input and output, then divide the known parts.
      std::vector<int32_t> in_syms, out_syms;
      int64_t pin = 1, pout = 1;
      bool overflow = false;
      for (const Dim& d : in.shape) {
        if (d.is_known()) overflow |= !multiply_count(pin, d.value());
        else in_syms.push_back(d.symbol_id());
      }
      for (size_t i = 0; i < out.size(); ++i) {
        if (static_cast<int64_t>(i) == infer_at) continue;
        if (out[i].is_known()) {
          overflow |= !multiply_count(pout, out[i].value());
        } else {
          auto it = std::find(in_syms.begin(), in_syms.end(), out[i].symbol_id());
          if (it != in_syms.end()) in_syms.erase(it);
          else out_syms.push_back(out[i].symbol_id());
        }
      }
      if (overflow)
        return ctx.error("cannot reshape input " + shp(in.shape) + " to " + shp(*target) +
                         ": the element count overflows int64");
      if (in_syms.empty() && out_syms.empty()) {
        if (pout == 0 || pin % pout != 0)
          return ctx.error("cannot reshape input " + shp(in.shape) + " to " + shp(*target) +
                           ": " + std::to_string(pin) + " elements do not divide into " +
                           std::to_string(pout));
        solved = Dim(pin / pout);
      } else if (in_syms.size() == 1 && out_syms.empty() && pin == pout && pin != 0) {
        solved = Dim::symbol(in_syms[0]);
      } else if (pin != 0 && pout != 0) {
        // prod(in_syms) * pin / (prod(out_syms) * pout): unknown, but the same for every Reshape
        // of the same dims (Q, K and V of an attention reshaped by one shape tensor).
        const int64_t g = std::gcd(pin, pout);
        solved = ctx.derived_dim("ratio(" + symbol_list(in_syms) + ";" + std::to_string(pin / g) + "/" +
                                 symbol_list(out_syms) + ";" + std::to_string(pout / g) + ")");
      }
    }
    out[static_cast<size_t>(infer_at)] = solved;
  } else if (in.has_shape && shape_is_static(in.shape) && shape_is_static(out)) {
    int64_t pin = 1, pout = 1;
    bool overflow = false;
    for (const Dim& d : in.shape) overflow |= !multiply_count(pin, d.value());
    for (const Dim& d : out) overflow |= !multiply_count(pout, d.value());
    if (overflow)
      return ctx.error("cannot reshape input " + shp(in.shape) + " to " + shp(out) +
                       ": the element count overflows int64");
    if (pin != pout)
      return ctx.error("cannot reshape input " + shp(in.shape) + " (" + std::to_string(pin) +
                       " elements) to " + shp(out) + " (" + std::to_string(pout) + " elements)");
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  carry_sym_value(ctx);
  return Status::ok();
}

// ---------------------------------------------------------------- Shape, Size

Status infer_shape(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor(DType::kInt64, {ctx.fresh_dim()});
    return Status::ok();
  }
  AttrReader a(ctx.node());
  const int64_t r = in.rank();
  int64_t start = 0, end = r;
  if (ctx.opset() >= 15) {
    start = a.i("start", 0);
    end = a.i("end", r);
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  const int64_t n = std::max<int64_t>(0, end - start);
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, {Dim(n)});
  ctx.outputs[0].sym_value = SymShape(in.shape.begin() + start, in.shape.begin() + start + n);
  return Status::ok();
}

Status infer_size(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  ctx.outputs[0] = ValueType::tensor(DType::kInt64, {});
  if (in.has_shape) ctx.outputs[0].sym_value = SymShape{dim_product(in.shape, 0, in.shape.size(), ctx)};
  return Status::ok();
}

// ---------------------------------------------------------------- Flatten

Status infer_flatten(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  int64_t axis = a.i("axis", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor(in.dtype, {ctx.fresh_dim(), ctx.fresh_dim()});
    return Status::ok();
  }
  const int64_t r = in.rank();
  if (axis < -r || axis > r)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(r) + " (expected [" + std::to_string(-r) + ", " +
                     std::to_string(r) + "])");
  if (axis < 0) axis += r;
  const size_t ax = static_cast<size_t>(axis);
  ctx.outputs[0] = ValueType::tensor(in.dtype, {dim_product(in.shape, 0, ax, ctx),
                                                dim_product(in.shape, ax, in.shape.size(), ctx)});
  return Status::ok();
}

// ---------------------------------------------------------------- Squeeze, Unsqueeze

Status infer_squeeze(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AxesArg ax = read_axes(ctx, 13, 1);
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  if (!ax.present) {
    SymShape out;
    for (const Dim& d : in.shape) {
      if (d.is_symbol()) {  // may or may not be 1: the rank is unknown statically
        ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
        return Status::ok();
      }
      if (d.value() != 1) out.push_back(d);
    }
    ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    carry_sym_value(ctx);
    return Status::ok();
  }
  if (!ax.known) {
    const ValueType& at = ctx.input_type(1);
    if (at.has_shape && at.rank() == 1 && at.shape[0].is_known() &&
        at.shape[0].value() <= in.rank()) {
      SymShape out;
      for (int64_t i = 0; i < in.rank() - at.shape[0].value(); ++i) out.push_back(ctx.fresh_dim());
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    } else {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    }
    return Status::ok();
  }
  ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(ax.axes, in.rank(), ctx));
  SymShape out;
  for (int64_t i = 0; i < in.rank(); ++i) {
    const Dim& d = in.shape[static_cast<size_t>(i)];
    if (std::find(axes.begin(), axes.end(), i) != axes.end()) {
      if (d.is_known() && d.value() != 1)
        return ctx.error("cannot squeeze axis " + std::to_string(i) + " of input " +
                         shp(in.shape) + ": its dim is " + std::to_string(d.value()) +
                         ", expected 1");
      continue;
    }
    out.push_back(d);
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  carry_sym_value(ctx);
  return Status::ok();
}

Status infer_unsqueeze(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AxesArg ax = read_axes(ctx, 13, 1);
  if (!ax.present) return ctx.error("axes are required");
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  if (!ax.known) {
    const ValueType& at = ctx.input_type(1);
    if (at.has_shape && at.rank() <= 1) {
      Dim k = at.rank() == 0 ? Dim(1) : at.shape[0];
      if (k.is_known()) {
        SymShape out;
        for (int64_t i = 0; i < in.rank() + k.value(); ++i) out.push_back(ctx.fresh_dim());
        ctx.outputs[0] = ValueType::tensor(in.dtype, out);
        return Status::ok();
      }
    }
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  const int64_t out_rank = in.rank() + static_cast<int64_t>(ax.axes.size());
  ONNXRT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, normalize_axes(ax.axes, out_rank, ctx));
  SymShape out;
  size_t k = 0;
  for (int64_t i = 0; i < out_rank; ++i) {
    if (std::find(axes.begin(), axes.end(), i) != axes.end()) out.push_back(Dim(1));
    else out.push_back(in.shape[k++]);
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  carry_sym_value(ctx);
  return Status::ok();
}

// ---------------------------------------------------------------- Identity, Constant

Status infer_identity(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (input) is required but missing");
  ctx.outputs[0] = ctx.input_type(0);
  if (!ctx.outputs[0].sym_value && ctx.input_value(0))
    ctx.outputs[0].sym_value = sym_value_of(*ctx.input_value(0));
  return Status::ok();
}

Status infer_constant(InferContext& ctx) {
  const Attributes& attrs = ctx.node().attrs;
  const Attribute* found = nullptr;
  for (const char* n : {"value", "sparse_value", "value_float", "value_floats", "value_int",
                        "value_ints", "value_string", "value_strings"}) {
    if (const Attribute* at = attrs.find(n)) {
      if (found)
        return ctx.error("has both '" + found->name + "' and '" + at->name +
                         "'; exactly one value attribute is expected");
      found = at;
    }
  }
  if (!found) return ctx.error("has no value attribute (expected one of value, sparse_value, "
                               "value_float(s), value_int(s), value_string(s))");
  const std::string& n = found->name;
  auto want = [&](AttrKind k) -> Status {
    if (found->kind != k)
      return ctx.error("attribute '" + n + "' must be " + std::string(attr_kind_name(k)) +
                       ", got " + std::string(attr_kind_name(found->kind)));
    return Status::ok();
  };
  ValueType& o = ctx.outputs[0];
  if (n == "value") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kTensor));
    o = ValueType::tensor(found->t.dtype(), to_sym_shape(found->t.shape()));
    o.sym_value = sym_value_of(found->t);
  } else if (n == "sparse_value") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kSparseTensor));
    o = ValueType::tensor(found->sparse.values.dtype(), to_sym_shape(found->sparse.dims));
  } else if (n == "value_float") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kFloat));
    o = ValueType::tensor(DType::kFloat32, {});
  } else if (n == "value_floats") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kFloats));
    o = ValueType::tensor(DType::kFloat32, {Dim(static_cast<int64_t>(found->floats.size()))});
  } else if (n == "value_int") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kInt));
    o = ValueType::tensor(DType::kInt64, {});
    o.sym_value = SymShape{Dim(found->i)};
  } else if (n == "value_ints") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kInts));
    o = ValueType::tensor(DType::kInt64, {Dim(static_cast<int64_t>(found->ints.size()))});
    if (found->ints.size() <= 64) o.sym_value = SymShape(found->ints.begin(), found->ints.end());
  } else if (n == "value_string") {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kString));
    o = ValueType::tensor(DType::kString, {});
  } else {
    ONNXRT_RETURN_IF_ERROR(want(AttrKind::kStrings));
    o = ValueType::tensor(DType::kString, {Dim(static_cast<int64_t>(found->strings.size()))});
  }
  return Status::ok();
}

Status infer_constant_of_shape(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  AttrReader a(ctx.node());
  Tensor v = a.tensor("value");
  ONNXRT_RETURN_IF_ERROR(a.status());
  DType dt = DType::kFloat32;
  if (v.defined()) {
    if (v.size() != 1)
      return ctx.error("attribute 'value' must hold one element, got " +
                       std::to_string(v.size()));
    dt = v.dtype();
  }
  if (auto dims = dims_value(ctx, 0)) {
    for (const Dim& d : *dims)
      if (d.is_known() && d.value() < 0)
        return ctx.error("shape " + shp(*dims) + " has a negative dim");
    ONNXRT_RETURN_IF_ERROR(check_element_count(*dims, ctx, "shape"));
    ctx.outputs[0] = ValueType::tensor(dt, *dims);
    return Status::ok();
  }
  const ValueType& st = ctx.input_type(0);
  if (st.has_shape && st.rank() == 1 && st.shape[0].is_known()) {
    SymShape out;
    for (int64_t i = 0; i < st.shape[0].value(); ++i) out.push_back(ctx.fresh_dim());
    ctx.outputs[0] = ValueType::tensor(dt, out);
  } else {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(dt);
  }
  return Status::ok();
}

// ---------------------------------------------------------------- Expand

Status infer_expand(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "input"));
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 1, "shape"));
  const ValueType& in = ctx.input_type(0);
  if (!in.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    return Status::ok();
  }
  std::optional<SymShape> target = dims_value(ctx, 1);
  if (!target) {
    const ValueType& st = ctx.input_type(1);
    if (!(st.has_shape && st.rank() == 1 && st.shape[0].is_known())) {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
      return Status::ok();
    }
    target = SymShape();
    for (int64_t i = 0; i < st.shape[0].value(); ++i) target->push_back(ctx.fresh_dim());
  }
  const size_t r = std::max(in.shape.size(), target->size());
  SymShape out(r);
  for (size_t i = 0; i < r; ++i) {
    const bool has_a = i + in.shape.size() >= r, has_b = i + target->size() >= r;
    Dim a = has_a ? in.shape[i + in.shape.size() - r] : Dim(1);
    Dim b = has_b ? (*target)[i + target->size() - r] : Dim(1);
    if (b.is_known() && b.value() < 0)
      return ctx.error("shape " + shp(*target) + " has a negative dim");
    if (a == b) out[i] = a;
    else if (a.is_known() && a.value() == 1) out[i] = b;
    else if (b.is_known() && b.value() == 1) out[i] = a;
    else if (a.is_known() && b.is_known())
      return ctx.error("cannot expand input " + shp(in.shape) + " to shape " + shp(*target) +
                       ": dim " + std::to_string(a.value()) + " vs " + std::to_string(b.value()));
    else if (a.is_known()) out[i] = a;
    else if (b.is_known()) out[i] = b;
    else out[i] = ctx.fresh_dim();
  }
  // The broadcast keeps each dim of the shape input, so their product is the model's to choose.
  ONNXRT_RETURN_IF_ERROR(check_element_count(out, ctx, "expanded shape"));
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

// ---------------------------------------------------------------- Transpose

Status infer_transpose(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, 0, "data"));
  const ValueType& in = ctx.input_type(0);
  AttrReader a(ctx.node());
  const bool has_perm = a.has("perm");
  std::vector<int64_t> perm = a.ints("perm");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!in.has_shape) {
    if (!has_perm) {
      ctx.outputs[0] = ValueType::tensor_unknown_rank(in.dtype);
    } else {
      SymShape out;
      for (size_t i = 0; i < perm.size(); ++i) out.push_back(ctx.fresh_dim());
      ctx.outputs[0] = ValueType::tensor(in.dtype, out);
    }
    return Status::ok();
  }
  const int64_t r = in.rank();
  if (!has_perm) {
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != r)
    return ctx.error("perm " + ints_to_string(perm) + " has " + std::to_string(perm.size()) +
                     " entries, expected the input rank " + std::to_string(r));
  std::vector<bool> seen(static_cast<size_t>(r), false);
  SymShape out;
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[static_cast<size_t>(p)])
      return ctx.error("perm " + ints_to_string(perm) + " is not a permutation of [0, " +
                       std::to_string(r) + ")");
    seen[static_cast<size_t>(p)] = true;
    out.push_back(in.shape[static_cast<size_t>(p)]);
  }
  ctx.outputs[0] = ValueType::tensor(in.dtype, out);
  return Status::ok();
}

// ---------------------------------------------------------------- Concat

Status infer_concat(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  AttrReader a(ctx.node());
  const bool has_axis = a.has("axis");
  int64_t axis = a.i("axis", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!has_axis && ctx.opset() >= 4) return ctx.error("attribute 'axis' is required");
  const ValueType* ranked = nullptr;
  DType dt = DType::kUndefined;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    ONNXRT_RETURN_IF_ERROR(require_tensor(ctx, i, "inputs"));
    const ValueType& t = ctx.input_type(i);
    if (dt == DType::kUndefined) dt = t.dtype;
    else if (t.dtype != dt && t.dtype != DType::kUndefined)
      return ctx.error("input " + std::to_string(i) + " has element type " +
                       std::string(dtype_name(t.dtype)) + ", expected " +
                       std::string(dtype_name(dt)) + " like input 0");
    if (t.has_shape && !ranked) ranked = &t;
  }
  if (!ranked) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(dt);
    return Status::ok();
  }
  const int64_t r = ranked->rank();
  auto ax = norm_axis(axis, r);
  if (!ax)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(r));
  SymShape out = ranked->shape;
  int64_t sum = 0;
  bool sum_known = true;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const ValueType& t = ctx.input_type(i);
    if (!t.has_shape) {
      sum_known = false;
      continue;
    }
    if (t.rank() != r)
      return ctx.error("input " + std::to_string(i) + " has shape " + shp(t.shape) +
                       " of rank " + std::to_string(t.rank()) + ", expected rank " +
                       std::to_string(r) + " like " + shp(ranked->shape));
    for (int64_t d = 0; d < r; ++d) {
      const Dim& x = t.shape[static_cast<size_t>(d)];
      Dim& o = out[static_cast<size_t>(d)];
      if (d == *ax) {
        // Declared input dims are the model's: their sum along the axis can leave int64.
        if (x.is_known() && __builtin_add_overflow(sum, x.value(), &sum))
          return ctx.error("the sum of the input sizes along axis " + std::to_string(*ax) +
                           " overflows int64 at input " + std::to_string(i) + " of shape " + shp(t.shape));
        if (!x.is_known()) sum_known = false;
        continue;
      }
      if (x.is_known() && o.is_known() && x.value() != o.value())
        return ctx.error("input " + std::to_string(i) + " has shape " + shp(t.shape) +
                         ", which differs from " + shp(ranked->shape) + " at axis " +
                         std::to_string(d) + " (only axis " + std::to_string(*ax) +
                         " may differ)");
      if (x.is_known() && !o.is_known()) o = x;
    }
  }
  out[static_cast<size_t>(*ax)] = sum_known ? Dim(sum) : ctx.fresh_dim();
  if (ctx.num_inputs() == 1) out[static_cast<size_t>(*ax)] = ranked->shape[static_cast<size_t>(*ax)];
  ONNXRT_RETURN_IF_ERROR(check_element_count(out, ctx, "output shape"));
  ctx.outputs[0] = ValueType::tensor(dt, out);
  if (r == 1) {
    SymShape v;
    bool ok = true;
    for (size_t i = 0; i < ctx.num_inputs() && ok; ++i) {
      auto dv = dims_value(ctx, i);
      if (!dv) ok = false;
      else v.insert(v.end(), dv->begin(), dv->end());
    }
    if (ok) ctx.outputs[0].sym_value = v;
  }
  return Status::ok();
}

}  // namespace
}  // namespace tensor_infer

using namespace tensor_infer;  // NOLINT

namespace {
const OpInfo kTensorOps[] = {
    {"", "Reshape", &infer_reshape},
    {"", "Shape", &infer_shape},
    {"", "Size", &infer_size},
    {"", "Flatten", &infer_flatten},
    {"", "Squeeze", &infer_squeeze},
    {"", "Unsqueeze", &infer_unsqueeze},
    {"", "Identity", &infer_identity},
    {"", "Constant", &infer_constant},
    {"", "ConstantOfShape", &infer_constant_of_shape},
    {"", "Expand", &infer_expand},
    {"", "Transpose", &infer_transpose},
    {"", "Concat", &infer_concat},
    {"", "Gather", &infer_gather},
    {"", "Slice", &infer_slice},
    {"", "Split", &infer_split},
    {"", "Tile", &infer_tile},
    {"", "Range", &infer_range},
    {"", "Pad", &infer_pad},
    {"", "GatherElements", &infer_gather_elements},
    {"", "GatherND", &infer_gather_nd},
    {"", "ScatterND", &infer_same_as_input0},
    {"", "ScatterElements", &infer_same_as_input0},
    {"", "Trilu", &infer_same_as_input0},
    {"", "NonZero", &infer_nonzero},
    {"", "OneHot", &infer_onehot},
    {"", "DepthToSpace", &infer_depth_to_space},
    {"", "SpaceToDepth", &infer_space_to_depth},
    {"", "Scatter", &infer_same_as_input0},
    {"", "ReverseSequence", &infer_same_as_input0},
    {"", "TensorScatter", &infer_same_as_input0},
    {"", "Compress", &infer_compress},
    {"", "Unique", &infer_unique},
    {"", "EyeLike", &infer_eye_like},
    {"", "CenterCropPad", &infer_center_crop_pad},
    {"", "Col2Im", &infer_col2im},
    {"", "Det", &infer_det},
    {"", "Einsum", &infer_einsum},
};
}  // namespace

std::span<const OpInfo> tensor_op_infos() { return kTensorOps; }

}  // namespace onnxrt::ir
