#include "kernels/cpu/ml_packed_vectors.h"

#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

PackedVectors::PackedVectors(const float* vectors, int64_t count, int64_t cols) : count_(count), cols_(cols) {
  panels_.resize(static_cast<size_t>(svm_panels_size(count, cols)));
  svm_pack_vectors(vectors, count, cols, panels_.data());
}

void PackedVectors::pairs(const Features& x, int64_t r0, int64_t rows, bool sqdist, double* out) const {
  static const SvmPairsFn fn = svm_pairs_ukernel();
  std::vector<double> xd(static_cast<size_t>(rows * cols_));
  x.load_flat(r0 * cols_, rows * cols_, xd.data());
  fn(xd.data(), rows, cols_, panels_.data(), count_, sqdist, out);
}

}  // namespace onnxrt::kernels::ml
