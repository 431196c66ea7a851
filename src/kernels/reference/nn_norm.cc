// Reference normalizations, Softmax family and Dropout: textbook formulas in double, no
// threading, attributes read from the node on every run.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"
#include "kernels/registry.h"

namespace onnxrt::kernels {

namespace {

// Mean and variance of v[i*stride] for i < n, two-pass in double.
void mean_var(const float* v, int64_t n, int64_t stride, double* mean, double* var) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += v[i * stride];
  const double m = n ? s / static_cast<double>(n) : 0.0;
  double q = 0;
  for (int64_t i = 0; i < n; ++i) q += (v[i * stride] - m) * (v[i * stride] - m);
  *mean = m;
  *var = n ? q / static_cast<double>(n) : 0.0;
}

Status ref_batchnorm(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  const double eps = a.f("epsilon", 1e-5f);
  const bool spatial = ctx.node().opset >= 9 || a.i("spatial", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !y || x->rank() < 2) return ctx.error("needs X of rank >= 2");
  for (size_t i = 1; i < ctx.num_outputs(); ++i)
    if (ctx.output(i)) return {ErrorCode::kNotImplemented, "training-mode outputs"};
  const int64_t N = x->dim(0);
  const int64_t C = spatial ? x->dim(1) : shape_size(std::span(x->shape()).subspan(1));
  const int64_t inner = spatial ? shape_size(std::span(x->shape()).subspan(2)) : 1;
  static const char* names[] = {"", "scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) ONNXRT_RETURN_IF_ERROR(nn::check_param(ctx, ctx.input(i), names[i], C));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t off = (n * C + c) * inner + i;
        const double v = (x->data<float>()[off] - static_cast<double>(ctx.input(3)->data<float>()[c])) /
                         std::sqrt(ctx.input(4)->data<float>()[c] + eps);
        y->data<float>()[off] =
            static_cast<float>(v * ctx.input(1)->data<float>()[c] + ctx.input(2)->data<float>()[c]);
      }
  return Status::ok();
}

// Value of a Scale/B tensor broadcast (numpy rules) to the trailing shape at flat index i.
double bcast_at(const Tensor& t, const Shape& trailing, int64_t i) {
  const size_t r = trailing.size();
  int64_t off = 0, stride = 1;
  for (size_t k = 0; k < r; ++k) {
    const size_t d = r - 1 - k;
    const int64_t idx = i % trailing[d];
    i /= trailing[d];
    if (k < static_cast<size_t>(t.rank())) {
      const int64_t sd = t.shape()[static_cast<size_t>(t.rank()) - 1 - k];
      if (sd != 1) off += idx * stride;
      stride *= sd;
    }
  }
  return t.data<float>()[off];
}

Status ref_layernorm(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* s = ctx.input(1);
  const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  int64_t axis = a.i("axis", -1);
  const double eps = a.f("epsilon", 1e-5f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !s || !y) return ctx.error("needs X, Scale and Y");
  const int64_t rank = x->rank();
  if (axis < -rank || axis >= rank) return ctx.error("axis out of range");
  if (axis < 0) axis += rank;
  const Shape trailing(x->shape().begin() + axis, x->shape().end());
  for (const Tensor* p : {s, b}) {
    if (!p) continue;
    if (p->rank() > static_cast<int64_t>(trailing.size())) return ctx.error("Scale/B rank too large");
    for (int64_t k = 0; k < p->rank(); ++k) {
      const int64_t sd = p->shape()[static_cast<size_t>(p->rank() - 1 - k)];
      if (sd != 1 && sd != trailing[trailing.size() - 1 - static_cast<size_t>(k)])
        return ctx.error("Scale/B does not broadcast");
    }
  }
  const int64_t cols = shape_size(trailing);
  const int64_t rows = shape_size(std::span(x->shape()).first(static_cast<size_t>(axis)));
  Tensor* mo = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
  Tensor* io = ctx.num_outputs() > 2 ? ctx.output(2) : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    double m, v;
    mean_var(x->data<float>() + r * cols, cols, 1, &m, &v);
    const double inv = 1.0 / std::sqrt(v + eps);
    if (mo) mo->data<float>()[r] = static_cast<float>(m);
    if (io) io->data<float>()[r] = static_cast<float>(inv);
    for (int64_t i = 0; i < cols; ++i) {
      double t = (x->data<float>()[r * cols + i] - m) * inv * bcast_at(*s, trailing, i);
      if (b) t += bcast_at(*b, trailing, i);
      y->data<float>()[r * cols + i] = static_cast<float>(t);
    }
  }
  return Status::ok();
}

// InstanceNormalization and GroupNormalization.
Status ref_channel_norm(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  const bool group = ctx.node().op_type == "GroupNormalization";
  ir::AttrReader a(ctx.node());
  const double eps = a.f("epsilon", 1e-5f);
  if (!x || !y || x->rank() < 2) return ctx.error("needs X of rank >= 2");
  const int64_t N = x->dim(0), C = x->dim(1);
  const int64_t G = group ? a.i("num_groups", 1) : C;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (G <= 0 || C % G) return ctx.error("channels not divisible by num_groups");
  const int64_t inner = shape_size(std::span(x->shape()).subspan(2));
  const bool per_channel = !group || ctx.node().opset >= 21;
  ONNXRT_RETURN_IF_ERROR(nn::check_param(ctx, ctx.input(1), "scale", per_channel ? C : G));
  ONNXRT_RETURN_IF_ERROR(nn::check_param(ctx, ctx.input(2), "B", per_channel ? C : G));
  const int64_t cg = C / G, gs = cg * inner;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < G; ++g) {
      const int64_t base = (n * C + g * cg) * inner;
      double m, v;
      mean_var(x->data<float>() + base, gs, 1, &m, &v);
      for (int64_t i = 0; i < gs; ++i) {
        const int64_t pi = per_channel ? g * cg + i / inner : g;
        y->data<float>()[base + i] = static_cast<float>(
            (x->data<float>()[base + i] - m) / std::sqrt(v + eps) * ctx.input(1)->data<float>()[pi] +
            ctx.input(2)->data<float>()[pi]);
      }
    }
  return Status::ok();
}

Status ref_lpnorm(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1), p = a.i("p", 2);
  ONNXRT_RETURN_IF_ERROR(a.status());
  auto sp = nn::split_at_axis(ctx, x->shape(), axis, false);
  if (!sp) return sp.status();
  for (int64_t o = 0; o < sp->outer; ++o)
    for (int64_t j = 0; j < sp->inner; ++j) {
      const int64_t base = o * sp->n * sp->inner + j;
      double acc = 0;
      for (int64_t k = 0; k < sp->n; ++k) {
        const double v = x->data<float>()[base + k * sp->inner];
        acc += p == 1 ? std::fabs(v) : v * v;
      }
      const double norm = p == 1 ? acc : std::sqrt(acc);
      for (int64_t k = 0; k < sp->n; ++k)
        y->data<float>()[base + k * sp->inner] =
            norm == 0 ? 0.0f : static_cast<float>(x->data<float>()[base + k * sp->inner] / norm);
    }
  return Status::ok();
}

Status ref_lrn(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  ir::AttrReader a(ctx.node());
  const int64_t size = a.i("size", 1);
  const double alpha = a.f("alpha", 1e-4f), beta = a.f("beta", 0.75f), bias = a.f("bias", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !y || x->rank() < 2) return ctx.error("needs X of rank >= 2");
  const int64_t N = x->dim(0), C = x->dim(1);
  const int64_t inner = shape_size(std::span(x->shape()).subspan(2));
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;  // floor and ceil of (size-1)/2
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, c - lo); k <= std::min(C - 1, c + hi); ++k) {
          const double v = x->data<float>()[(n * C + k) * inner + i];
          sq += v * v;
        }
        const int64_t off = (n * C + c) * inner + i;
        y->data<float>()[off] =
            static_cast<float>(x->data<float>()[off] / std::pow(bias + alpha / size * sq, beta));
      }
  return Status::ok();
}

Status ref_softmax(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  const std::string& op = ctx.node().op_type;
  const bool coerce = ctx.node().opset < 13;
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", coerce ? 1 : -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!x || !y) return ctx.error("needs X and Y");
  auto sp = nn::split_at_axis(ctx, x->shape(), axis, coerce);
  if (!sp) return sp.status();
  const float* xd = x->data<float>();
  float* yd = y->data<float>();
  for (int64_t o = 0; o < sp->outer; ++o)
    for (int64_t j = 0; j < sp->inner; ++j) {
      const int64_t base = o * sp->n * sp->inner + j, st = sp->inner;
      if (sp->n == 0) continue;
      int64_t arg = 0;
      for (int64_t k = 1; k < sp->n; ++k)
        if (xd[base + k * st] > xd[base + arg * st]) arg = k;
      const double m = xd[base + arg * st];
      double sum = 0;
      for (int64_t k = 0; k < sp->n; ++k) sum += std::exp(xd[base + k * st] - m);
      for (int64_t k = 0; k < sp->n; ++k) {
        const double v = xd[base + k * st];
        yd[base + k * st] = static_cast<float>(
            op == "Softmax" ? std::exp(v - m) / sum
            : op == "LogSoftmax" ? v - m - std::log(sum)
                                 : (k == arg ? 1.0 : 0.0));
      }
    }
  return Status::ok();
}

Status ref_dropout(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  Tensor* y = ctx.output(0);
  if (!x || !y || x->nbytes() != y->nbytes()) return ctx.error("needs X and Y");
  if (ctx.num_inputs() > 2 && ctx.input(2)) {
    const Tensor* t = ctx.input(2);
    const double ratio = nn::dropout_ratio(ctx.input(1), 0.5);
    if (t->dtype() == DType::kBool && t->size() == 1 && t->data<bool>()[0] && ratio != 0.0)
      return nn::dropout_train(ctx, *x, *y, ctx.num_outputs() > 1 ? ctx.output(1) : nullptr, ratio);
  }
  if (x->nbytes()) std::memcpy(y->raw(), x->raw(), x->nbytes());
  if (Tensor* m = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr) {
    for (int64_t i = 0; i < m->size(); ++i) {
      if (m->dtype() == DType::kBool) m->data<bool>()[i] = true;
      else if (m->dtype() == DType::kFloat32) m->data<float>()[i] = 1.0f;
    }
  }
  return Status::ok();
}

template <KernelFn Fn>
Expected<std::unique_ptr<Kernel>> ref_factory(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(Fn, "reference"));
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_ref_batchnorm(const KernelInit& i) {
  if (nn::batchnorm_is_training(i)) return nn::make_batchnorm_training(i);
  return ref_factory<&ref_batchnorm>(i);
}
Expected<std::unique_ptr<Kernel>> make_ref_layernorm(const KernelInit& i) { return ref_factory<&ref_layernorm>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_instancenorm(const KernelInit& i) { return ref_factory<&ref_channel_norm>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_groupnorm(const KernelInit& i) { return ref_factory<&ref_channel_norm>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_lpnorm(const KernelInit& i) { return ref_factory<&ref_lpnorm>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_lrn(const KernelInit& i) { return ref_factory<&ref_lrn>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_softmax(const KernelInit& i) { return ref_factory<&ref_softmax>(i); }
Expected<std::unique_ptr<Kernel>> make_ref_dropout(const KernelInit& i) { return ref_factory<&ref_dropout>(i); }

}  // namespace onnxrt::kernels
