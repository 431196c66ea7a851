// Support vector machines' kernel values (kernels/cpu/ml_svm.cc), in double as the reference
// computes them: for a block of rows of X against every support vector, the squared distance
// (rbf) or the dot product (linear, poly, sigmoid), each pair summed in feature order. The
// support vectors are packed once into panels of 4 (feature-major, the last panel zero-padded)
// so that the AVX2 version keeps 4 rows x 8 vectors of sums in registers.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ml {

constexpr int64_t kSvmPanel = 4;

// panels[(v / 4) * cols * 4 + k * 4 + v % 4] = vectors[v * cols + k]; size svm_panels_size().
int64_t svm_panels_size(int64_t n_vectors, int64_t cols);
void svm_pack_vectors(const float* vectors, int64_t n_vectors, int64_t cols, double* panels);

// out[i * n_vectors + v] = sum_k (x[i*cols+k] - vector_v[k])^2 when `sqdist`, else
// sum_k x[i*cols+k] * vector_v[k], for i < rows.
using SvmPairsFn = void (*)(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors,
                            bool sqdist, double* out);
void svm_pairs_scalar(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors,
                      bool sqdist, double* out);
void svm_pairs_avx2(const double* x, int64_t rows, int64_t cols, const double* panels, int64_t n_vectors,
                    bool sqdist, double* out);

// v[i] = exp(scale * v[i]) (the rbf kernel, scale = -gamma), within an ulp or so of std::exp.
using ExpScaledF64Fn = void (*)(double* v, int64_t n, double scale);
void exp_scaled_f64_scalar(double* v, int64_t n, double scale);
void exp_scaled_f64_avx2(double* v, int64_t n, double scale);

// The variants for this CPU (cpu_features honours ONNXRT_ISA).
SvmPairsFn svm_pairs_ukernel();
ExpScaledF64Fn exp_scaled_f64_ukernel();

}  // namespace onnxrt::kernels::ml
