// SVMClassifier and SVMRegressor on the CPU: the reference's model and per-row decision
// (reference/ml_svm.h), with the kernel values of each block of rows from the vector ukernel
// (ukernels/ml/svm.h) over support vectors packed once at creation, and blocks of rows spread
// over the threads. Models without support vectors (linear) are a dot product per row and class
// and stay on the reference's path.
#include <vector>

#include "kernels/reference/ml_svm.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

namespace {

class CpuSvm final : public Kernel {
 public:
  explicit CpuSvm(SvmModel m) : m_(std::move(m)) {
    if (m_.svs.empty()) return;
    panels_.resize(static_cast<size_t>(svm_panels_size(m_.n_vectors, m_.cols)));
    svm_pack_vectors(m_.svs.data(), m_.n_vectors, m_.cols, panels_.data());
    rows_fn_ = [this](const Features& f, int64_t r0, int64_t rows, double* out) { kernel_rows(f, r0, rows, out); };
  }

  Status run(KernelContext& ctx) const override { return run_svm(ctx, m_, m_.svs.empty() ? nullptr : &rows_fn_, true); }

 private:
  void kernel_rows(const Features& f, int64_t r0, int64_t rows, double* out) const {
    static const SvmPairsFn pairs = svm_pairs_ukernel();
    static const ExpScaledF64Fn exp_scaled = exp_scaled_f64_ukernel();
    const int64_t c = m_.cols;
    std::vector<double> x(static_cast<size_t>(rows * c));
    f.load_flat(r0 * c, rows * c, x.data());
    const SvmKernelSpec& k = m_.kernel;
    pairs(x.data(), rows, c, panels_.data(), m_.n_vectors, k.kind == SvmKernel::kRbf, out);
    const int64_t n = rows * m_.n_vectors;
    if (k.kind == SvmKernel::kRbf) {
      exp_scaled(out, n, -k.gamma);
    } else if (k.kind != SvmKernel::kLinear) {
      for (int64_t i = 0; i < n; ++i) out[i] = k.finish(out[i]);
    }
  }

  SvmModel m_;
  std::vector<double> panels_;
  SvmKernelRowsFn rows_fn_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_svm_classifier(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(SvmModel m, parse_svm_classifier(init));
  return std::unique_ptr<Kernel>(std::make_unique<CpuSvm>(std::move(m)));
}

Expected<std::unique_ptr<Kernel>> make_cpu_svm_regressor(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(SvmModel m, parse_svm_regressor(init));
  return std::unique_ptr<Kernel>(std::make_unique<CpuSvm>(std::move(m)));
}

}  // namespace onnxrt::kernels::ml
