// Constant rows (support vectors, a linear model's coefficient rows, a nearest-neighbours training
// set) packed once for the pair ukernel (ukernels/ml/svm.h), and the pairs of a block of X's rows
// against them: what the CPU kernels of SVMs, linear models and SquaredDistances share.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

class PackedVectors {
 public:
  PackedVectors() = default;
  PackedVectors(const float* vectors, int64_t count, int64_t cols);
  bool empty() const { return count_ <= 0; }
  int64_t count() const { return count_; }
  int64_t cols() const { return cols_; }
  // out[i * count() + v] = the squared distance (sqdist) or dot product of row r0 + i of X (cols()
  // wide) and vector v, for i < rows; in double, features in order.
  void pairs(const Features& x, int64_t r0, int64_t rows, bool sqdist, double* out) const;

 private:
  int64_t count_ = 0, cols_ = 0;
  std::vector<double> panels_;
};

}  // namespace onnxrt::kernels::ml
