// LinearClassifier and LinearRegressor parsed into one form that both backends use: the dot
// products of each row with the coefficient rows (the reference one pair at a time, the CPU kernel
// in blocks with the support vector machines' pair ukernel, cpu/ml_linear.cc), then the per-row
// scores, labels and post-transform, which live here once. Scores are in double, written as float.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

struct LinearModel {
  bool classifier = false;
  std::vector<float> coefs, intercepts;
  int64_t targets = 1;  // regressor
  ClassLabels labels;   // classifier
  PostTransform post = PostTransform::kNone;
  // Coefficient rows and their width when the attributes fix them (a classifier with intercepts,
  // every regressor); -1 when X's width decides.
  int64_t rows() const;
  int64_t cols() const;
};

Expected<LinearModel> parse_linear_classifier(const KernelInit& init);
Expected<LinearModel> parse_linear_regressor(const KernelInit& init);

// out[i * n + j] = sum_k X[r0 + i, k] * coefs[j * cols + k] for i < rows, j < n (no intercept).
using LinearDotsFn = std::function<void(const Features& x, int64_t r0, int64_t rows, int64_t n, double* out)>;

// Runs a model over X: dot products by `dots` (one pair at a time when null) in blocks of rows,
// spread over the context's threads when `threaded`, then each row's scores and outputs.
Status run_linear(KernelContext& ctx, const LinearModel& m, const LinearDotsFn* dots, bool threaded);

}  // namespace onnxrt::kernels::ml
