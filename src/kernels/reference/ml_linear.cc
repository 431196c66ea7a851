// Linear models of ai.onnx.ml: LinearClassifier, LinearRegressor. Scores are computed in double
// and written as float. (The support vector machines are in ml_svm.cc.)
#include <algorithm>
#include <cmath>

#include "ir/attribute.h"
#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

ClassLabels read_labels(ir::AttrReader& a, const char* ints_name) {
  ClassLabels l;
  l.ints = a.ints(ints_name);
  l.strings = a.strings("classlabels_strings");
  return l;
}

int64_t argmax(const double* s, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k)
    if (s[k] > s[best]) best = k;
  return best;
}

// ---- LinearClassifier
class LinearClassifier final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    const int64_t c = f.cols;
    const int64_t rows = !intercepts_.empty() ? static_cast<int64_t>(intercepts_.size())
                         : c > 0 ? static_cast<int64_t>(coefs_.size()) / c : 0;
    if (rows * c != static_cast<int64_t>(coefs_.size()))
      return ctx.error("coefficients has " + std::to_string(coefs_.size()) + " values for " + std::to_string(rows) +
                       " classes x " + std::to_string(c) + " features");
    Tensor* y = ctx.output(0);
    Tensor* z = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    const int64_t nl = static_cast<int64_t>(labels_.size());
    const bool widen = rows == 1 && nl == 2;
    std::vector<double> s(static_cast<size_t>(std::max<int64_t>(rows, 2)));
    for (int64_t r = 0; r < f.rows; ++r) {
      for (int64_t j = 0; j < rows; ++j) {
        double acc = intercepts_.empty() ? 0.0 : intercepts_[static_cast<size_t>(j)];
        for (int64_t k = 0; k < c; ++k) acc += f.at(r, k) * coefs_[static_cast<size_t>(j * c + k)];
        s[static_cast<size_t>(j)] = acc;
      }
      int64_t cols = rows;
      if (widen) {
        // One score for two classes: the model scores class 1; class 0 gets its negation.
        const double v = s[0];
        s[0] = -v;
        s[1] = v;
        cols = 2;
        if (y) write_label(*y, r, labels_, v > 0 ? 1 : 0);
        post_transform_row(s.data(), 2, post_);
      } else if (rows == 1) {
        post_transform_row(s.data(), 1, post_);
        const double th = post_ == PostTransform::kNone ? 0.0 : 0.5;
        if (y) write_label(*y, r, labels_, s[0] >= th ? 0 : -1, 0);
      } else {
        if (y) write_label(*y, r, labels_, argmax(s.data(), rows));
        post_transform_row(s.data(), rows, post_);
      }
      if (z)
        for (int64_t j = 0; j < cols && j < z->dim(1); ++j) z->data<float>()[r * z->dim(1) + j] = static_cast<float>(s[static_cast<size_t>(j)]);
    }
    return Status::ok();
  }
  std::vector<float> coefs_, intercepts_;
  ClassLabels labels_;
  PostTransform post_ = PostTransform::kNone;
};

// ---- LinearRegressor
class LinearRegressor final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    const int64_t c = f.cols;
    if (targets_ * c != static_cast<int64_t>(coefs_.size()))
      return ctx.error("coefficients has " + std::to_string(coefs_.size()) + " values for " + std::to_string(targets_) +
                       " targets x " + std::to_string(c) + " features");
    if (!intercepts_.empty() && static_cast<int64_t>(intercepts_.size()) != targets_)
      return ctx.error("intercepts has " + std::to_string(intercepts_.size()) + " values for " + std::to_string(targets_) + " targets");
    float* y = ctx.output(0)->data<float>();
    std::vector<double> s(static_cast<size_t>(targets_));
    for (int64_t r = 0; r < f.rows; ++r) {
      for (int64_t t = 0; t < targets_; ++t) {
        double acc = intercepts_.empty() ? 0.0 : intercepts_[static_cast<size_t>(t)];
        for (int64_t k = 0; k < c; ++k) acc += f.at(r, k) * coefs_[static_cast<size_t>(t * c + k)];
        s[static_cast<size_t>(t)] = acc;
      }
      post_transform_row(s.data(), targets_, post_);
      for (int64_t t = 0; t < targets_; ++t) y[r * targets_ + t] = static_cast<float>(s[static_cast<size_t>(t)]);
    }
    return Status::ok();
  }
  std::vector<float> coefs_, intercepts_;
  int64_t targets_ = 1;
  PostTransform post_ = PostTransform::kNone;
};

}  // namespace

KernelPtr make_linear_classifier(const KernelInit& init) {
  auto k = std::make_unique<LinearClassifier>();
  ir::AttrReader a(init.node);
  k->coefs_ = a.floats("coefficients");
  k->intercepts_ = a.floats("intercepts");
  k->labels_ = read_labels(a, "classlabels_ints");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(k->post_, parse_post_transform(init, post));
  if (k->labels_.size() == 0) return init.error("classlabels_ints or classlabels_strings is required");
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelPtr make_linear_regressor(const KernelInit& init) {
  auto k = std::make_unique<LinearRegressor>();
  ir::AttrReader a(init.node);
  k->coefs_ = a.floats("coefficients");
  k->intercepts_ = a.floats("intercepts");
  k->targets_ = a.i("targets", 1);
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(k->post_, parse_post_transform(init, post));
  if (k->targets_ < 1) return init.error("targets must be >= 1");
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::ml
