// com.onnxrt SquaredDistances on the CPU (contract in ir/infer_fused.h): the support vector
// machines' pair ukernel (ukernels/ml/svm.h) with V as its vectors, packed once when V is a
// constant (the training set of a nearest-neighbours model), else per run; blocks of X's rows
// are spread over the threads.
#include <algorithm>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/ml_packed_vectors.h"
#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

namespace {

class CpuSquaredDistances final : public Kernel {
 public:
  explicit CpuSquaredDistances(const Tensor* constant_v) {
    if (constant_v && constant_v->rank() == 2)
      packed_ = PackedVectors(constant_v->data<float>(), constant_v->dim(0), constant_v->dim(1));
  }

  Status run(KernelContext& ctx) const override {
    const Tensor *x = nullptr, *v = nullptr;
    ONNXRT_RETURN_IF_ERROR(squared_distances_inputs(ctx, x, v));
    const int64_t n = x->dim(0), m = v->dim(0), k = x->dim(1);
    PackedVectors fed;
    const PackedVectors* vectors = &packed_;
    if (packed_.empty() || packed_.count() != m || packed_.cols() != k) {
      fed = PackedVectors(v->data<float>(), m, k);
      vectors = &fed;
    }
    const Features xf = features_of_tensor(*x);
    float* y = ctx.output(0)->data<float>();
    // Rows of X in blocks whose double sums stay in L2.
    const int64_t block = std::clamp<int64_t>((1 << 15) / std::max<int64_t>(m, 1), 4, 64);
    ctx.threads().parallel_for((n + block - 1) / block, 3.0 * static_cast<double>(m * k * block), [&](int64_t b0, int64_t b1) {
      std::vector<double> sums(static_cast<size_t>(block * m));
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r0 = b * block, rows = std::min(block, n - r0);
        vectors->pairs(xf, r0, rows, true, sums.data());
        for (int64_t i = 0; i < rows * m; ++i) y[r0 * m + i] = static_cast<float>(sums[static_cast<size_t>(i)]);
      }
    });
    return Status::ok();
  }

 private:
  PackedVectors packed_;  // V when it is a constant
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_squared_distances(const KernelInit& init) {
  const Tensor* v = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  return std::unique_ptr<Kernel>(std::make_unique<CpuSquaredDistances>(v));
}

}  // namespace onnxrt::kernels::ml
