// SVMClassifier and SVMRegressor on the CPU: the reference's model and per-row decision
// (reference/ml_svm.h), with the kernel values of each block of rows from the vector ukernel
// (ukernels/ml/svm.h) over support vectors packed once at creation, and blocks of rows spread
// over the threads. Models without support vectors (linear) are a dot product per row and class
// and stay on the reference's path.
#include "kernels/cpu/ml_packed_vectors.h"
#include "kernels/reference/ml_svm.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

namespace {

class CpuSvm final : public Kernel {
 public:
  explicit CpuSvm(SvmModel m) : m_(std::move(m)) {
    if (m_.svs.empty()) return;
    vectors_ = PackedVectors(m_.svs.data(), m_.n_vectors, m_.cols);
    rows_fn_ = [this](const Features& f, int64_t r0, int64_t rows, double* out) { kernel_rows(f, r0, rows, out); };
  }

  Status run(KernelContext& ctx) const override { return run_svm(ctx, m_, m_.svs.empty() ? nullptr : &rows_fn_, true); }

 private:
  void kernel_rows(const Features& f, int64_t r0, int64_t rows, double* out) const {
    static const ExpScaledF64Fn exp_scaled = exp_scaled_f64_ukernel();
    const SvmKernelSpec& k = m_.kernel;
    vectors_.pairs(f, r0, rows, k.kind == SvmKernel::kRbf, out);
    const int64_t n = rows * m_.n_vectors;
    if (k.kind == SvmKernel::kRbf) {
      exp_scaled(out, n, -k.gamma);
    } else if (k.kind != SvmKernel::kLinear) {
      for (int64_t i = 0; i < n; ++i) out[i] = k.finish(out[i]);
    }
  }

  SvmModel m_;
  PackedVectors vectors_;
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
