// SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss: one simple kernel for both tables
// (a gather and a sum; an optimized variant would add nothing). Math in double.
//
// Spec points: a label equal to ignore_index contributes 0 and its weight is left out of the
// "mean" denominator; any other label outside [0, C) is an error, not a read out of bounds;
// the mean is a weighted mean (sum of losses / sum of the labels' weights), which is NaN when
// every label is ignored, as in the spec's function body. log_prob is a log-softmax over the
// class axis (x - max - log(sum exp(x - max))), never log(softmax), which underflows to -inf.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

class LossKernel final : public Kernel {
 public:
  LossKernel(bool softmax, int reduction, bool has_ignore, int64_t ignore)
      : softmax_(softmax), reduction_(reduction), has_ignore_(has_ignore), ignore_(ignore) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* lab = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* w = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* loss = ctx.output(0);
    Tensor* logp = softmax_ && ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    if (!x || !lab || !loss || !tf::is_float(x->dtype()) || x->rank() < 2)
      return ctx.error("needs float scores [N, C, ...] and labels");
    if (lab->dtype() != DType::kInt64 && lab->dtype() != DType::kInt32)
      return ctx.error("labels must be int32 or int64");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t inner = N * C == 0 ? shape_size(std::span(x->shape()).subspan(2)) : x->size() / (N * C);
    Shape lshape{N};
    lshape.insert(lshape.end(), x->shape().begin() + 2, x->shape().end());
    if (lab->shape() != lshape)
      return ctx.error("labels " + shape_to_string(lab->shape()) + " must have shape " + shape_to_string(lshape));
    if (w && (w->shape() != Shape{C} || !tf::is_float(w->dtype())))
      return ctx.error("weights must be float [" + std::to_string(C) + "], got " + shape_to_string(w->shape()));
    const Shape out_shape = reduction_ == 0 ? lshape : Shape{};
    if (loss->shape() != out_shape) return ctx.error("loss output has shape " + shape_to_string(loss->shape()));
    if (logp && logp->shape() != x->shape()) return ctx.error("log_prob output must have the scores' shape");
    // Log-probabilities (SCE) or the scores themselves (NLL takes log-probabilities as input).
    std::vector<double> lp;
    if (softmax_) {
      lp.resize(static_cast<size_t>(x->size()));
      for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t base = n * C * inner + i;
          double m = -INFINITY;
          for (int64_t c = 0; c < C; ++c) m = std::max(m, tf::load(*x, base + c * inner));
          double s = 0;
          for (int64_t c = 0; c < C; ++c) s += std::exp(tf::load(*x, base + c * inner) - m);
          const double shift = m + std::log(s);
          for (int64_t c = 0; c < C; ++c) lp[static_cast<size_t>(base + c * inner)] = tf::load(*x, base + c * inner) - shift;
        }
      if (logp)
        for (int64_t i = 0; i < x->size(); ++i) tf::store(*logp, i, lp[static_cast<size_t>(i)]);
    }
    auto score = [&](int64_t i) { return softmax_ ? lp[static_cast<size_t>(i)] : tf::load(*x, i); };
    double total = 0, wsum = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t li = n * inner + i;
        const int64_t t = static_cast<int64_t>(tf::load(*lab, li));
        double l = 0;
        if (!(has_ignore_ && t == ignore_)) {
          if (t < 0 || t >= C)
            return ctx.error("label " + std::to_string(t) + " outside [0, " + std::to_string(C) + ")");
          const double wt = w ? tf::load(*w, t) : 1.0;
          l = -score((n * C + t) * inner + i) * wt;
          wsum += wt;
        }
        if (reduction_ == 0) tf::store(*loss, li, l);
        total += l;
      }
    if (reduction_ == 1) tf::store(*loss, 0, total);
    if (reduction_ == 2) tf::store(*loss, 0, total / wsum);
    return Status::ok();
  }

 private:
  bool softmax_;
  int reduction_;  // 0 none, 1 sum, 2 mean
  bool has_ignore_;
  int64_t ignore_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_loss(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string red = a.s("reduction", "mean");
  const bool has_ignore = a.has("ignore_index");
  const int64_t ignore = a.i("ignore_index", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const int reduction = red == "none" ? 0 : red == "sum" ? 1 : red == "mean" ? 2 : -1;
  if (reduction < 0) return init.error("reduction '" + red + "' must be none, sum or mean");
  return std::unique_ptr<Kernel>(
      new LossKernel(init.node.op_type == "SoftmaxCrossEntropyLoss", reduction, has_ignore, ignore));
}

}  // namespace onnxrt::kernels
