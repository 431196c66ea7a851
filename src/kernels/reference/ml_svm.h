// SVMClassifier and SVMRegressor parsed into one form that both backends use. A model's work is
// in two parts: the kernel values K(x, v) of each row against every support vector, which is
// nearly all of the time, and the per-row decision (one-vs-one votes, Platt scaling and pairwise
// coupling, post-transform, labels). The decision lives here once; the reference kernel computes
// K one pair at a time, the CPU kernel (cpu/ml_svm.cc) blocks of rows with a vector ukernel.
// Both work in double, as libsvm and onnxruntime's reference results do.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

enum class SvmKernel { kLinear, kPoly, kRbf, kSigmoid };

struct SvmKernelSpec {
  SvmKernel kind = SvmKernel::kLinear;
  double gamma = 0, coef0 = 0, degree = 0;
  // K from the dot product of x and v (linear, poly, sigmoid) or their squared distance (rbf).
  double finish(double dot_or_sqdist) const;
};

struct SvmModel {
  SvmKernelSpec kernel;
  bool classifier = false;
  // Support vectors, n_vectors rows of `cols` features; empty for a linear model, whose
  // coefficient rows are the vectors and whose feature count comes with X.
  std::vector<float> svs;
  int64_t n_vectors = 0;
  int64_t cols = 0;  // 0 when the model has no support vectors
  std::vector<float> coefs, rho;
  PostTransform post = PostTransform::kNone;
  // classifier
  bool proba = false;
  std::vector<int64_t> vpc, starts;  // vectors per class, first vector of each class
  std::vector<float> prob_a, prob_b;
  ClassLabels labels;
  // regressor
  bool one_class = false;
};

Expected<SvmModel> parse_svm_classifier(const KernelInit& init);
Expected<SvmModel> parse_svm_regressor(const KernelInit& init);

// out[i * n_vectors + v] = K(row r0 + i of X, support vector v) for i < rows.
using SvmKernelRowsFn = std::function<void(const Features& x, int64_t r0, int64_t rows, double* out)>;

// The naive kernel values: one pair at a time, features in order.
void svm_kernel_rows_naive(const SvmModel& m, const Features& x, int64_t r0, int64_t rows, double* out);

// Runs a model over X: kernel values by `rows_fn` (the naive ones when null) in blocks of rows,
// spread over the context's threads when `threaded`, then each row's decision and outputs.
Status run_svm(KernelContext& ctx, const SvmModel& m, const SvmKernelRowsFn* rows_fn, bool threaded);

}  // namespace onnxrt::kernels::ml
