// Scalar support vector kernel values (svm.h), and the panel packing both versions read.
#include <cmath>

#include "base/cpu_features.h"
#include "kernels/ukernels/ml/svm.h"

namespace onnxrt::kernels::ml {

int64_t svm_panels_size(int64_t n_vectors, int64_t cols) {
  return (n_vectors + kSvmPanel - 1) / kSvmPanel * kSvmPanel * cols;
}

void svm_pack_vectors(const float* vectors, int64_t n_vectors, int64_t cols, double* panels) {
  const int64_t padded = (n_vectors + kSvmPanel - 1) / kSvmPanel * kSvmPanel;
  for (int64_t v = 0; v < padded; ++v)
    for (int64_t k = 0; k < cols; ++k)
      panels[(v / kSvmPanel) * cols * kSvmPanel + k * kSvmPanel + v % kSvmPanel] =
          v < n_vectors ? static_cast<double>(vectors[v * cols + k]) : 0.0;
}

void svm_pairs_scalar(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors,
                      bool sqdist, double* out) {
  if (cols == 0) {  // no features: every sum is empty (and the panels may be a null pointer)
    for (int64_t i = 0; i < rows * n_vectors; ++i) out[i] = 0.0;
    return;
  }
  for (int64_t i = 0; i < rows; ++i) {
    const double* xr = x + i * cols;
    for (int64_t v = 0; v < n_vectors; ++v) {
      const double* p = panels + (v / kSvmPanel) * cols * kSvmPanel + v % kSvmPanel;
      double acc = 0;
      for (int64_t k = 0; k < cols; ++k) {
        const double t = sqdist ? xr[k] - p[k * kSvmPanel] : xr[k];
        acc += t * (sqdist ? t : p[k * kSvmPanel]);
      }
      out[i * n_vectors + v] = acc;
    }
  }
}

void exp_scaled_f64_scalar(double* v, int64_t n, double scale) {
  for (int64_t i = 0; i < n; ++i) v[i] = std::exp(scale * v[i]);
}

SvmPairsFn svm_pairs_ukernel() { return cpu_features().has_avx2_fma() ? &svm_pairs_avx2 : &svm_pairs_scalar; }

ExpScaledF64Fn exp_scaled_f64_ukernel() {
  return cpu_features().has_avx2_fma() ? &exp_scaled_f64_avx2 : &exp_scaled_f64_scalar;
}

}  // namespace onnxrt::kernels::ml
