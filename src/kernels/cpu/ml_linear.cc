// LinearClassifier and LinearRegressor on the CPU: the reference's model and per-row scores
// (reference/ml_linear.h), with the dot products of each block of rows from the support vector
// machines' pair ukernel (ukernels/ml/svm.h: double sums in feature order) over coefficient rows
// packed once, and blocks of rows spread over the threads. A logistic regression on [1000, 20]
// spent 56 us reading each feature through a type switch (onnxruntime 21).
#include <vector>

#include "kernels/reference/ml_linear.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

namespace {

class CpuLinear final : public Kernel {
 public:
  explicit CpuLinear(LinearModel m) : m_(std::move(m)) {
    n_ = m_.rows();
    c_ = m_.cols();
    if (n_ <= 0 || c_ <= 0) return;  // the width comes with X: the reference's pairs
    panels_.resize(static_cast<size_t>(svm_panels_size(n_, c_)));
    svm_pack_vectors(m_.coefs.data(), n_, c_, panels_.data());
    dots_ = [this](const Features& f, int64_t r0, int64_t rows, int64_t, double* out) {
      static const SvmPairsFn pairs = svm_pairs_ukernel();
      std::vector<double> x(static_cast<size_t>(rows * c_));
      f.load_flat(r0 * c_, rows * c_, x.data());
      pairs(x.data(), rows, c_, panels_.data(), n_, false, out);
    };
  }

  Status run(KernelContext& ctx) const override { return run_linear(ctx, m_, panels_.empty() ? nullptr : &dots_, true); }

 private:
  LinearModel m_;
  int64_t n_ = -1, c_ = -1;
  std::vector<double> panels_;
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
