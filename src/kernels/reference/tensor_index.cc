// Reference kernels for Pad, CenterCropPad, GatherElements, GatherND, ScatterND, ScatterElements,
// DepthToSpace and SpaceToDepth: unravel every output (or update) element and apply the spec's
// index formula. The padding modes are written as the spec's repeated reflection / wrapping
// rather than the CPU kernel's closed forms, so the two do not share a bug.
#include <algorithm>

#include "ir/attribute.h"
#include "ir/infer_tensor_util.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"
#include "kernels/reference/tensor_ref.h"

namespace onnxrt::kernels::tensor_ref {

using namespace tensor_ops;  // NOLINT
using ir::tensor_infer::norm_axis;

namespace {

std::vector<int64_t> unravel(int64_t lin, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t j = shape.size(); j-- > 0;) {
    idx[j] = lin % shape[j];
    lin /= shape[j];
  }
  return idx;
}
int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t lin = 0;
  for (size_t j = 0; j < shape.size(); ++j) lin = lin * shape[j] + idx[j];
  return lin;
}
void copy_one(const Tensor& x, int64_t from, Tensor& y, int64_t to) {
  const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
  copy_elements(x.dtype(), static_cast<const char*>(x.raw()) + from * es,
                static_cast<char*>(y.raw()) + to * es, 1);
}
Status need(KernelContext& ctx, size_t in) {
  for (size_t i = 0; i < in; ++i)
    if (!ctx.input(i)) return ctx.error("input " + std::to_string(i) + " is missing");
  if (!ctx.output(0)) return ctx.error("output 0 is missing");
  if (elem_bytes(ctx.input(0)->dtype()) == 0) return ctx.error("unsupported element type");
  return Status::ok();
}
Status check_index(KernelContext& ctx, int64_t v, int64_t dim) {
  if (v < -dim || v >= dim)
    return ctx.error("index " + std::to_string(v) + " out of range for a dim of size " + std::to_string(dim));
  return Status::ok();
}

// Source position along one axis of the cropped-then-padded input, or -1 for the fill value.
int64_t pad_src(int64_t o, int64_t b, int64_t e, int64_t dim, PadMode mode) {
  const int64_t lo = b < 0 ? -b : 0;
  const int64_t n = dim - lo - (e < 0 ? -e : 0);
  int64_t s = o - (b > 0 ? b : 0);
  if (s >= 0 && s < n) return lo + s;
  if (mode == PadMode::kConstant || n <= 0) return -1;
  if (mode == PadMode::kEdge) return lo + (s < 0 ? 0 : n - 1);
  if (mode == PadMode::kWrap) {
    while (s < 0) s += n;
    while (s >= n) s -= n;
    return lo + s;
  }
  if (n == 1) return lo;
  while (s < 0 || s >= n) {  // reflect about the edge elements until inside
    if (s < 0) s = -s;
    if (s >= n) s = 2 * (n - 1) - s;
  }
  return lo + s;
}

Status pad_with(KernelContext& ctx, const Tensor& x, Tensor& y, const PadSpec& spec) {
  for (int64_t i = 0; i < y.size(); ++i) {
    std::vector<int64_t> o = unravel(i, y.shape());
    bool fill = false;
    for (size_t j = 0; j < o.size(); ++j) {
      o[j] = pad_src(o[j], spec.begin[j], spec.end[j], x.dim(static_cast<int64_t>(j)), spec.mode);
      if (o[j] < 0) fill = true;
    }
    const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
    if (fill) fill_value(x.dtype(), static_cast<char*>(y.raw()) + i * es, 1, spec);
    else copy_one(x, ravel(o, x.shape()), y, i);
  }
  (void)ctx;
  return Status::ok();
}

}  // namespace

Status ref_pad(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 1));
  PadSpec spec;
  ONNXRT_RETURN_IF_ERROR(pad_params(ctx, *ctx.input(0), spec));
  return pad_with(ctx, *ctx.input(0), *ctx.output(0), spec);
}

Status ref_center_crop_pad(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 2));
  PadSpec spec;
  ONNXRT_RETURN_IF_ERROR(center_crop_pad_params(ctx, *ctx.input(0), spec));
  return pad_with(ctx, *ctx.input(0), *ctx.output(0), spec);
}

Status ref_gather_elements(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 2));
  const Tensor& x = *ctx.input(0);
  const Tensor& ind = *ctx.input(1);
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  auto ax = norm_axis(a.i("axis", 0), x.rank());
  if (!ax || ind.rank() != x.rank()) return ctx.error("bad axis or indices rank");
  for (int64_t i = 0; i < y.size(); ++i) {
    std::vector<int64_t> o = unravel(i, ind.shape());
    const int64_t v = index_at(ind, i);
    ONNXRT_RETURN_IF_ERROR(check_index(ctx, v, x.dim(*ax)));
    o[static_cast<size_t>(*ax)] = v < 0 ? v + x.dim(*ax) : v;
    for (size_t j = 0; j < o.size(); ++j)
      if (o[j] >= x.shape()[j]) return ctx.error("indices exceed data");
    copy_one(x, ravel(o, x.shape()), y, i);
  }
  return Status::ok();
}

Status ref_gather_nd(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 2));
  const Tensor& x = *ctx.input(0);
  const Tensor& ind = *ctx.input(1);
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t b = a.i("batch_dims", 0);
  const int64_t q = ind.rank(), k = ind.dim(q - 1);
  for (int64_t i = 0; i < y.size(); ++i) {
    const std::vector<int64_t> o = unravel(i, y.shape());
    // o = [batch (b)] [tuple position (q-1-b)] [slice (data rank - b - k)]
    std::vector<int64_t> ipos(o.begin(), o.begin() + (q - 1));
    ipos.push_back(0);
    const int64_t base = ravel(ipos, ind.shape());
    std::vector<int64_t> in(o.begin(), o.begin() + b);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t d = x.dim(b + j);
      const int64_t v = index_at(ind, base + j);
      ONNXRT_RETURN_IF_ERROR(check_index(ctx, v, d));
      in.push_back(v < 0 ? v + d : v);
    }
    in.insert(in.end(), o.begin() + (q - 1), o.end());
    copy_one(x, ravel(in, x.shape()), y, i);
  }
  return Status::ok();
}

Status ref_scatter_nd(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 3));
  const Tensor& x = *ctx.input(0);
  const Tensor& ind = *ctx.input(1);
  const Tensor& upd = *ctx.input(2);
  Tensor& y = *ctx.output(0);
  ScatterReduction red;
  ONNXRT_RETURN_IF_ERROR(scatter_reduction(ctx, red));
  for (int64_t i = 0; i < x.size(); ++i) copy_one(x, i, y, i);
  const int64_t q = ind.rank(), k = ind.dim(q - 1);
  const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
  for (int64_t i = 0; i < upd.size(); ++i) {
    const std::vector<int64_t> u = unravel(i, upd.shape());
    std::vector<int64_t> ipos(u.begin(), u.begin() + (q - 1));
    ipos.push_back(0);
    const int64_t base = ravel(ipos, ind.shape());
    std::vector<int64_t> out;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t d = x.dim(j);
      const int64_t v = index_at(ind, base + j);
      ONNXRT_RETURN_IF_ERROR(check_index(ctx, v, d));
      out.push_back(v < 0 ? v + d : v);
    }
    out.insert(out.end(), u.begin() + (q - 1), u.end());
    scatter_combine(x.dtype(), red, static_cast<char*>(y.raw()) + ravel(out, x.shape()) * es,
                    static_cast<const char*>(upd.raw()) + i * es);
  }
  return Status::ok();
}

Status ref_scatter_elements(KernelContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 3));
  const Tensor& x = *ctx.input(0);
  const Tensor& ind = *ctx.input(1);
  const Tensor& upd = *ctx.input(2);
  Tensor& y = *ctx.output(0);
  ScatterReduction red = ScatterReduction::kNone;
  if (ctx.node().op_type == "ScatterElements") ONNXRT_RETURN_IF_ERROR(scatter_reduction(ctx, red));
  ir::AttrReader a(ctx.node());
  auto ax = norm_axis(a.i("axis", 0), x.rank());
  if (!ax || ind.rank() != x.rank() || upd.shape() != ind.shape()) return ctx.error("bad axis or shapes");
  for (int64_t i = 0; i < x.size(); ++i) copy_one(x, i, y, i);
  const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
  for (int64_t i = 0; i < upd.size(); ++i) {
    std::vector<int64_t> o = unravel(i, ind.shape());
    const int64_t v = index_at(ind, i);
    ONNXRT_RETURN_IF_ERROR(check_index(ctx, v, x.dim(*ax)));
    o[static_cast<size_t>(*ax)] = v < 0 ? v + x.dim(*ax) : v;
    for (size_t j = 0; j < o.size(); ++j)
      if (o[j] >= x.shape()[j]) return ctx.error("indices exceed data");
    scatter_combine(x.dtype(), red, static_cast<char*>(y.raw()) + ravel(o, x.shape()) * es,
                    static_cast<const char*>(upd.raw()) + i * es);
  }
  return Status::ok();
}

namespace {
Status space_depth(KernelContext& ctx, bool to_space) {
  ONNXRT_RETURN_IF_ERROR(need(ctx, 1));
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t bs = a.i("blocksize", 0);
  const bool crd = a.s("mode", "DCR") == "CRD";
  if (x.rank() != 4 || y.rank() != 4 || bs <= 0) return ctx.error("bad shapes");
  if (to_space) {
    const int64_t c_out = y.dim(1);
    for (int64_t i = 0; i < y.size(); ++i) {
      const std::vector<int64_t> o = unravel(i, y.shape());  // n, c, h, w
      const int64_t by = o[2] % bs, bx = o[3] % bs;
      const int64_t c = crd ? o[1] * bs * bs + by * bs + bx : (by * bs + bx) * c_out + o[1];
      copy_one(x, ravel({o[0], c, o[2] / bs, o[3] / bs}, x.shape()), y, i);
    }
  } else {
    const int64_t c_in = x.dim(1);
    for (int64_t i = 0; i < y.size(); ++i) {
      const std::vector<int64_t> o = unravel(i, y.shape());  // n, c', h', w'
      int64_t c, by, bx;
      if (crd) {
        c = o[1] / (bs * bs);
        by = (o[1] / bs) % bs;
        bx = o[1] % bs;
      } else {
        c = o[1] % c_in;
        by = (o[1] / c_in) / bs;
        bx = (o[1] / c_in) % bs;
      }
      copy_one(x, ravel({o[0], c, o[2] * bs + by, o[3] * bs + bx}, x.shape()), y, i);
    }
  }
  return Status::ok();
}
}  // namespace

Status ref_depth_to_space(KernelContext& ctx) { return space_depth(ctx, true); }
Status ref_space_to_depth(KernelContext& ctx) { return space_depth(ctx, false); }

}  // namespace onnxrt::kernels::tensor_ref
