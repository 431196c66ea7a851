// com.onnxrt SquaredDistances (ir/infer_fused.h) as its definition: every pair's sum of squared
// differences in double, features in order, rounded once to float.
#include <string>

#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

Status squared_distances_inputs(KernelContext& ctx, const Tensor*& x, const Tensor*& v) {
  x = ctx.input(0);
  v = ctx.input(1);
  if (!x || !v || x->rank() != 2 || v->rank() != 2 || x->dim(1) != v->dim(1))
    return ctx.error("X and V must be 2-D with the same number of columns");
  return Status::ok();
}

namespace {

class ReferenceSquaredDistances final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor *x = nullptr, *v = nullptr;
    ONNXRT_RETURN_IF_ERROR(squared_distances_inputs(ctx, x, v));
    const int64_t n = x->dim(0), m = v->dim(0), k = x->dim(1);
    float* y = ctx.output(0)->data<float>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (int64_t c = 0; c < k; ++c) {
          const double d = static_cast<double>(x->data<float>()[i * k + c]) - v->data<float>()[j * k + c];
          acc += d * d;
        }
        y[i * m + j] = static_cast<float>(acc);
      }
    return Status::ok();
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_squared_distances_reference(const KernelInit&) {
  return std::unique_ptr<Kernel>(std::make_unique<ReferenceSquaredDistances>());
}

}  // namespace onnxrt::kernels::ml
