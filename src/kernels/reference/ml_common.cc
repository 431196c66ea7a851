#include "kernels/reference/ml_common.h"

#include <algorithm>

#include "base/half.h"

namespace onnxrt::kernels::ml {

Expected<PostTransform> parse_post_transform(const KernelInit& init, const std::string& s) {
  if (s == "NONE" || s.empty()) return PostTransform::kNone;
  if (s == "SOFTMAX") return PostTransform::kSoftmax;
  if (s == "LOGISTIC") return PostTransform::kLogistic;
  if (s == "SOFTMAX_ZERO") return PostTransform::kSoftmaxZero;
  if (s == "PROBIT") return PostTransform::kProbit;
  return init.error("post_transform must be NONE, SOFTMAX, LOGISTIC, SOFTMAX_ZERO or PROBIT, got '" + s + "'");
}

void post_transform_row(double* s, int64_t n, PostTransform pt) {
  if (n <= 0) return;
  switch (pt) {
    case PostTransform::kNone: return;
    case PostTransform::kLogistic:
      for (int64_t k = 0; k < n; ++k) s[k] = ml_logistic(s[k]);
      return;
    case PostTransform::kProbit:
      for (int64_t k = 0; k < n; ++k) s[k] = ml_probit(s[k]);
      return;
    case PostTransform::kSoftmax: {
      const double mx = *std::max_element(s, s + n);
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += (s[k] = std::exp(s[k] - mx));
      for (int64_t k = 0; k < n; ++k) s[k] /= sum;
      return;
    }
    case PostTransform::kSoftmaxZero: {
      // Scores that are exactly (near) zero stay zero: a class no tree voted for keeps no mass.
      const double mx = *std::max_element(s, s + n);
      const double exp_neg_max = std::exp(-mx);
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        s[k] = (s[k] > 1e-7 || s[k] < -1e-7) ? std::exp(s[k] - mx) : s[k] * exp_neg_max;
        sum += s[k];
      }
      for (int64_t k = 0; k < n; ++k) s[k] = sum == 0 ? 0.5 : s[k] / sum;
      return;
    }
  }
}

Features features_of_tensor(const Tensor& t) {
  Features f;
  f.dtype = t.dtype();
  f.data = t.raw();
  if (t.rank() <= 1) {
    f.rows = 1;
    f.cols = t.size();
  } else {
    f.rows = t.dim(0);
    f.cols = f.rows == 0 ? 0 : t.size() / f.rows;
    if (f.rows == 0) {
      f.cols = 1;
      for (int64_t d = 1; d < t.rank(); ++d) f.cols *= t.dim(d);
    }
  }
  return f;
}

Expected<Features> features_of(KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  if (!t) return ctx.error("input " + std::to_string(i) + " (X) is required");
  const DType d = t->dtype();
  if (d != DType::kFloat32 && d != DType::kFloat64 && d != DType::kInt64 && d != DType::kInt32)
    return ctx.error("input " + std::to_string(i) + " must be float, double, int64 or int32, got " +
                     std::string(dtype_name(d)));
  return features_of_tensor(*t);
}

void write_label(Tensor& y, int64_t r, const ClassLabels& labels, int64_t k, int64_t fallback_int) {
  if (y.dtype() == DType::kString) {
    y.data<std::string>()[r] = (k >= 0 && static_cast<size_t>(k) < labels.strings.size()) ? labels.strings[static_cast<size_t>(k)] : std::string();
  } else {
    y.data<int64_t>()[r] = (k >= 0 && static_cast<size_t>(k) < labels.ints.size()) ? labels.ints[static_cast<size_t>(k)] : fallback_int;
  }
}

std::vector<double> tensor_as_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.size()));
  for (int64_t i = 0; i < t.size(); ++i) {
    double v = 0;
    switch (t.dtype()) {
      case DType::kFloat32: v = t.data<float>()[i]; break;
      case DType::kFloat64: v = t.data<double>()[i]; break;
      case DType::kFloat16: v = half_to_float(t.data<uint16_t>()[i]); break;
      case DType::kBFloat16: v = bfloat16_to_float(t.data<uint16_t>()[i]); break;
      case DType::kInt64: v = static_cast<double>(t.data<int64_t>()[i]); break;
      case DType::kInt32: v = t.data<int32_t>()[i]; break;
      case DType::kInt16: v = t.data<int16_t>()[i]; break;
      case DType::kInt8: v = t.data<int8_t>()[i]; break;
      case DType::kUInt8: v = t.data<uint8_t>()[i]; break;
      default: break;
    }
    out[static_cast<size_t>(i)] = v;
  }
  return out;
}

}  // namespace onnxrt::kernels::ml
