// Reference RMSNormalization: the spec's formula in double, element by element.
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

Status ref_rms_norm(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* scale = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t axis_attr = a.i("axis", -1);
  const double eps = a.f("epsilon", 1e-5f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !scale || !y || y->shape() != x->shape()) return ctx.error("needs X, scale and Y of X's shape");
  const int64_t rank = x->rank();
  if (axis_attr < -rank || axis_attr >= rank) return ctx.error("axis out of range");
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  const Shape trailing(x->shape().begin() + axis, x->shape().end());
  const int64_t cols = shape_size(trailing);
  const int64_t rows = cols == 0 ? 0 : x->size() / cols;
  std::vector<float> w;
  ONNXRT_RETURN_IF_ERROR(tf::expand_scale(ctx, *scale, trailing, w));
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double v = tf::load(*x, r * cols + c);
      ss += v * v;
    }
    const double rms = std::sqrt(ss / static_cast<double>(cols) + eps);
    for (int64_t c = 0; c < cols; ++c)
      tf::store(*y, r * cols + c, tf::load(*x, r * cols + c) / rms * w[static_cast<size_t>(c)]);
  }
  return Status::ok();
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_rms_norm(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&ref_rms_norm, "reference"));
}

}  // namespace onnxrt::kernels
