// Linear models and support vector machines of ai.onnx.ml: LinearClassifier, LinearRegressor,
// SVMClassifier, SVMRegressor. Scores are computed in double and written as float.
#include <algorithm>
#include <cmath>

#include "base/thread_pool.h"
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

// ---- SVM kernels
enum class SvmKernel { kLinear, kPoly, kRbf, kSigmoid };

struct SvmParams {
  SvmKernel kind = SvmKernel::kLinear;
  double gamma = 0, coef0 = 0, degree = 0;

  double eval(const Features& f, int64_t r, const float* v) const {
    const int64_t c = f.cols;
    if (kind == SvmKernel::kRbf) {
      double d = 0;
      for (int64_t k = 0; k < c; ++k) {
        const double t = f.at(r, k) - v[k];
        d += t * t;
      }
      return std::exp(-gamma * d);
    }
    double dot = 0;
    for (int64_t k = 0; k < c; ++k) dot += f.at(r, k) * v[k];
    switch (kind) {
      case SvmKernel::kPoly: return std::pow(gamma * dot + coef0, degree);
      case SvmKernel::kSigmoid: return std::tanh(gamma * dot + coef0);
      default: return dot;
    }
  }
};

Status read_svm_params(const KernelInit& init, ir::AttrReader& a, SvmParams& p) {
  const std::string kt = a.s("kernel_type", "LINEAR");
  const auto params = a.floats("kernel_params");
  if (kt == "LINEAR") p.kind = SvmKernel::kLinear;
  else if (kt == "POLY") p.kind = SvmKernel::kPoly;
  else if (kt == "RBF") p.kind = SvmKernel::kRbf;
  else if (kt == "SIGMOID") p.kind = SvmKernel::kSigmoid;
  else return init.error("kernel_type must be LINEAR, POLY, RBF or SIGMOID, got '" + kt + "'");
  if (!params.empty()) {
    p.gamma = params[0];
    if (params.size() > 1) p.coef0 = params[1];
    if (params.size() > 2) p.degree = params[2];
  }
  return Status::ok();
}

// One-vs-one voting: the class with most votes, the first on a tie (libsvm).
int64_t vote_winner(const std::vector<int64_t>& votes) {
  int64_t best = 0;
  for (size_t i = 1; i < votes.size(); ++i)
    if (votes[i] > votes[static_cast<size_t>(best)]) best = static_cast<int64_t>(i);
  return best;
}

// Platt scaling of one decision value (libsvm's sigmoid_predict), clipped away from 0 and 1.
double platt(double dec, double a, double b) {
  const double fApB = dec * a + b;
  const double p = fApB >= 0 ? std::exp(-fApB) / (1.0 + std::exp(-fApB)) : 1.0 / (1.0 + std::exp(fApB));
  return std::min(std::max(p, 1e-7), 1 - 1e-7);
}

// Pairwise coupling (Wu, Lin and Weng, method 2, as libsvm implements it): class probabilities
// from the k*(k-1)/2 pairwise ones. `r` is k x k with r[i][j] = P(i | i or j).
void couple(int64_t k, const std::vector<double>& r, double* p) {
  std::vector<double> q(static_cast<size_t>(k * k)), qp(static_cast<size_t>(k));
  auto R = [&](int64_t i, int64_t j) { return r[static_cast<size_t>(i * k + j)]; };
  auto Q = [&](int64_t i, int64_t j) -> double& { return q[static_cast<size_t>(i * k + j)]; };
  for (int64_t t = 0; t < k; ++t) {
    p[t] = 1.0 / static_cast<double>(k);
    Q(t, t) = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (j == t) continue;
      Q(t, t) += R(j, t) * R(j, t);
      Q(t, j) = -R(j, t) * R(t, j);
    }
  }
  const int64_t max_iter = std::max<int64_t>(100, k);
  const double eps = 0.005 / static_cast<double>(k);
  for (int64_t it = 0; it < max_iter; ++it) {
    double pqp = 0;
    for (int64_t t = 0; t < k; ++t) {
      qp[static_cast<size_t>(t)] = 0;
      for (int64_t j = 0; j < k; ++j) qp[static_cast<size_t>(t)] += Q(t, j) * p[j];
      pqp += p[t] * qp[static_cast<size_t>(t)];
    }
    double max_err = 0;
    for (int64_t t = 0; t < k; ++t) max_err = std::max(max_err, std::fabs(qp[static_cast<size_t>(t)] - pqp));
    if (max_err < eps) break;
    for (int64_t t = 0; t < k; ++t) {
      const double diff = (-qp[static_cast<size_t>(t)] + pqp) / Q(t, t);
      p[t] += diff;
      pqp = (pqp + diff * (diff * Q(t, t) + 2 * qp[static_cast<size_t>(t)])) / (1 + diff) / (1 + diff);
      for (int64_t j = 0; j < k; ++j) {
        qp[static_cast<size_t>(j)] = (qp[static_cast<size_t>(j)] + diff * Q(t, j)) / (1 + diff);
        p[j] /= (1 + diff);
      }
    }
  }
}

// ---- SVMClassifier
class SvmClassifier final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    const int64_t c = f.cols;
    const int64_t nl = static_cast<int64_t>(labels_.size());
    Tensor* y = ctx.output(0);
    Tensor* z = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    const int64_t zc = z ? z->dim(1) : 0;
    if (!svc_) {
      const int64_t rows = c > 0 ? static_cast<int64_t>(coefs_.size()) / c : 0;
      if (rows * c != static_cast<int64_t>(coefs_.size()) || rows == 0)
        return ctx.error("coefficients has " + std::to_string(coefs_.size()) + " values for " + std::to_string(c) + " features");
      std::vector<double> s(static_cast<size_t>(std::max<int64_t>(rows, 2)));
      for (int64_t r = 0; r < f.rows; ++r) {
        for (int64_t j = 0; j < rows; ++j)
          s[static_cast<size_t>(j)] = params_.eval(f, r, coefs_.data() + j * c) + (static_cast<size_t>(j) < rho_.size() ? rho_[static_cast<size_t>(j)] : 0.0);
        int64_t cols = rows;
        if (rows == 1 && nl == 2) {
          const double v = s[0];
          s[0] = -v;
          s[1] = v;
          cols = 2;
          if (y) write_label(*y, r, labels_, v > 0 ? 1 : 0);
        } else if (y) {
          write_label(*y, r, labels_, argmax(s.data(), rows));
        }
        post_transform_row(s.data(), cols, post_);
        for (int64_t j = 0; j < cols && j < zc; ++j) z->data<float>()[r * zc + j] = static_cast<float>(s[static_cast<size_t>(j)]);
      }
      return Status::ok();
    }
    if (static_cast<int64_t>(svs_.size()) != n_vectors_ * c)
      return ctx.error("support_vectors has " + std::to_string(svs_.size()) + " values for " + std::to_string(n_vectors_) +
                       " vectors x " + std::to_string(c) + " features");
    const int64_t k = static_cast<int64_t>(vpc_.size());
    const int64_t npairs = k * (k - 1) / 2;
    std::vector<double> kern(static_cast<size_t>(n_vectors_)), dec(static_cast<size_t>(npairs)),
        probs(static_cast<size_t>(k)), pair_r(static_cast<size_t>(k * k));
    std::vector<int64_t> votes(static_cast<size_t>(k));
    for (int64_t r = 0; r < f.rows; ++r) {
      for (int64_t v = 0; v < n_vectors_; ++v) kern[static_cast<size_t>(v)] = params_.eval(f, r, svs_.data() + v * c);
      std::fill(votes.begin(), votes.end(), 0);
      int64_t p = 0;
      for (int64_t i = 0; i < k; ++i) {
        for (int64_t j = i + 1; j < k; ++j, ++p) {
          // libsvm's one-vs-one layout: the coefficients of class i's vectors against class j sit
          // in row j-1, those of class j's vectors against class i in row i.
          double sum = rho_[static_cast<size_t>(p)];
          for (int64_t m = 0; m < vpc_[static_cast<size_t>(i)]; ++m) {
            const int64_t sv = starts_[static_cast<size_t>(i)] + m;
            sum += coefs_[static_cast<size_t>((j - 1) * n_vectors_ + sv)] * kern[static_cast<size_t>(sv)];
          }
          for (int64_t m = 0; m < vpc_[static_cast<size_t>(j)]; ++m) {
            const int64_t sv = starts_[static_cast<size_t>(j)] + m;
            sum += coefs_[static_cast<size_t>(i * n_vectors_ + sv)] * kern[static_cast<size_t>(sv)];
          }
          dec[static_cast<size_t>(p)] = sum;
          ++votes[static_cast<size_t>(sum > 0 ? i : j)];
        }
      }
      if (proba_) {
        p = 0;
        for (int64_t i = 0; i < k; ++i)
          for (int64_t j = i + 1; j < k; ++j, ++p) {
            const double pr = platt(dec[static_cast<size_t>(p)], prob_a_[static_cast<size_t>(p)], prob_b_[static_cast<size_t>(p)]);
            pair_r[static_cast<size_t>(i * k + j)] = pr;
            pair_r[static_cast<size_t>(j * k + i)] = 1 - pr;
          }
        couple(k, pair_r, probs.data());
        if (y) write_label(*y, r, labels_, vote_winner(votes));
        post_transform_row(probs.data(), k, post_);
        for (int64_t j = 0; j < k && j < zc; ++j) z->data<float>()[r * zc + j] = static_cast<float>(probs[static_cast<size_t>(j)]);
        continue;
      }
      if (y) write_label(*y, r, labels_, vote_winner(votes));
      if (k == 2) {
        // onnxruntime widens the single binary decision value d to [-d, d], although in libsvm's
        // sign a positive d votes for class 0; kept for agreement with it.
        double two[2] = {-dec[0], dec[0]};
        post_transform_row(two, 2, post_);
        for (int64_t j = 0; j < 2 && j < zc; ++j) z->data<float>()[r * zc + j] = static_cast<float>(two[j]);
      } else {
        post_transform_row(dec.data(), npairs, post_);
        for (int64_t j = 0; j < npairs && j < zc; ++j) z->data<float>()[r * zc + j] = static_cast<float>(dec[static_cast<size_t>(j)]);
      }
    }
    return Status::ok();
  }
  SvmParams params_;
  bool svc_ = false, proba_ = false;
  std::vector<int64_t> vpc_, starts_;
  int64_t n_vectors_ = 0;
  std::vector<float> svs_, coefs_, rho_, prob_a_, prob_b_;
  ClassLabels labels_;
  PostTransform post_ = PostTransform::kNone;
};

// ---- SVMRegressor
class SvmRegressor final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    const int64_t c = f.cols;
    const bool svc = n_supports_ > 0;
    if (svc ? static_cast<int64_t>(svs_.size()) != n_supports_ * c || static_cast<int64_t>(coefs_.size()) < n_supports_
            : static_cast<int64_t>(coefs_.size()) != c)
      return ctx.error("support_vectors/coefficients do not fit " + std::to_string(c) + " features");
    float* y = ctx.output(0)->data<float>();
    for (int64_t r = 0; r < f.rows; ++r) {
      double s = rho_.empty() ? 0.0 : rho_[0];
      if (svc) {
        for (int64_t v = 0; v < n_supports_; ++v) s += coefs_[static_cast<size_t>(v)] * params_.eval(f, r, svs_.data() + v * c);
      } else {
        s += params_.eval(f, r, coefs_.data());
      }
      if (one_class_) s = s > 0 ? 1.0 : -1.0;
      post_transform_row(&s, 1, post_);
      y[r] = static_cast<float>(s);
    }
    return Status::ok();
  }
  SvmParams params_;
  int64_t n_supports_ = 0;
  bool one_class_ = false;
  std::vector<float> svs_, coefs_, rho_;
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

KernelPtr make_svm_classifier(const KernelInit& init) {
  auto k = std::make_unique<SvmClassifier>();
  ir::AttrReader a(init.node);
  ONNXRT_RETURN_IF_ERROR(read_svm_params(init, a, k->params_));
  k->vpc_ = a.ints("vectors_per_class");
  k->svs_ = a.floats("support_vectors");
  k->coefs_ = a.floats("coefficients");
  k->rho_ = a.floats("rho");
  k->prob_a_ = a.floats("prob_a");
  k->prob_b_ = a.floats("prob_b");
  k->labels_ = read_labels(a, "classlabels_ints");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(k->post_, parse_post_transform(init, post));
  const int64_t nl = static_cast<int64_t>(k->labels_.size());
  if (nl == 0) return init.error("classlabels_ints or classlabels_strings is required");
  k->svc_ = !k->vpc_.empty() && !k->svs_.empty();
  if (k->svc_) {
    const int64_t kc = static_cast<int64_t>(k->vpc_.size());
    if (kc != nl) return init.error("vectors_per_class has " + std::to_string(kc) + " classes, labels " + std::to_string(nl));
    for (int64_t v : k->vpc_) {
      if (v < 0) return init.error("vectors_per_class has a negative count");
      k->starts_.push_back(k->n_vectors_);
      k->n_vectors_ += v;
    }
    const int64_t npairs = kc * (kc - 1) / 2;
    if (static_cast<int64_t>(k->coefs_.size()) != (kc - 1) * k->n_vectors_)
      return init.error("coefficients has " + std::to_string(k->coefs_.size()) + " values, expected " +
                        std::to_string((kc - 1) * k->n_vectors_));
    if (static_cast<int64_t>(k->rho_.size()) != npairs)
      return init.error("rho has " + std::to_string(k->rho_.size()) + " values, expected " + std::to_string(npairs));
    k->proba_ = !k->prob_a_.empty();
    if (k->proba_ && (static_cast<int64_t>(k->prob_a_.size()) != npairs || static_cast<int64_t>(k->prob_b_.size()) != npairs))
      return init.error("prob_a and prob_b must have " + std::to_string(npairs) + " values");
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelPtr make_svm_regressor(const KernelInit& init) {
  auto k = std::make_unique<SvmRegressor>();
  ir::AttrReader a(init.node);
  ONNXRT_RETURN_IF_ERROR(read_svm_params(init, a, k->params_));
  k->n_supports_ = a.i("n_supports", 0);
  k->one_class_ = a.i("one_class", 0) != 0;
  k->svs_ = a.floats("support_vectors");
  k->coefs_ = a.floats("coefficients");
  k->rho_ = a.floats("rho");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(k->post_, parse_post_transform(init, post));
  if (k->n_supports_ < 0) return init.error("n_supports must be >= 0");
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::ml
