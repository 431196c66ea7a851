#include "kernels/cpu/nn_common.h"

#include <string>

#include "tensor/sym_shape.h"

namespace onnxrt::kernels::nn {

namespace {

std::string shape_str(const Shape& s) { return shape_to_string(s); }

}  // namespace

Expected<ConvAttrs> read_conv_attrs(const ir::Node& node, size_t spatial_rank,
                                    const std::vector<int64_t>& w_spatial) {
  ir::AttrReader a(node);
  ConvAttrs c;
  c.group = a.i("group", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (c.group <= 0) return invalid_model("group " + std::to_string(c.group) + " must be positive");
  c.kernel_from_attr = a.has("kernel_shape");
  ONNXRT_RETURN_IF_ERROR(ir::read_window_attrs(a, spatial_rank, w_spatial, false, &c.w));
  return c;
}

std::optional<size_t> declared_spatial_rank(const KernelInit& init, size_t i) {
  if (i >= init.input_types.size() || init.input_types[i] == nullptr) return std::nullopt;
  const ir::ValueType& t = *init.input_types[i];
  if (!t.is_tensor() || !t.has_shape || t.rank() < 3) return std::nullopt;
  return static_cast<size_t>(t.rank() - 2);
}

Expected<ConvGeom> conv_geometry(const KernelContext& ctx, const std::optional<ConvAttrs>& attrs,
                                 const Tensor& x, const Tensor& w, const Tensor* b,
                                 const Tensor& y, DType t) {
  if (x.dtype() != t || w.dtype() != t)
    return ctx.error("X " + std::string(dtype_name(x.dtype())) + " and W " + std::string(dtype_name(w.dtype())) +
                     " must both be " + std::string(dtype_name(t)));
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.error("X " + shape_str(x.shape()) + " must have rank >= 3 and W " +
                     shape_str(w.shape()) + " the same rank");
  const size_t nd = static_cast<size_t>(x.rank() - 2);
  std::vector<int64_t> wk(w.shape().begin() + 2, w.shape().end());
  ConvAttrs ca;
  if (attrs && attrs->w.rank() == nd) {
    ca = *attrs;
    if (!ca.kernel_from_attr) ca.w.kernel = wk;
  } else {
    auto r = read_conv_attrs(ctx.node(), nd, wk);
    if (!r) return ctx.error(r.status().message());
    ca = *r;
  }
  if (ca.w.kernel != wk)
    return ctx.error("kernel_shape does not match W " + shape_str(w.shape()));
  ConvGeom g;
  g.N = x.dim(0);
  g.C = x.dim(1);
  g.M = w.dim(0);
  g.G = ca.group;
  if (g.M % g.G != 0 || g.C != w.dim(1) * g.G)
    return ctx.error("X " + shape_str(x.shape()) + " and W " + shape_str(w.shape()) +
                     " do not agree with group " + std::to_string(g.G) +
                     " (expected C = W.shape[1] * group and W.shape[0] divisible by group)");
  g.Cg = w.dim(1);
  g.Mg = g.M / g.G;
  if (b && (b->dtype() != t || b->rank() != 1 || b->dim(0) != g.M))
    return ctx.error("B must be " + std::string(dtype_name(t)) + " of shape [" + std::to_string(g.M) + "], got " +
                     shape_str(b->shape()));
  g.in.assign(x.shape().begin() + 2, x.shape().end());
  auto dims = ir::window_dims(ca.w, g.in);
  if (!dims) return ctx.error(dims.status().message());
  Shape expect{g.N, g.M};
  for (size_t d = 0; d < nd; ++d) {
    g.out.push_back((*dims)[d].out);
    g.pad_begin.push_back((*dims)[d].pad_begin);
    expect.push_back((*dims)[d].out);
    g.in_size *= g.in[d];
    g.out_size *= g.out[d];
    g.kernel_size *= wk[d];
  }
  if (y.shape() != expect || y.dtype() != t)
    return ctx.error("output Y " + std::string(dtype_name(y.dtype())) + " " + shape_str(y.shape()) + ", expected " +
                     std::string(dtype_name(t)) + " " + shape_str(expect));
  g.kernel = wk;
  g.stride = ca.w.strides;
  g.dil = ca.w.dilations;
  return g;
}

Expected<ir::WindowAttrs> read_pool_attrs(const ir::Node& node, size_t spatial_rank) {
  ir::AttrReader a(node);
  const bool has_ceil = node.op_type == "LpPool" ? node.opset >= 18 : node.opset >= 10;
  ir::WindowAttrs w;
  ONNXRT_RETURN_IF_ERROR(ir::read_window_attrs(a, spatial_rank, {}, has_ceil, &w));
  return w;
}

Expected<PoolGeom> pool_geometry(const KernelContext& ctx, const std::optional<ir::WindowAttrs>& attrs,
                                 const Tensor& x, const Tensor& y) {
  if (x.rank() < 3) return ctx.error("X " + shape_str(x.shape()) + " must have rank >= 3");
  const size_t nd = static_cast<size_t>(x.rank() - 2);
  ir::WindowAttrs w;
  if (attrs && attrs->rank() == nd) {
    w = *attrs;
  } else {
    auto r = read_pool_attrs(ctx.node(), nd);
    if (!r) return ctx.error(r.status().message());
    w = *r;
  }
  PoolGeom g;
  g.N = x.dim(0);
  g.C = x.dim(1);
  g.in.assign(x.shape().begin() + 2, x.shape().end());
  auto dims = ir::window_dims(w, g.in);
  if (!dims) return ctx.error(dims.status().message());
  Shape expect{g.N, g.C};
  for (size_t d = 0; d < nd; ++d) {
    g.out.push_back((*dims)[d].out);
    g.pad_begin.push_back((*dims)[d].pad_begin);
    g.pad_end.push_back((*dims)[d].pad_end);
    expect.push_back((*dims)[d].out);
    g.in_size *= g.in[d];
    g.out_size *= g.out[d];
  }
  if (y.shape() != expect)
    return ctx.error("output Y has shape " + shape_str(y.shape()) + ", expected " +
                     shape_str(expect));
  g.kernel = w.kernel;
  g.stride = w.strides;
  g.dil = w.dilations;
  return g;
}

Status check_param(const KernelContext& ctx, const Tensor* t, const char* name, int64_t n) {
  if (t == nullptr) return ctx.error(std::string("input ") + name + " is missing");
  if (t->dtype() != DType::kFloat32 || t->size() != n)
    return ctx.error(std::string("input ") + name + " must be float32 with " + std::to_string(n) +
                     " elements, got shape " + shape_str(t->shape()));
  return Status::ok();
}

Expected<AxisSplit> split_at_axis(const KernelContext& ctx, const Shape& shape, int64_t axis,
                                  bool coerce_2d) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t r = rank == 0 ? 1 : rank;
  if (axis < -r || axis >= r)
    return ctx.error("axis " + std::to_string(axis) + " out of range for rank " +
                     std::to_string(rank));
  if (axis < 0) axis += r;
  AxisSplit s;
  if (rank == 0) return s;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) s.outer *= shape[d];
    else if (d == axis || coerce_2d) s.n *= shape[d];
    else s.inner *= shape[d];
  }
  return s;
}

std::string dtype_and_shape(const Tensor* t) {
  return t ? std::string(dtype_name(t->dtype())) + shape_to_string(t->shape()) : std::string("none");
}

}  // namespace onnxrt::kernels::nn
