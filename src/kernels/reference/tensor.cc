// Reference (oracle) kernels of the tensor family: for every output element, unravel its index
// and compute the source element's index directly from the op's definition. Slow and obvious.
// Ops with nothing to optimise (Shape, Size, Constant, ConstantOfShape, Range, Trilu, NonZero,
// OneHot, Compress, Unique, EyeLike, ReverseSequence, TensorScatter, Col2Im, Det) share the CPU
// functions; their tests check hand-computed values instead.
#include <functional>

#include "ir/attribute.h"
#include "ir/infer_tensor_util.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"
#include "kernels/kernel_families.h"
#include "kernels/reference/tensor_ref.h"

namespace onnxrt::kernels {
namespace {
using namespace tensor_ops;  // NOLINT
using ir::tensor_infer::norm_axis;
constexpr DType kAny = DType::kUndefined;

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
  const size_t es = elem_bytes(x.dtype());
  copy_elements(x.dtype(), static_cast<const char*>(x.raw()) + from * static_cast<int64_t>(es),
                static_cast<char*>(y.raw()) + to * static_cast<int64_t>(es), 1);
}
// y[i] = x[src(index of i)] for every output element.
Status map_elements(KernelContext& ctx, const Tensor& x, Tensor& y,
                    const std::function<int64_t(const std::vector<int64_t>&)>& src) {
  if (elem_bytes(x.dtype()) == 0) return ctx.error("unsupported element type");
  for (int64_t i = 0; i < y.size(); ++i) {
    const int64_t s = src(unravel(i, y.shape()));
    if (s < 0 || s >= x.size()) return ctx.error("source index out of range");
    copy_one(x, s, y, i);
  }
  return Status::ok();
}

Status ref_copy(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  if (x.size() != y.size()) return ctx.error("size mismatch");
  if (elem_bytes(x.dtype()) == 0) {
    std::memcpy(y.raw(), x.raw(), x.nbytes());
    return Status::ok();
  }
  for (int64_t i = 0; i < x.size(); ++i) copy_one(x, i, y, i);
  return Status::ok();
}

Status ref_transpose(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  std::vector<int64_t> perm = a.ints("perm");
  if (perm.empty())
    for (int64_t i = x.rank() - 1; i >= 0; --i) perm.push_back(i);
  return map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(o.size());
    for (size_t j = 0; j < o.size(); ++j) in[static_cast<size_t>(perm[j])] = o[j];
    return ravel(in, x.shape());
  });
}

Status ref_expand(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  const size_t off = static_cast<size_t>(y.rank() - x.rank());
  return map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(x.shape().size());
    for (size_t j = 0; j < in.size(); ++j) in[j] = x.shape()[j] == 1 ? 0 : o[j + off];
    return ravel(in, x.shape());
  });
}

Status ref_slice(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  if (y.size() == 0) return Status::ok();
  std::vector<int64_t> start, step;
  ONNXRT_RETURN_IF_ERROR(slice_params(ctx, x, start, step));
  return map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(o.size());
    for (size_t j = 0; j < o.size(); ++j) in[j] = start[j] + o[j] * step[j];
    return ravel(in, x.shape());
  });
}

Status ref_concat(KernelContext& ctx) {
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t ax = *norm_axis(a.i("axis", 1), y.rank());
  for (int64_t i = 0; i < y.size(); ++i) {
    std::vector<int64_t> o = unravel(i, y.shape());
    int64_t pos = o[static_cast<size_t>(ax)];
    for (size_t k = 0; k < ctx.num_inputs(); ++k) {
      const Tensor& x = *ctx.input(k);
      if (pos < x.dim(ax)) {
        o[static_cast<size_t>(ax)] = pos;
        copy_one(x, ravel(o, x.shape()), y, i);
        break;
      }
      pos -= x.dim(ax);
    }
  }
  return Status::ok();
}

Status ref_split(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  ir::AttrReader a(ctx.node());
  const int64_t ax = *norm_axis(a.i("axis", 0), x.rank());
  int64_t offset = 0;
  for (size_t k = 0; k < ctx.num_outputs(); ++k) {
    Tensor& y = *ctx.output(k);
    ONNXRT_RETURN_IF_ERROR(map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
      std::vector<int64_t> in = o;
      in[static_cast<size_t>(ax)] += offset;
      return ravel(in, x.shape());
    }));
    offset += y.dim(ax);
  }
  return Status::ok();
}

Status ref_tile(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  return map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> in(o.size());
    for (size_t j = 0; j < o.size(); ++j) in[j] = o[j] % x.shape()[j];
    return ravel(in, x.shape());
  });
}

Status ref_gather(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  const Tensor& ind = *ctx.input(1);
  Tensor& y = *ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t ax = *norm_axis(a.i("axis", 0), x.rank());
  const int64_t q = ind.rank();
  for (int64_t k = 0; k < ind.size(); ++k) {
    const int64_t v = index_at(ind, k);
    if (v < -x.dim(ax) || v >= x.dim(ax))
      return ctx.error("index " + std::to_string(v) + " out of range");
  }
  return map_elements(ctx, x, y, [&](const std::vector<int64_t>& o) {
    // o = data[:ax] + indices dims + data[ax+1:]
    std::vector<int64_t> iidx(o.begin() + ax, o.begin() + ax + q);
    int64_t v = index_at(ind, ravel(iidx, ind.shape()));
    if (v < 0) v += x.dim(ax);
    std::vector<int64_t> in(o.begin(), o.begin() + ax);
    in.push_back(v);
    in.insert(in.end(), o.begin() + ax + q, o.end());
    return ravel(in, x.shape());
  });
}

const KernelEntry kRefTensorKernels[] = {
    {"", "Reshape", 1, kMaxOpset, kAny, &fn_factory<&ref_copy>},
    {"", "Flatten", 1, kMaxOpset, kAny, &fn_factory<&ref_copy>},
    {"", "Squeeze", 1, kMaxOpset, kAny, &fn_factory<&ref_copy>},
    {"", "Unsqueeze", 1, kMaxOpset, kAny, &fn_factory<&ref_copy>},
    {"", "Identity", 1, kMaxOpset, kAny, &fn_factory<&ref_copy>},
    {"", "Shape", 1, kMaxOpset, kAny, &fn_factory<&shape_kernel>},
    {"", "Size", 1, kMaxOpset, kAny, &fn_factory<&size_kernel>},
    {"", "Constant", 1, kMaxOpset, kAny, &fn_factory<&constant_kernel>},
    {"", "ConstantOfShape", 9, kMaxOpset, kAny, &fn_factory<&constant_of_shape_kernel>},
    {"", "Transpose", 1, kMaxOpset, kAny, &fn_factory<&ref_transpose>},
    {"", "Expand", 8, kMaxOpset, kAny, &fn_factory<&ref_expand>},
    {"", "Concat", 1, kMaxOpset, kAny, &fn_factory<&ref_concat>},
    {"", "Slice", 1, kMaxOpset, kAny, &fn_factory<&ref_slice>},
    {"", "Split", 1, kMaxOpset, kAny, &fn_factory<&ref_split>},
    {"", "Tile", 1, kMaxOpset, kAny, &fn_factory<&ref_tile>},
    {"", "Gather", 1, kMaxOpset, kAny, &fn_factory<&ref_gather>},
    {"", "Range", 11, kMaxOpset, kAny, &fn_factory<&range_kernel>},
    {"", "Pad", 1, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_pad>},
    {"", "CenterCropPad", 18, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_center_crop_pad>},
    {"", "GatherElements", 11, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_gather_elements>},
    {"", "GatherND", 11, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_gather_nd>},
    {"", "ScatterND", 11, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_scatter_nd>},
    {"", "ScatterElements", 11, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_scatter_elements>},
    {"", "Scatter", 9, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_scatter_elements>},
    {"", "DepthToSpace", 1, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_depth_to_space>},
    {"", "SpaceToDepth", 1, kMaxOpset, kAny, &fn_factory<&tensor_ref::ref_space_to_depth>},
    {"", "Trilu", 14, kMaxOpset, kAny, &fn_factory<&trilu_kernel>},
    {"", "NonZero", 9, kMaxOpset, kAny, &fn_factory<&nonzero_kernel>},
    {"", "OneHot", 9, kMaxOpset, kAny, &fn_factory<&onehot_kernel>},
    {"", "Compress", 9, kMaxOpset, kAny, &fn_factory<&compress_kernel>},
    {"", "Unique", 11, kMaxOpset, kAny, &fn_factory<&unique_kernel>},
    {"", "EyeLike", 9, kMaxOpset, kAny, &fn_factory<&eye_like_kernel>},
    {"", "ReverseSequence", 10, kMaxOpset, kAny, &fn_factory<&reverse_sequence_kernel>},
    {"", "TensorScatter", 24, kMaxOpset, kAny, &fn_factory<&tensor_scatter_kernel>},
    {"", "Col2Im", 18, kMaxOpset, kAny, &fn_factory<&col2im_kernel>},
    {"", "Det", 11, kMaxOpset, kAny, &fn_factory<&det_kernel>},
    {"", "Einsum", 12, kMaxOpset, kAny, &fn_factory<&einsum_naive_kernel>},
};
}  // namespace

std::span<const KernelEntry> reference_tensor_kernels() { return kRefTensorKernels; }

}  // namespace onnxrt::kernels
