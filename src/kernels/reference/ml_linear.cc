// Linear models of ai.onnx.ml (ml_linear.h): LinearClassifier, LinearRegressor. (The support
// vector machines are in ml_svm.cc.)
#include "kernels/reference/ml_linear.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/thread_pool.h"
#include "ir/attribute.h"

namespace onnxrt::kernels::ml {

int64_t LinearModel::rows() const {
  if (!classifier) return targets;
  return intercepts.empty() ? -1 : static_cast<int64_t>(intercepts.size());
}

int64_t LinearModel::cols() const {
  const int64_t n = rows();
  return n > 0 && static_cast<int64_t>(coefs.size()) % n == 0 ? static_cast<int64_t>(coefs.size()) / n : -1;
}

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

int64_t argmax(const double* s, int64_t n) {
  int64_t best = 0;
  for (int64_t k = 1; k < n; ++k)
    if (s[k] > s[best]) best = k;
  return best;
}

void naive_dots(const LinearModel& m, const Features& f, int64_t r0, int64_t rows, int64_t n, double* out) {
  const int64_t c = f.cols;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < c; ++k) acc += f.at(r0 + i, k) * m.coefs[static_cast<size_t>(j * c + k)];
      out[i * n + j] = acc;
    }
}

// Scores (dot products plus intercepts, room for two) to labels and outputs of row r.
void classify_row(const LinearModel& m, int64_t r, double* s, int64_t n, Tensor* y, Tensor* z) {
  const int64_t nl = static_cast<int64_t>(m.labels.size());
  int64_t cols = n;
  if (n == 1 && nl == 2) {
    // One score for two classes: the model scores class 1; class 0 gets its negation.
    const double v = s[0];
    s[0] = -v;
    s[1] = v;
    cols = 2;
    if (y) write_label(*y, r, m.labels, v > 0 ? 1 : 0);
    if (m.post == PostTransform::kLogistic) {
      // A binary logistic regression, the most common model: ml_logistic(-v) and ml_logistic(v)
      // share 1 / (1 + exp(-|v|)), so one exp gives both, the same bits.
      const double e = 1.0 / (1.0 + std::exp(-std::fabs(v)));
      s[0] = -v < 0 ? 1.0 - e : e;
      s[1] = v < 0 ? 1.0 - e : e;
    } else {
      post_transform_row(s, 2, m.post);
    }
  } else if (n == 1) {
    post_transform_row(s, 1, m.post);
    const double th = m.post == PostTransform::kNone ? 0.0 : 0.5;
    if (y) write_label(*y, r, m.labels, s[0] >= th ? 0 : -1, 0);
  } else {
    if (y) write_label(*y, r, m.labels, argmax(s, n));
    post_transform_row(s, n, m.post);
  }
  if (z)
    for (int64_t j = 0; j < cols && j < z->dim(1); ++j) z->data<float>()[r * z->dim(1) + j] = static_cast<float>(s[j]);
}

}  // namespace

Status run_linear(KernelContext& ctx, const LinearModel& m, const LinearDotsFn* dots, bool threaded) {
  ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
  const int64_t c = f.cols;
  int64_t n = m.targets;
  if (m.classifier) {
    n = !m.intercepts.empty() ? static_cast<int64_t>(m.intercepts.size())
        : c > 0              ? static_cast<int64_t>(m.coefs.size()) / c
                             : 0;
    if (n * c != static_cast<int64_t>(m.coefs.size()))
      return ctx.error("coefficients has " + std::to_string(m.coefs.size()) + " values for " + std::to_string(n) +
                       " classes x " + std::to_string(c) + " features");
  } else {
    if (m.targets * c != static_cast<int64_t>(m.coefs.size()))
      return ctx.error("coefficients has " + std::to_string(m.coefs.size()) + " values for " + std::to_string(m.targets) +
                       " targets x " + std::to_string(c) + " features");
    if (!m.intercepts.empty() && static_cast<int64_t>(m.intercepts.size()) != m.targets)
      return ctx.error("intercepts has " + std::to_string(m.intercepts.size()) + " values for " +
                       std::to_string(m.targets) + " targets");
  }
  Tensor* y = ctx.output(0);
  Tensor* z = m.classifier && ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
  if (f.rows == 0) return Status::ok();
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (f.rows + kBlock - 1) / kBlock;
  auto work = [&](int64_t b0, int64_t b1) {
    std::vector<double> d(static_cast<size_t>(std::min(kBlock, f.rows) * n)), s(static_cast<size_t>(std::max<int64_t>(n, 2)));
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * kBlock, rows = std::min(kBlock, f.rows - r0);
      if (dots) (*dots)(f, r0, rows, n, d.data());
      else naive_dots(m, f, r0, rows, n, d.data());
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < n; ++j)
          s[static_cast<size_t>(j)] = (m.intercepts.empty() ? 0.0 : m.intercepts[static_cast<size_t>(j)]) + d[static_cast<size_t>(i * n + j)];
        if (m.classifier) {
          classify_row(m, r0 + i, s.data(), n, y, z);
        } else {
          post_transform_row(s.data(), n, m.post);
          for (int64_t j = 0; j < n; ++j) y->data<float>()[(r0 + i) * n + j] = static_cast<float>(s[static_cast<size_t>(j)]);
        }
      }
    }
  };
  if (threaded) ctx.threads().parallel_for(blocks, static_cast<double>(kBlock * n * (c + 4)), work);
  else work(0, blocks);
  return Status::ok();
}

Expected<LinearModel> parse_linear_classifier(const KernelInit& init) {
  LinearModel m;
  m.classifier = true;
  ir::AttrReader a(init.node);
  m.coefs = a.floats("coefficients");
  m.intercepts = a.floats("intercepts");
  m.labels.ints = a.ints("classlabels_ints");
  m.labels.strings = a.strings("classlabels_strings");
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(m.post, parse_post_transform(init, post));
  if (m.labels.size() == 0) return init.error("classlabels_ints or classlabels_strings is required");
  return m;
}

Expected<LinearModel> parse_linear_regressor(const KernelInit& init) {
  LinearModel m;
  ir::AttrReader a(init.node);
  m.coefs = a.floats("coefficients");
  m.intercepts = a.floats("intercepts");
  m.targets = a.i("targets", 1);
  const std::string post = a.s("post_transform", "NONE");
  ONNXRT_RETURN_IF_ERROR(a.status());
  ONNXRT_ASSIGN_OR_RETURN(m.post, parse_post_transform(init, post));
  if (m.targets < 1) return init.error("targets must be >= 1");
  return m;
}

namespace {

class ReferenceLinear final : public Kernel {
 public:
  explicit ReferenceLinear(LinearModel m) : m_(std::move(m)) {}
  Status run(KernelContext& ctx) const override { return run_linear(ctx, m_, nullptr, false); }

 private:
  LinearModel m_;
};

}  // namespace

KernelPtr make_linear_classifier(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(LinearModel m, parse_linear_classifier(init));
  return std::unique_ptr<Kernel>(std::make_unique<ReferenceLinear>(std::move(m)));
}

KernelPtr make_linear_regressor(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(LinearModel m, parse_linear_regressor(init));
  return std::unique_ptr<Kernel>(std::make_unique<ReferenceLinear>(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
