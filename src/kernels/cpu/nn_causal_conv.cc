// CausalConvWithState (see nn_types.h). A direct loop: the kernel is short (K ~ 4) and depthwise,
// so there is no GEMM to win; shared by the CPU and reference tables.
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/nn_types.h"
#include "ir/attribute.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels::nn {

namespace {

class CausalConvKernel final : public Kernel {
 public:
  explicit CausalConvKernel(bool silu) : silu_(silu) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* w = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* past = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    Tensor* present = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    if (!x || !w || !y || x->dtype() != DType::kFloat32 || w->dtype() != DType::kFloat32 || x->rank() != 3 ||
        w->rank() != 3)
      return ctx.error("needs float32 input (B, C, L) and weight (C, 1, K)");
    const int64_t B = x->dim(0), C = x->dim(1), L = x->dim(2), K = w->dim(2);
    if (w->dim(0) != C || w->dim(1) != 1 || K < 1)
      return ctx.error("weight " + shape_to_string(w->shape()) + " must be (" + std::to_string(C) + ", 1, K >= 1)");
    if (b && (b->dtype() != DType::kFloat32 || b->size() != C))
      return ctx.error("bias must be float32 with " + std::to_string(C) + " elements");
    const Shape state{B, C, K - 1};
    if (past && (past->dtype() != DType::kFloat32 || past->shape() != state))
      return ctx.error("past_state " + shape_to_string(past->shape()) + " must be " + shape_to_string(state));
    if (y->shape() != x->shape() || (present && present->shape() != state))
      return ctx.error("outputs must be " + shape_to_string(x->shape()) + " and " + shape_to_string(state));
    const int64_t P = K - 1 + L;
    std::vector<float> row(static_cast<size_t>(P));
    for (int64_t n = 0; n < B; ++n)
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t i = 0; i < K - 1; ++i)
          row[i] = past ? past->data<float>()[(n * C + c) * (K - 1) + i] : 0.0f;
        for (int64_t t = 0; t < L; ++t) row[K - 1 + t] = x->data<float>()[(n * C + c) * L + t];
        const float* wc = w->data<float>() + c * K;
        for (int64_t t = 0; t < L; ++t) {
          double acc = b ? b->data<float>()[c] : 0.0;
          for (int64_t j = 0; j < K; ++j) acc += static_cast<double>(wc[j]) * row[t + j];
          float v = static_cast<float>(acc);
          if (silu_) v = v / (1.0f + std::exp(-v));
          y->data<float>()[(n * C + c) * L + t] = v;
        }
        if (present)
          for (int64_t i = 0; i < K - 1; ++i) present->data<float>()[(n * C + c) * (K - 1) + i] = row[P - (K - 1) + i];
      }
    return Status::ok();
  }

 private:
  bool silu_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_causal_conv(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string act = a.s("activation", "none");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (act != "none" && act != "silu" && act != "swish")
    return init.error("activation must be none, silu or swish, got '" + act + "'");
  return std::unique_ptr<Kernel>(new CausalConvKernel(act != "none"));
}

}  // namespace onnxrt::kernels::nn
