// SVMClassifier and SVMRegressor (ml_svm.h): attribute parsing, the naive kernel values and the
// per-row decision that both backends share.
#include "kernels/reference/ml_svm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/thread_pool.h"
#include "ir/attribute.h"

namespace onnxrt::kernels::ml {

double SvmKernelSpec::finish(double v) const {
  switch (kind) {
    case SvmKernel::kRbf: return std::exp(-gamma * v);
    case SvmKernel::kPoly: return std::pow(gamma * v + coef0, degree);
    case SvmKernel::kSigmoid: return std::tanh(gamma * v + coef0);
    default: return v;
  }
}

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

// K(row r of X, v): a squared distance for rbf, else a dot product, summed in feature order.
double eval_pair(const SvmKernelSpec& k, const Features& f, int64_t r, const float* v) {
  const int64_t c = f.cols;
  double acc = 0;
  if (k.kind == SvmKernel::kRbf) {
    for (int64_t j = 0; j < c; ++j) {
      const double t = f.at(r, j) - v[j];
      acc += t * t;
    }
  } else {
    for (int64_t j = 0; j < c; ++j) acc += f.at(r, j) * v[j];
  }
  return k.finish(acc);
}

Status read_kernel_spec(const KernelInit& init, ir::AttrReader& a, SvmKernelSpec& p) {
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

int64_t argmax(const double* s, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k)
    if (s[k] > s[best]) best = k;
  return best;
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

// The decision of one row from its kernel values, written to row r of Y and Z. One per thread:
// it holds that thread's scratch.
class RowDecision {
 public:
  RowDecision(const SvmModel& m, Tensor* y, Tensor* z) : m_(m), y_(y), z_(z), zc_(z ? z->dim(1) : 0) {
    const auto k = static_cast<size_t>(m.vpc.size());
    dec_.resize(k * (k > 0 ? k - 1 : 0) / 2);
    probs_.resize(k);
    pair_r_.resize(k * k);
    votes_.resize(k);
  }

  // A classifier with support vectors: one-vs-one decision values, votes, probabilities.
  void classify(int64_t r, const double* kern) {
    const int64_t k = static_cast<int64_t>(m_.vpc.size());
    const int64_t nv = m_.n_vectors;
    std::fill(votes_.begin(), votes_.end(), 0);
    int64_t p = 0;
    for (int64_t i = 0; i < k; ++i) {
      for (int64_t j = i + 1; j < k; ++j, ++p) {
        // libsvm's one-vs-one layout: the coefficients of class i's vectors against class j sit
        // in row j-1, those of class j's vectors against class i in row i.
        double sum = m_.rho[static_cast<size_t>(p)];
        for (int64_t q = 0; q < m_.vpc[static_cast<size_t>(i)]; ++q) {
          const int64_t sv = m_.starts[static_cast<size_t>(i)] + q;
          sum += m_.coefs[static_cast<size_t>((j - 1) * nv + sv)] * kern[sv];
        }
        for (int64_t q = 0; q < m_.vpc[static_cast<size_t>(j)]; ++q) {
          const int64_t sv = m_.starts[static_cast<size_t>(j)] + q;
          sum += m_.coefs[static_cast<size_t>(i * nv + sv)] * kern[sv];
        }
        dec_[static_cast<size_t>(p)] = sum;
        ++votes_[static_cast<size_t>(sum > 0 ? i : j)];
      }
    }
    if (y_) write_label(*y_, r, m_.labels, vote_winner(votes_));
    if (m_.proba) {
      p = 0;
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = i + 1; j < k; ++j, ++p) {
          const double pr = platt(dec_[static_cast<size_t>(p)], m_.prob_a[static_cast<size_t>(p)], m_.prob_b[static_cast<size_t>(p)]);
          pair_r_[static_cast<size_t>(i * k + j)] = pr;
          pair_r_[static_cast<size_t>(j * k + i)] = 1 - pr;
        }
      couple(k, pair_r_, probs_.data());
      post_transform_row(probs_.data(), k, m_.post);
      write_scores(r, probs_.data(), k);
    } else if (k == 2) {
      // onnxruntime widens the single binary decision value d to [-d, d], although in libsvm's
      // sign a positive d votes for class 0; kept for agreement with it.
      double two[2] = {-dec_[0], dec_[0]};
      post_transform_row(two, 2, m_.post);
      write_scores(r, two, 2);
    } else {
      const auto npairs = static_cast<int64_t>(dec_.size());
      post_transform_row(dec_.data(), npairs, m_.post);
      write_scores(r, dec_.data(), npairs);
    }
  }

  // A classifier without support vectors: one linear score per coefficient row (in s, which
  // has room for two).
  void classify_linear(int64_t r, double* s, int64_t rows) {
    const int64_t nl = static_cast<int64_t>(m_.labels.size());
    int64_t cols = rows;
    if (rows == 1 && nl == 2) {
      const double v = s[0];
      s[0] = -v;
      s[1] = v;
      cols = 2;
      if (y_) write_label(*y_, r, m_.labels, v > 0 ? 1 : 0);
    } else if (y_) {
      write_label(*y_, r, m_.labels, argmax(s, rows));
    }
    post_transform_row(s, cols, m_.post);
    write_scores(r, s, cols);
  }

  void regress(int64_t r, double s) {
    if (m_.one_class) s = s > 0 ? 1.0 : -1.0;
    post_transform_row(&s, 1, m_.post);
    y_->data<float>()[r] = static_cast<float>(s);
  }

 private:
  void write_scores(int64_t r, const double* s, int64_t n) {
    for (int64_t j = 0; j < n && j < zc_; ++j) z_->data<float>()[r * zc_ + j] = static_cast<float>(s[j]);
  }

  const SvmModel& m_;
  Tensor* y_;
  Tensor* z_;
  int64_t zc_;
  std::vector<double> dec_, probs_, pair_r_;
  std::vector<int64_t> votes_;
};

// A model without support vectors: its coefficient rows are the vectors, one pair at a time.
Status run_linear(KernelContext& ctx, const SvmModel& m, const Features& f, Tensor* y, Tensor* z) {
  const int64_t c = f.cols;
  RowDecision d(m, y, z);
  if (m.classifier) {
    const int64_t rows = c > 0 ? static_cast<int64_t>(m.coefs.size()) / c : 0;
    if (rows * c != static_cast<int64_t>(m.coefs.size()) || rows == 0)
      return ctx.error("coefficients has " + std::to_string(m.coefs.size()) + " values for " + std::to_string(c) + " features");
    std::vector<double> s(static_cast<size_t>(std::max<int64_t>(rows, 2)));
    for (int64_t r = 0; r < f.rows; ++r) {
      for (int64_t j = 0; j < rows; ++j)
        s[static_cast<size_t>(j)] = eval_pair(m.kernel, f, r, m.coefs.data() + j * c) +
                                    (static_cast<size_t>(j) < m.rho.size() ? m.rho[static_cast<size_t>(j)] : 0.0);
      d.classify_linear(r, s.data(), rows);
    }
    return Status::ok();
  }
  if (static_cast<int64_t>(m.coefs.size()) != c)
    return ctx.error("coefficients has " + std::to_string(m.coefs.size()) + " values for " + std::to_string(c) + " features");
  for (int64_t r = 0; r < f.rows; ++r)
    d.regress(r, (m.rho.empty() ? 0.0 : m.rho[0]) + eval_pair(m.kernel, f, r, m.coefs.data()));
  return Status::ok();
}

}  // namespace

void svm_kernel_rows_naive(const SvmModel& m, const Features& x, int64_t r0, int64_t rows, double* out) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t v = 0; v < m.n_vectors; ++v) out[i * m.n_vectors + v] = eval_pair(m.kernel, x, r0 + i, m.svs.data() + v * m.cols);
}

Status run_svm(KernelContext& ctx, const SvmModel& m, const SvmKernelRowsFn* rows_fn, bool threaded) {
  ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
  Tensor* y = ctx.output(0);
  Tensor* z = m.classifier && ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
  if (m.svs.empty()) return run_linear(ctx, m, f, y, z);
  if (f.cols != m.cols)
    return ctx.error("X has " + std::to_string(f.cols) + " features, the support vectors " + std::to_string(m.cols));
  if (f.rows == 0) return Status::ok();
  const int64_t nv = m.n_vectors;
  // Rows in blocks whose kernel values stay in L2 (at least 4 rows, at most 64).
  const int64_t block = std::clamp<int64_t>((1 << 15) / std::max<int64_t>(nv, 1), 4, 64);
  const int64_t blocks = (f.rows + block - 1) / block;
  auto work = [&](int64_t b0, int64_t b1) {
    RowDecision d(m, y, z);
    std::vector<double> kern(static_cast<size_t>(std::min(block, f.rows) * nv));
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * block;
      const int64_t n = std::min(block, f.rows - r0);
      if (rows_fn) (*rows_fn)(f, r0, n, kern.data());
      else svm_kernel_rows_naive(m, f, r0, n, kern.data());
      for (int64_t i = 0; i < n; ++i) {
        const double* kr = kern.data() + i * nv;
        if (m.classifier) {
          d.classify(r0 + i, kr);
        } else {
          double s = m.rho.empty() ? 0.0 : m.rho[0];
          for (int64_t v = 0; v < nv; ++v) s += m.coefs[static_cast<size_t>(v)] * kr[v];
          d.regress(r0 + i, s);
        }
      }
    }
  };
  if (threaded) {
    // Per row: the kernel values (3 operations per feature and vector) and the decision.
    const double cost = static_cast<double>(nv) * (3.0 * static_cast<double>(m.cols) + 8.0);
    ctx.threads().parallel_for(blocks, cost * static_cast<double>(block), work);
  } else {
    work(0, blocks);
  }
  return Status::ok();
}

Expected<SvmModel> parse_svm_classifier(const KernelInit& init) {
  SvmModel m;
  m.classifier = true;
  ir::AttrReader a(init.node);
  ONNXRT_RETURN_IF_ERROR(read_kernel_spec(init, a, m.kernel));
  m.vpc = a.ints("vectors_per_class");
  m.svs = a.floats("support_vectors");
  m.coefs = a.floats("coefficients");
  m.rho = a.floats("rho");
  m.prob_a = a.floats("prob_a");
  m.prob_b = a.floats("prob_b");
  m.labels.ints = a.ints("classlabels_ints");
  m.labels.strings = a.strings("classlabels_strings");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(m.post, parse_post_transform(init, post));
  const int64_t nl = static_cast<int64_t>(m.labels.size());
  if (nl == 0) return init.error("classlabels_ints or classlabels_strings is required");
  if (m.vpc.empty() || m.svs.empty()) {
    m.svs.clear();  // a linear model: the coefficient rows are its vectors
    return m;
  }
  const int64_t kc = static_cast<int64_t>(m.vpc.size());
  if (kc != nl) return init.error("vectors_per_class has " + std::to_string(kc) + " classes, labels " + std::to_string(nl));
  for (int64_t v : m.vpc) {
    if (v < 0) return init.error("vectors_per_class has a negative count");
    m.starts.push_back(m.n_vectors);
    m.n_vectors += v;
  }
  if (m.n_vectors == 0 || static_cast<int64_t>(m.svs.size()) % m.n_vectors != 0)
    return init.error("support_vectors has " + std::to_string(m.svs.size()) + " values for " +
                      std::to_string(m.n_vectors) + " vectors");
  m.cols = static_cast<int64_t>(m.svs.size()) / m.n_vectors;
  const int64_t npairs = kc * (kc - 1) / 2;
  if (static_cast<int64_t>(m.coefs.size()) != (kc - 1) * m.n_vectors)
    return init.error("coefficients has " + std::to_string(m.coefs.size()) + " values, expected " +
                      std::to_string((kc - 1) * m.n_vectors));
  if (static_cast<int64_t>(m.rho.size()) != npairs)
    return init.error("rho has " + std::to_string(m.rho.size()) + " values, expected " + std::to_string(npairs));
  m.proba = !m.prob_a.empty();
  if (m.proba && (static_cast<int64_t>(m.prob_a.size()) != npairs || static_cast<int64_t>(m.prob_b.size()) != npairs))
    return init.error("prob_a and prob_b must have " + std::to_string(npairs) + " values");
  return m;
}

Expected<SvmModel> parse_svm_regressor(const KernelInit& init) {
  SvmModel m;
  ir::AttrReader a(init.node);
  ONNXRT_RETURN_IF_ERROR(read_kernel_spec(init, a, m.kernel));
  const int64_t n_supports = a.i("n_supports", 0);
  m.one_class = a.i("one_class", 0) != 0;
  m.svs = a.floats("support_vectors");
  m.coefs = a.floats("coefficients");
  m.rho = a.floats("rho");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(m.post, parse_post_transform(init, post));
  if (n_supports < 0) return init.error("n_supports must be >= 0");
  if (n_supports == 0) {
    m.svs.clear();  // a linear model: the coefficients are its one vector
    return m;
  }
  m.n_vectors = n_supports;
  if (static_cast<int64_t>(m.svs.size()) % n_supports != 0 || m.svs.empty())
    return init.error("support_vectors has " + std::to_string(m.svs.size()) + " values for " +
                      std::to_string(n_supports) + " vectors");
  m.cols = static_cast<int64_t>(m.svs.size()) / n_supports;
  if (static_cast<int64_t>(m.coefs.size()) < n_supports)
    return init.error("coefficients has " + std::to_string(m.coefs.size()) + " values for " +
                      std::to_string(n_supports) + " support vectors");
  return m;
}

namespace {

class ReferenceSvm final : public Kernel {
 public:
  explicit ReferenceSvm(SvmModel m) : m_(std::move(m)) {}
  Status run(KernelContext& ctx) const override { return run_svm(ctx, m_, nullptr, false); }

 private:
  SvmModel m_;
};

}  // namespace

KernelPtr make_svm_classifier(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(SvmModel m, parse_svm_classifier(init));
  return std::unique_ptr<Kernel>(std::make_unique<ReferenceSvm>(std::move(m)));
}

KernelPtr make_svm_regressor(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(SvmModel m, parse_svm_regressor(init));
  return std::unique_ptr<Kernel>(std::make_unique<ReferenceSvm>(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
