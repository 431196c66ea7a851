// Shared pieces of the ai.onnx.ml kernels: feature access for the four input types, the
// post-transforms (with onnxruntime's numerics), and the kernel factories that both the reference
// and the CPU tables name.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace onnxrt::kernels::ml {

enum class PostTransform { kNone, kSoftmax, kLogistic, kSoftmaxZero, kProbit };

// "NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT".
Expected<PostTransform> parse_post_transform(const KernelInit& init, const std::string& s);

inline double ml_logistic(double v) {
  // Symmetric form: exact for large |v| on both sides.
  const double e = 1.0 / (1.0 + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0 - e : e;
}

// The erf-inverse approximation (Winitzki, a = 0.147) that onnxruntime and the ONNX reference use
// for PROBIT, kept so that results agree with them rather than with an exact inverse.
inline double ml_erf_inv(double x) {
  const double sgn = x < 0 ? -1.0 : 1.0;
  x = (1.0 - x) * (1.0 + x);
  if (x == 0) return 0;
  const double lg = std::log(x);
  const double v = 2.0 / (3.14159265358979323846 * 0.147) + 0.5 * lg;
  const double v2 = 1.0 / 0.147 * lg;
  const double v3 = -v + std::sqrt(v * v - v2);
  return sgn * std::sqrt(v3);
}
inline double ml_probit(double v) { return 1.41421356 * ml_erf_inv(v * 2 - 1); }

// Applies the transform to one row of scores in place.
void post_transform_row(double* s, int64_t n, PostTransform pt);

// A 2-D view of a feature input X: rank 0/1 is one row, rank >= 2 is [dim0, rest].
struct Features {
  DType dtype = DType::kUndefined;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  double at(int64_t r, int64_t c) const { return at_flat(r * cols + c); }
  double at_flat(int64_t i) const {
    switch (dtype) {
      case DType::kFloat32: return static_cast<const float*>(data)[i];
      case DType::kFloat64: return static_cast<const double*>(data)[i];
      case DType::kInt64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
      case DType::kInt32: return static_cast<const int32_t*>(data)[i];
      default: return 0;
    }
  }
  // Elements [first, first + n) as doubles, the type switch outside the loop.
  void load_flat(int64_t first, int64_t n, double* out) const {
    switch (dtype) {
      case DType::kFloat32: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<const float*>(data)[first + i]; break;
      case DType::kFloat64: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<const double*>(data)[first + i]; break;
      default: for (int64_t i = 0; i < n; ++i) out[i] = at_flat(first + i); break;
    }
  }
};

// X as a Features view; an error names the node when X is missing or not float/double/int64/int32.
Expected<Features> features_of(KernelContext& ctx, size_t i);
Features features_of_tensor(const Tensor& t);

// Class labels of a classifier: strings when classlabels_strings is set, else int64s.
struct ClassLabels {
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  bool is_string() const { return !strings.empty(); }
  size_t size() const { return is_string() ? strings.size() : ints.size(); }
};
// Writes label index `k` of the classes (or `fallback_int`/"" when k < 0) into row r of Y.
void write_label(Tensor& y, int64_t r, const ClassLabels& labels, int64_t k, int64_t fallback_int = 0);

// Reads a float, double, float16 or integer tensor attribute as doubles.
std::vector<double> tensor_as_doubles(const Tensor& t);

// ---- factories (reference/ml_*.cc); the CPU table reuses all but the tree ensembles'.
Expected<std::unique_ptr<Kernel>> make_array_feature_extractor(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_binarizer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_category_mapper(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_feature_vectorizer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_imputer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_label_encoder(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_normalizer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_one_hot_encoder(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_scaler(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_linear_classifier(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_linear_regressor(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_svm_classifier(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_svm_regressor(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_reference_tree_ensemble(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_zipmap(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cast_map(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_dict_vectorizer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_squared_distances_reference(const KernelInit& init);  // com.onnxrt
// SquaredDistances' inputs X [N, K] and V [M, K] (both backends check them the same way).
Status squared_distances_inputs(KernelContext& ctx, const Tensor*& x, const Tensor*& v);

}  // namespace onnxrt::kernels::ml
