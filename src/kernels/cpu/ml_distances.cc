// com.onnxrt SquaredDistances on the CPU (contract in ir/infer_fused.h): the support vector
// machines' pair ukernel (ukernels/ml/svm.h) with V as its vectors, packed once when V is a
// constant (the training set of a nearest-neighbours model), else per run; blocks of X's rows
// are spread over the threads.
#include <algorithm>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/reference/ml_common.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

namespace {

void pack(const Tensor& v, std::vector<double>& panels) {
  panels.resize(static_cast<size_t>(svm_panels_size(v.dim(0), v.dim(1))));
  svm_pack_vectors(v.data<float>(), v.dim(0), v.dim(1), panels.data());
}

class CpuSquaredDistances final : public Kernel {
 public:
  explicit CpuSquaredDistances(const Tensor* constant_v) {
    if (constant_v && constant_v->rank() == 2) {
      rows_ = constant_v->dim(0);
      cols_ = constant_v->dim(1);
      pack(*constant_v, panels_);
    }
  }

  Status run(KernelContext& ctx) const override {
    const Tensor *x = nullptr, *v = nullptr;
    ONNXRT_RETURN_IF_ERROR(squared_distances_inputs(ctx, x, v));
    const int64_t n = x->dim(0), m = v->dim(0), k = x->dim(1);
    std::vector<double> packed;
    const double* panels = panels_.data();
    if (rows_ != m || cols_ != k || panels_.empty()) {
      pack(*v, packed);
      panels = packed.data();
    }
    static const SvmPairsFn pairs = svm_pairs_ukernel();
    float* y = ctx.output(0)->data<float>();
    const float* xf = x->data<float>();
    // Rows of X in blocks whose double sums stay in L2.
    const int64_t block = std::clamp<int64_t>((1 << 15) / std::max<int64_t>(m, 1), 4, 64);
    ctx.threads().parallel_for((n + block - 1) / block, 3.0 * static_cast<double>(m * k * block), [&](int64_t b0, int64_t b1) {
      std::vector<double> xd(static_cast<size_t>(block * k)), sums(static_cast<size_t>(block * m));
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r0 = b * block, rows = std::min(block, n - r0);
        for (int64_t i = 0; i < rows * k; ++i) xd[static_cast<size_t>(i)] = xf[r0 * k + i];
        pairs(xd.data(), rows, k, panels, m, true, sums.data());
        for (int64_t i = 0; i < rows * m; ++i) y[r0 * m + i] = static_cast<float>(sums[static_cast<size_t>(i)]);
      }
    });
    return Status::ok();
  }

 private:
  int64_t rows_ = -1, cols_ = -1;
  std::vector<double> panels_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_squared_distances(const KernelInit& init) {
  const Tensor* v = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  return std::unique_ptr<Kernel>(std::make_unique<CpuSquaredDistances>(v));
}

}  // namespace onnxrt::kernels::ml
