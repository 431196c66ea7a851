// LinearClassifier and LinearRegressor on the CPU: the reference's model and per-row scores
// (reference/ml_linear.h), with the dot products of each block of rows from the support vector
// machines' pair ukernel (ukernels/ml/svm.h: double sums in feature order) over coefficient rows
// packed once, and blocks of rows spread over the threads. A logistic regression on [1000, 20]
// spent 56 us reading each feature through a type switch (onnxruntime 21).
#include "kernels/cpu/ml_packed_vectors.h"
#include "kernels/reference/ml_linear.h"

namespace onnxrt::kernels::ml {

namespace {

class CpuLinear final : public Kernel {
 public:
  explicit CpuLinear(LinearModel m) : m_(std::move(m)) {
    if (m_.rows() <= 0 || m_.cols() <= 0) return;  // the width comes with X: the reference's pairs
    rows_ = PackedVectors(m_.coefs.data(), m_.rows(), m_.cols());
    dots_ = [this](const Features& f, int64_t r0, int64_t rows, int64_t, double* out) { rows_.pairs(f, r0, rows, false, out); };
  }

  Status run(KernelContext& ctx) const override { return run_linear(ctx, m_, rows_.empty() ? nullptr : &dots_, true); }

 private:
  LinearModel m_;
  PackedVectors rows_;  // the coefficient rows
  LinearDotsFn dots_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_linear_classifier(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(LinearModel m, parse_linear_classifier(init));
  return std::unique_ptr<Kernel>(std::make_unique<CpuLinear>(std::move(m)));
}

Expected<std::unique_ptr<Kernel>> make_cpu_linear_regressor(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(LinearModel m, parse_linear_regressor(init));
  return std::unique_ptr<Kernel>(std::make_unique<CpuLinear>(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
