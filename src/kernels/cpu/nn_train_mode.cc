// Training-mode BatchNormalization and Dropout (see nn_types.h). Shared by the CPU and reference
// tables: both are simple loops whose cost is dominated by the data pass.
#include <cmath>
#include <random>
#include <string>

#include "base/half.h"
#include "base/thread_pool.h"
#include "tensor/sym_shape.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"

namespace onnxrt::kernels::nn {

namespace {

class BatchNormTrainKernel final : public Kernel {
 public:
  BatchNormTrainKernel(double eps, double momentum) : eps_(eps), momentum_(momentum) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || x->dtype() != DType::kFloat32 || x->rank() < 2 || y->size() != x->size())
      return ctx.error("X must be float32 with rank >= 2 and Y of X's shape");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t inner = N * C == 0 ? 0 : x->size() / (N * C);
    static const char* names[] = {"", "scale", "B", "input_mean", "input_var"};
    for (size_t i = 1; i < 5; ++i) ONNXRT_RETURN_IF_ERROR(check_param(ctx, ctx.input(i), names[i], C));
    for (size_t i = 1; i < ctx.num_outputs(); ++i) {
      const Tensor* o = ctx.output(i);
      if (o && (o->dtype() != DType::kFloat32 || o->size() != C))
        return ctx.error("output " + std::to_string(i) + " must be float32 with " +
                         std::to_string(C) + " elements");
    }
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    const float* sc = ctx.input(1)->data<float>();
    const float* bi = ctx.input(2)->data<float>();
    const float* rm = ctx.input(3)->data<float>();
    const float* rv = ctx.input(4)->data<float>();
    const double cnt = static_cast<double>(N * inner);
    for (int64_t c = 0; c < C; ++c) {
      // Two passes in double: mean, then squared deviations (no E[x^2] - E[x]^2 cancellation).
      double s = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inner; ++i) s += xd[(n * C + c) * inner + i];
      const double mean = cnt > 0 ? s / cnt : 0.0;
      double q = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const double d = xd[(n * C + c) * inner + i] - mean;
          q += d * d;
        }
      const double var = cnt > 0 ? q / cnt : 0.0;
      const double a = sc[c] / std::sqrt(var + eps_);
      const double b = bi[c] - mean * a;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t off = (n * C + c) * inner + i;
          yd[off] = static_cast<float>(xd[off] * a + b);
        }
      const double stats[] = {rm[c] * momentum_ + mean * (1 - momentum_),
                              rv[c] * momentum_ + var * (1 - momentum_), mean, var};
      for (size_t o = 1; o < ctx.num_outputs() && o <= 4; ++o)
        if (Tensor* t = ctx.output(o)) t->data<float>()[c] = static_cast<float>(stats[o - 1]);
    }
    return Status::ok();
  }

 private:
  double eps_, momentum_;
};

}  // namespace

bool batchnorm_is_training(const KernelInit& init) {
  ir::AttrReader a(init.node);
  if (init.node.opset >= 14) return a.i("training_mode", 0) != 0;
  // Before opset 14 the extra outputs themselves selected training mode.
  for (size_t i = 1; i < init.output_types.size(); ++i)
    if (init.output_types[i]) return true;
  return false;
}

Expected<std::unique_ptr<Kernel>> make_batchnorm_training(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const double eps = a.f("epsilon", 1e-5f);
  const double momentum = a.f("momentum", 0.9f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (init.node.opset < 9 && a.i("spatial", 1) == 0)
    return Status(ErrorCode::kNotImplemented,
                  init.error("training mode with spatial = 0 is not implemented").message());
  return std::unique_ptr<Kernel>(new BatchNormTrainKernel(eps, momentum));
}

double dropout_ratio(const Tensor* r, double fallback) {
  if (!r || r->size() != 1) return fallback;
  switch (r->dtype()) {
    case DType::kFloat32: return r->data<float>()[0];
    case DType::kFloat64: return r->data<double>()[0];
    case DType::kFloat16: return half_to_float(r->data<uint16_t>()[0]);
    case DType::kBFloat16: return bfloat16_to_float(r->data<uint16_t>()[0]);
    default: return fallback;
  }
}

Status dropout_train(KernelContext& ctx, const Tensor& x, Tensor& y, Tensor* mask, double ratio) {
  if (!(ratio >= 0.0 && ratio < 1.0))
    return ctx.error("ratio " + std::to_string(ratio) + " must be in [0, 1)");
  if (x.dtype() != DType::kFloat32 || y.dtype() != DType::kFloat32 || y.size() != x.size())
    return ctx.error("X and Y must be float32 of one shape");
  if (mask && (mask->size() != x.size() ||
               (mask->dtype() != DType::kBool && mask->dtype() != DType::kFloat32)))
    return ctx.error("mask must be bool or float32 of X's shape");
  ir::AttrReader a(ctx.node());
  const int64_t seed = a.i("seed", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  std::mt19937 gen(static_cast<uint32_t>(seed));
  const float scale = static_cast<float>(1.0 / (1.0 - ratio));
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t i = 0; i < x.size(); ++i) {
    const uint32_t hi = gen() >> 5, lo = gen() >> 6;
    const double u = (hi * 67108864.0 + lo) / 9007199254740992.0;
    const bool keep = u >= ratio;
    yd[i] = keep ? xd[i] * scale : 0.0f;
    if (mask) {
      if (mask->dtype() == DType::kBool) mask->data<bool>()[i] = keep;
      else mask->data<float>()[i] = keep ? 1.0f : 0.0f;
    }
  }
  return Status::ok();
}

}  // namespace onnxrt::kernels::nn

// ---- SwiGLU (not a training op; it lives here as another simple shared nn kernel)

namespace onnxrt::kernels::nn {

namespace {

class SwiGluKernel final : public Kernel {
 public:
  explicit SwiGluKernel(float alpha) : alpha_(alpha) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* a = ctx.input(0);
    const Tensor* b = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    Tensor* y = ctx.output(0);
    if (!a || !b || !y || a->dtype() != DType::kFloat32 || b->dtype() != DType::kFloat32)
      return ctx.error("needs float32 A, B and Y");
    if (a->shape() != b->shape() || y->size() != a->size())
      return ctx.error("A " + shape_to_string(a->shape()) + " and B " + shape_to_string(b->shape()) +
                       " must have identical shapes");
    const float* ad = a->data<float>();
    const float* bd = b->data<float>();
    float* yd = y->data<float>();
    ctx.threads().parallel_for(a->size(), 8.0, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) yd[i] = ad[i] / (1.0f + std::exp(-alpha_ * ad[i])) * bd[i];
    });
    return Status::ok();
  }

 private:
  float alpha_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_swiglu(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float alpha = a.f("alpha", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new SwiGluKernel(alpha));
}

}  // namespace onnxrt::kernels::nn
