// Optimizer update rules per the ai.onnx.preview.training spec, computed in double per element.
#include "kernels/cpu/training_ops.h"

#include <cmath>
#include <string>
#include <vector>

#include "ir/attribute.h"

namespace onnxrt::kernels {

namespace {

enum class Opt { kAdagrad, kAdam, kMomentum, kNesterov };

struct Params {
  double norm = 0, norm_post = 0, eps = 1e-6, decay = 0, alpha = 0.9, beta = 0.999;
};

double load(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kFloat64 ? t.data<double>()[i] : t.data<float>()[i];
}
void store(Tensor& t, int64_t i, double v) {
  if (t.dtype() == DType::kFloat64) t.data<double>()[i] = v;
  else t.data<float>()[i] = static_cast<float>(v);
}
bool is_float(const Tensor* t) {
  return t && (t->dtype() == DType::kFloat32 || t->dtype() == DType::kFloat64);
}

class OptimizerKernel final : public Kernel {
 public:
  OptimizerKernel(Opt opt, Params p) : opt_(opt), p_(p) {}

  Status run(KernelContext& ctx) const override {
    const size_t groups = opt_ == Opt::kAdam ? 4 : 3;
    const size_t nin = ctx.num_inputs();
    if (nin < 2 + groups || (nin - 2) % groups != 0)
      return ctx.error("expected R, T and " + std::to_string(groups) + " tensors per value, got " +
                       std::to_string(nin) + " inputs");
    const size_t n = (nin - 2) / groups;
    const Tensor* r = ctx.input(0);
    const Tensor* t = ctx.input(1);
    if (!is_float(r) || r->size() != 1) return ctx.error("R must be a float or double scalar");
    if (!t || t->dtype() != DType::kInt64 || t->size() != 1) return ctx.error("T must be an int64 scalar");
    const double rate = load(*r, 0);
    const int64_t step = t->data<int64_t>()[0];
    for (size_t k = 0; k < n; ++k) {
      const Tensor* in[4] = {};
      for (size_t g = 0; g < groups; ++g) {
        in[g] = ctx.input(2 + g * n + k);
        if (!is_float(in[g]) || (g > 0 && (in[g]->size() != in[0]->size() || in[g]->dtype() != in[0]->dtype())))
          return ctx.error("input " + std::to_string(2 + g * n + k) +
                           " must be float or double with the shape of X" + std::to_string(k + 1));
      }
      // Output groups: X_new, then the state tensors (H for Adagrad, V for Momentum, V and H for Adam).
      const size_t out_groups = groups - 1;
      Tensor* out[3] = {};
      for (size_t g = 0; g < out_groups; ++g) {
        const size_t o = g * n + k;
        out[g] = o < ctx.num_outputs() ? ctx.output(o) : nullptr;
        if (out[g] && (out[g]->size() != in[0]->size() || out[g]->dtype() != in[0]->dtype()))
          return ctx.error("output " + std::to_string(o) + " must have the shape and type of X" +
                           std::to_string(k + 1));
      }
      update(rate, step, in, out, in[0]->size());
    }
    return Status::ok();
  }

 private:
  void update(double rate, int64_t step, const Tensor* const* in, Tensor* const* out, int64_t m) const {
    const Tensor &x = *in[0], &g = *in[1];
    switch (opt_) {
      case Opt::kAdagrad: {
        const double r = rate / (1.0 + static_cast<double>(step) * p_.decay);
        for (int64_t i = 0; i < m; ++i) {
          const double gr = p_.norm * load(x, i) + load(g, i);
          const double h = load(*in[2], i) + gr * gr;
          if (out[0]) store(*out[0], i, load(x, i) - r * gr / (std::sqrt(h) + p_.eps));
          if (out[1]) store(*out[1], i, h);
        }
        break;
      }
      case Opt::kAdam: {
        // Bias correction only after the first step (T > 0), per the spec.
        const double ts = static_cast<double>(step);
        const double r = step > 0 ? rate * std::sqrt(1.0 - std::pow(p_.beta, ts)) / (1.0 - std::pow(p_.alpha, ts))
                                  : rate;
        for (int64_t i = 0; i < m; ++i) {
          const double gr = p_.norm * load(x, i) + load(g, i);
          const double v = p_.alpha * load(*in[2], i) + (1 - p_.alpha) * gr;
          const double h = p_.beta * load(*in[3], i) + (1 - p_.beta) * gr * gr;
          const double xn = load(x, i) - r * (v / (std::sqrt(h) + p_.eps));
          if (out[0]) store(*out[0], i, (1 - p_.norm_post) * xn);
          if (out[1]) store(*out[1], i, v);
          if (out[2]) store(*out[2], i, h);
        }
        break;
      }
      case Opt::kMomentum:
      case Opt::kNesterov: {
        // The gradient's coefficient is 1 at the first step (T = 0).
        const double b = step > 0 ? p_.beta : 1.0;
        for (int64_t i = 0; i < m; ++i) {
          const double gr = p_.norm * load(x, i) + load(g, i);
          const double v = p_.alpha * load(*in[2], i) + b * gr;
          const double xn = opt_ == Opt::kMomentum ? load(x, i) - rate * v
                                                   : load(x, i) - rate * (gr + p_.alpha * v);
          if (out[0]) store(*out[0], i, xn);
          if (out[1]) store(*out[1], i, v);
        }
        break;
      }
    }
  }

  Opt opt_;
  Params p_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_adagrad(const KernelInit& init) {
  ir::AttrReader a(init.node);
  Params p;
  p.decay = a.f("decay_factor", 0.0f);
  p.eps = a.f("epsilon", 1e-6f);
  p.norm = a.f("norm_coefficient", 0.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new OptimizerKernel(Opt::kAdagrad, p));
}

Expected<std::unique_ptr<Kernel>> make_adam(const KernelInit& init) {
  ir::AttrReader a(init.node);
  Params p;
  p.alpha = a.f("alpha", 0.9f);
  p.beta = a.f("beta", 0.999f);
  p.eps = a.f("epsilon", 1e-6f);
  p.norm = a.f("norm_coefficient", 0.0f);
  p.norm_post = a.f("norm_coefficient_post", 0.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new OptimizerKernel(Opt::kAdam, p));
}

Expected<std::unique_ptr<Kernel>> make_momentum(const KernelInit& init) {
  ir::AttrReader a(init.node);
  a.required("alpha", ir::AttrKind::kFloat);
  a.required("beta", ir::AttrKind::kFloat);
  a.required("mode", ir::AttrKind::kString);
  a.required("norm_coefficient", ir::AttrKind::kFloat);
  Params p;
  p.alpha = a.f("alpha", 0.0f);
  p.beta = a.f("beta", 0.0f);
  p.norm = a.f("norm_coefficient", 0.0f);
  const std::string mode = a.s("mode", "standard");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode != "standard" && mode != "nesterov")
    return init.error("mode must be 'standard' or 'nesterov', got '" + mode + "'");
  return std::unique_ptr<Kernel>(new OptimizerKernel(mode == "nesterov" ? Opt::kNesterov : Opt::kMomentum, p));
}

}  // namespace onnxrt::kernels
