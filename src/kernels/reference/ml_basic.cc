// The element-wise and mapping ops of ai.onnx.ml: ArrayFeatureExtractor, Binarizer,
// CategoryMapper, FeatureVectorizer, Imputer, LabelEncoder, Normalizer, OneHotEncoder, Scaler.
// These are memory-bound and simple, so the CPU table uses them as they are.
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "ir/attribute.h"
#include "kernels/reference/ml_common.h"

namespace onnxrt::kernels::ml {

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

template <typename K>
KernelPtr boxed(K* k) {
  return std::unique_ptr<Kernel>(k);
}

// Copies element `from` of `src` to element `to` of `dst` (same dtype, strings included).
void copy_element(const Tensor& src, int64_t from, Tensor& dst, int64_t to) {
  if (src.dtype() == DType::kString) {
    dst.data<std::string>()[to] = src.data<std::string>()[from];
    return;
  }
  const size_t es = static_cast<size_t>(dtype_bits(src.dtype()) / 8);
  std::memcpy(static_cast<char*>(dst.raw()) + static_cast<size_t>(to) * es,
              static_cast<const char*>(src.raw()) + static_cast<size_t>(from) * es, es);
}

// ---- ArrayFeatureExtractor
Status run_array_feature_extractor(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  const Tensor* idx = ctx.input(1);
  Tensor* z = ctx.output(0);
  if (!x || !idx) return ctx.error("inputs X and Y are required");
  if (x->rank() == 0) return ctx.error("X must have rank >= 1");
  const int64_t last = x->dim(x->rank() - 1);
  const int64_t outer = last == 0 ? 0 : x->size() / last;
  const int64_t k = idx->size();
  const int64_t* ind = idx->data<int64_t>();
  for (int64_t j = 0; j < k; ++j)
    if (ind[j] < 0 || ind[j] >= last)
      return ctx.error("index " + std::to_string(ind[j]) + " in Y is out of range for the last dim " + std::to_string(last));
  for (int64_t r = 0; r < outer; ++r)
    for (int64_t j = 0; j < k; ++j) copy_element(*x, r * last + ind[j], *z, r * k + j);
  return Status::ok();
}

// ---- Binarizer
class Binarizer final : public Kernel {
 public:
  explicit Binarizer(double th) : th_(th) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    switch (x->dtype()) {
      case DType::kFloat32: return apply<float>(*x, *y);
      case DType::kFloat64: return apply<double>(*x, *y);
      case DType::kInt64: return apply<int64_t>(*x, *y);
      case DType::kInt32: return apply<int32_t>(*x, *y);
      default: return ctx.error("unsupported element type " + std::string(dtype_name(x->dtype())));
    }
  }

 private:
  template <typename T>
  Status apply(const Tensor& x, Tensor& y) const {
    for (int64_t i = 0; i < x.size(); ++i) {
      const T v = x.data<T>()[i];
      // NaN stays NaN (onnxruntime); comparisons with it are false anyway.
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(v)) {
          y.data<T>()[i] = v;
          continue;
        }
      }
      y.data<T>()[i] = static_cast<double>(v) > th_ ? T(1) : T(0);
    }
    return Status::ok();
  }
  double th_;
};

// ---- CategoryMapper
class CategoryMapper final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (x->dtype() == DType::kString) {
      for (int64_t i = 0; i < x->size(); ++i) {
        auto it = s2i_.find(x->data<std::string>()[i]);
        y->data<int64_t>()[i] = it == s2i_.end() ? default_int_ : it->second;
      }
    } else {
      for (int64_t i = 0; i < x->size(); ++i) {
        auto it = i2s_.find(x->data<int64_t>()[i]);
        y->data<std::string>()[i] = it == i2s_.end() ? default_str_ : it->second;
      }
    }
    return Status::ok();
  }
  std::unordered_map<std::string, int64_t> s2i_;
  std::unordered_map<int64_t, std::string> i2s_;
  int64_t default_int_ = -1;
  std::string default_str_;
};

// ---- FeatureVectorizer
class FeatureVectorizer final : public Kernel {
 public:
  explicit FeatureVectorizer(std::vector<int64_t> dims) : dims_(std::move(dims)) {}
  Status run(KernelContext& ctx) const override {
    Tensor* y = ctx.output(0);
    const int64_t n = y->dim(0);
    const int64_t total = y->dim(1);
    int64_t offset = 0;
    for (size_t i = 0; i < dims_.size(); ++i) {
      ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, i));
      if (f.rows != n && !(f.rows == 1 && n == 1))
        return ctx.error("input " + std::to_string(i) + " has " + std::to_string(f.rows) + " rows, input 0 has " + std::to_string(n));
      const int64_t d = dims_[i];
      if (d < 0 || d > total - offset)  // Y was sized from the same attribute; checked all the same
        return ctx.error("inputdimensions[" + std::to_string(i) + "] = " + std::to_string(d) +
                         " does not fit output Y's " + std::to_string(total) + " columns");
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < d; ++c)
          y->data<float>()[r * total + offset + c] = c < f.cols ? static_cast<float>(f.at(r, c)) : 0.0f;
      offset += d;
    }
    return Status::ok();
  }

 private:
  std::vector<int64_t> dims_;
};

// ---- Imputer
class Imputer final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const int64_t last = x->rank() == 0 ? 1 : x->dim(x->rank() - 1);
    const bool is_float = x->dtype() == DType::kFloat32 || x->dtype() == DType::kFloat64;
    const size_t nimp = is_float ? floats_.size() : ints_.size();
    if (nimp != 1 && static_cast<int64_t>(nimp) != last)
      return ctx.error("imputed values have " + std::to_string(nimp) + " entries for " + std::to_string(last) + " features");
    switch (x->dtype()) {
      case DType::kFloat32: apply_float<float>(*x, *y, last); break;
      case DType::kFloat64: apply_float<double>(*x, *y, last); break;
      case DType::kInt64: apply_int<int64_t>(*x, *y, last); break;
      case DType::kInt32: apply_int<int32_t>(*x, *y, last); break;
      default: return ctx.error("unsupported element type " + std::string(dtype_name(x->dtype())));
    }
    return Status::ok();
  }
  std::vector<float> floats_;
  std::vector<int64_t> ints_;
  float replaced_float_ = 0;
  int64_t replaced_int_ = 0;

 private:
  template <typename T>
  void apply_float(const Tensor& x, Tensor& y, int64_t last) const {
    const bool nan = std::isnan(replaced_float_);
    for (int64_t i = 0; i < x.size(); ++i) {
      const T v = x.data<T>()[i];
      const bool hit = nan ? std::isnan(v) : v == static_cast<T>(replaced_float_);
      y.data<T>()[i] = hit ? static_cast<T>(floats_[floats_.size() == 1 ? 0 : static_cast<size_t>(i % last)]) : v;
    }
  }
  template <typename T>
  void apply_int(const Tensor& x, Tensor& y, int64_t last) const {
    for (int64_t i = 0; i < x.size(); ++i) {
      const T v = x.data<T>()[i];
      y.data<T>()[i] = static_cast<int64_t>(v) == replaced_int_
                           ? static_cast<T>(ints_[ints_.size() == 1 ? 0 : static_cast<size_t>(i % last)])
                           : v;
    }
  }
};

// ---- LabelEncoder: keys of one kind (string, integer or floating), values and a default of the
// output type, kept as tensors so that every element type is copied the same way.
class LabelEncoder final : public Kernel {
 public:
  enum class KeyKind { kString, kInt, kFloat };
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const DType d = x->dtype();
    const bool ok = (kind_ == KeyKind::kString && d == DType::kString) ||
                    (kind_ == KeyKind::kInt && (d == DType::kInt64 || d == DType::kInt32 || d == DType::kInt16)) ||
                    (kind_ == KeyKind::kFloat && (d == DType::kFloat32 || d == DType::kFloat64));
    if (!ok) return ctx.error("input type " + std::string(dtype_name(d)) + " does not match the keys");
    for (int64_t i = 0; i < x->size(); ++i) {
      int64_t k = -1;
      if (kind_ == KeyKind::kString) {
        auto it = skeys_.find(x->data<std::string>()[i]);
        if (it != skeys_.end()) k = it->second;
      } else if (kind_ == KeyKind::kInt) {
        const int64_t v = d == DType::kInt64 ? x->data<int64_t>()[i]
                          : d == DType::kInt32 ? x->data<int32_t>()[i] : x->data<int16_t>()[i];
        auto it = ikeys_.find(v);
        if (it != ikeys_.end()) k = it->second;
      } else {
        const double v = d == DType::kFloat32 ? x->data<float>()[i] : x->data<double>()[i];
        if (std::isnan(v)) {
          k = nan_index_;
        } else {
          // Keys are compared at the input's precision: a float key 0.1f matches float input 0.1f.
          auto it = fkeys_.find(d == DType::kFloat32 ? static_cast<double>(static_cast<float>(v)) : v);
          if (it != fkeys_.end()) k = it->second;
        }
      }
      if (k >= 0) copy_element(values_, k, *y, i);
      else copy_element(default_, 0, *y, i);
    }
    return Status::ok();
  }
  KeyKind kind_ = KeyKind::kString;
  std::unordered_map<std::string, int64_t> skeys_;
  std::unordered_map<int64_t, int64_t> ikeys_;
  std::map<double, int64_t> fkeys_;
  int64_t nan_index_ = -1;
  Tensor values_;
  Tensor default_;
};

Tensor tensor_1d_strings(const std::vector<std::string>& v) {
  Tensor t = Tensor::allocate(DType::kString, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<std::string>()[i] = v[i];
  return t;
}
template <typename T>
Tensor tensor_1d(DType d, const std::vector<T>& v) {
  Tensor t = Tensor::allocate(d, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = v[i];
  return t;
}

// A scalar of dtype `d` holding -1 (integers), -0.0 (floats) or "_Unused" (strings), the
// spec's defaults, overridden by the typed default_* attribute when the node has it.
Tensor default_scalar(DType d, ir::AttrReader& a) {
  Tensor t = Tensor::allocate(d, {1});
  switch (d) {
    case DType::kString: t.data<std::string>()[0] = a.s("default_string", "_Unused"); break;
    case DType::kInt64: t.data<int64_t>()[0] = a.i("default_int64", -1); break;
    case DType::kInt32: t.data<int32_t>()[0] = -1; break;
    case DType::kInt16: t.data<int16_t>()[0] = -1; break;
    case DType::kFloat32: t.data<float>()[0] = a.f("default_float", -0.0f); break;
    case DType::kFloat64: t.data<double>()[0] = -0.0; break;
    default: break;
  }
  return t;
}

KernelPtr build_label_encoder(const KernelInit& init) {
  auto k = std::make_unique<LabelEncoder>();
  ir::AttrReader a(init.node);
  const DType in = init.input_types.empty() || !init.input_types[0] ? DType::kUndefined : init.input_types[0]->dtype;
  if (init.node.opset < 2) {
    const auto classes = a.strings("classes_strings");
    ONNXRT_RETURN_IF_ERROR(a.status());
    if (in == DType::kString) {
      k->kind_ = LabelEncoder::KeyKind::kString;
      for (size_t i = 0; i < classes.size(); ++i) k->skeys_.emplace(classes[i], static_cast<int64_t>(i));
      std::vector<int64_t> vals(classes.size());
      for (size_t i = 0; i < vals.size(); ++i) vals[i] = static_cast<int64_t>(i);
      k->values_ = tensor_1d(DType::kInt64, vals);
      k->default_ = default_scalar(DType::kInt64, a);
    } else {
      k->kind_ = LabelEncoder::KeyKind::kInt;
      for (size_t i = 0; i < classes.size(); ++i) k->ikeys_.emplace(static_cast<int64_t>(i), static_cast<int64_t>(i));
      k->values_ = tensor_1d_strings(classes);
      k->default_ = default_scalar(DType::kString, a);
    }
    ONNXRT_RETURN_IF_ERROR(a.status());
    return std::unique_ptr<Kernel>(std::move(k));
  }
  // Keys.
  Tensor keys;
  if (Tensor t = a.tensor("keys_tensor"); t.defined()) keys = t;
  else if (a.has("keys_strings")) keys = tensor_1d_strings(a.strings("keys_strings"));
  else if (a.has("keys_int64s")) keys = tensor_1d(DType::kInt64, a.ints("keys_int64s"));
  else if (a.has("keys_floats")) keys = tensor_1d(DType::kFloat32, a.floats("keys_floats"));
  Tensor values;
  if (Tensor t = a.tensor("values_tensor"); t.defined()) values = t;
  else if (a.has("values_strings")) values = tensor_1d_strings(a.strings("values_strings"));
  else if (a.has("values_int64s")) values = tensor_1d(DType::kInt64, a.ints("values_int64s"));
  else if (a.has("values_floats")) values = tensor_1d(DType::kFloat32, a.floats("values_floats"));
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!keys.defined() || !values.defined()) return init.error("keys_* and values_* attributes are required");
  if (keys.size() != values.size())
    return init.error("keys have " + std::to_string(keys.size()) + " entries, values " + std::to_string(values.size()));
  const DType kd = keys.dtype();
  for (int64_t i = 0; i < keys.size(); ++i) {
    switch (kd) {
      case DType::kString:
        k->kind_ = LabelEncoder::KeyKind::kString;
        k->skeys_.emplace(keys.data<std::string>()[i], i);
        break;
      case DType::kInt64: case DType::kInt32: case DType::kInt16:
        k->kind_ = LabelEncoder::KeyKind::kInt;
        k->ikeys_.emplace(kd == DType::kInt64 ? keys.data<int64_t>()[i]
                          : kd == DType::kInt32 ? keys.data<int32_t>()[i] : keys.data<int16_t>()[i], i);
        break;
      case DType::kFloat32: case DType::kFloat64: {
        k->kind_ = LabelEncoder::KeyKind::kFloat;
        const double v = kd == DType::kFloat32 ? keys.data<float>()[i] : keys.data<double>()[i];
        if (std::isnan(v)) {
          if (k->nan_index_ < 0) k->nan_index_ = i;
        } else {
          k->fkeys_.emplace(v, i);
        }
        break;
      }
      default: return init.error("keys of type " + std::string(dtype_name(kd)) + " are not supported");
    }
  }
  if (keys.size() == 0) {
    k->kind_ = in == DType::kString ? LabelEncoder::KeyKind::kString
               : (in == DType::kFloat32 || in == DType::kFloat64) ? LabelEncoder::KeyKind::kFloat : LabelEncoder::KeyKind::kInt;
  }
  k->values_ = values;
  if (Tensor t = a.tensor("default_tensor"); t.defined()) {
    if (t.dtype() != values.dtype() || t.size() < 1) return init.error("default_tensor must hold one value of the values' type");
    k->default_ = t;
  } else {
    k->default_ = default_scalar(values.dtype(), a);
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(std::move(k));
}

// ---- Normalizer
class Normalizer final : public Kernel {
 public:
  explicit Normalizer(int norm) : norm_(norm) {}
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    float* y = ctx.output(0)->data<float>();
    std::vector<double> row(static_cast<size_t>(f.cols));
    for (int64_t r = 0; r < f.rows; ++r) {
      double norm = 0;
      for (int64_t c = 0; c < f.cols; ++c) {
        const double v = row[static_cast<size_t>(c)] = f.at(r, c);
        if (norm_ == 0) norm = c == 0 ? v : std::max(norm, v);
        else if (norm_ == 1) norm += std::fabs(v);
        else norm += v * v;
      }
      if (norm_ == 2) norm = std::sqrt(norm);
      // A zero norm leaves the row as it is, as scikit-learn does.
      for (int64_t c = 0; c < f.cols; ++c)
        y[r * f.cols + c] = static_cast<float>(norm == 0 ? row[static_cast<size_t>(c)] : row[static_cast<size_t>(c)] / norm);
    }
    return Status::ok();
  }

 private:
  int norm_;  // 0 MAX, 1 L1, 2 L2
};

// ---- OneHotEncoder
class OneHotEncoder final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const int64_t n = y->size() == 0 ? 0 : y->dim(y->rank() - 1);
    float* out = y->data<float>();
    std::fill(out, out + y->size(), 0.0f);
    const Features f = features_of_tensor(*x);
    for (int64_t i = 0; i < x->size(); ++i) {
      int64_t k = -1;
      if (x->dtype() == DType::kString) {
        auto it = s_.find(x->data<std::string>()[i]);
        if (it != s_.end()) k = it->second;
      } else {
        auto it = i_.find(static_cast<int64_t>(f.at_flat(i)));
        if (it != i_.end()) k = it->second;
      }
      if (k < 0) {
        if (!zeros_) return ctx.error("input value at index " + std::to_string(i) + " is not a known category (zeros=0)");
        continue;
      }
      out[i * n + k] = 1.0f;
    }
    return Status::ok();
  }
  std::unordered_map<std::string, int64_t> s_;
  std::unordered_map<int64_t, int64_t> i_;
  bool zeros_ = true;
};

// ---- Scaler
class Scaler final : public Kernel {
 public:
  Scaler(std::vector<float> scale, std::vector<float> offset) : scale_(std::move(scale)), offset_(std::move(offset)) {}
  Status run(KernelContext& ctx) const override {
    ONNXRT_ASSIGN_OR_RETURN(Features f, features_of(ctx, 0));
    const int64_t c = f.cols;
    auto ok = [&](size_t n) { return n <= 1 || static_cast<int64_t>(n) == c; };
    if (!ok(scale_.size()) || !ok(offset_.size()))
      return ctx.error("scale/offset have " + std::to_string(scale_.size()) + "/" + std::to_string(offset_.size()) +
                       " values for " + std::to_string(c) + " features");
    float* y = ctx.output(0)->data<float>();
    // Per column once, then row by row with the input's type switch outside the loop.
    std::vector<double> off(static_cast<size_t>(c)), sc(static_cast<size_t>(c)), row(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; ++j) {
      off[static_cast<size_t>(j)] = offset_.empty() ? 0.0 : offset_[offset_.size() == 1 ? 0 : static_cast<size_t>(j)];
      sc[static_cast<size_t>(j)] = scale_.empty() ? 1.0 : scale_[scale_.size() == 1 ? 0 : static_cast<size_t>(j)];
    }
    for (int64_t r = 0; r < f.rows; ++r) {
      f.load_flat(r * c, c, row.data());
      for (int64_t j = 0; j < c; ++j)
        y[r * c + j] = static_cast<float>((row[static_cast<size_t>(j)] - off[static_cast<size_t>(j)]) * sc[static_cast<size_t>(j)]);
    }
    return Status::ok();
  }

 private:
  std::vector<float> scale_, offset_;
};

}  // namespace

KernelPtr make_array_feature_extractor(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&run_array_feature_extractor, "default"));
}

KernelPtr make_binarizer(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float th = a.f("threshold", 0.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return boxed(new Binarizer(th));
}

KernelPtr make_category_mapper(const KernelInit& init) {
  auto k = std::make_unique<CategoryMapper>();
  ir::AttrReader a(init.node);
  const auto ints = a.ints("cats_int64s");
  const auto strs = a.strings("cats_strings");
  k->default_int_ = a.i("default_int64", -1);
  k->default_str_ = a.s("default_string", "_Unused");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ints.size() != strs.size()) return init.error("cats_int64s and cats_strings must have the same length");
  for (size_t i = 0; i < ints.size(); ++i) {
    k->s2i_.emplace(strs[i], ints[i]);
    k->i2s_.emplace(ints[i], strs[i]);
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelPtr make_feature_vectorizer(const KernelInit& init) {
  ir::AttrReader a(init.node);
  auto dims = a.ints("inputdimensions");
  ONNXRT_RETURN_IF_ERROR(a.status());
  return boxed(new FeatureVectorizer(std::move(dims)));
}

KernelPtr make_imputer(const KernelInit& init) {
  auto k = std::make_unique<Imputer>();
  ir::AttrReader a(init.node);
  k->floats_ = a.floats("imputed_value_floats");
  k->ints_ = a.ints("imputed_value_int64s");
  k->replaced_float_ = a.f("replaced_value_float", 0.0f);
  k->replaced_int_ = a.i("replaced_value_int64", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const DType in = init.input_types.empty() || !init.input_types[0] ? DType::kUndefined : init.input_types[0]->dtype;
  const bool is_float = in == DType::kFloat32 || in == DType::kFloat64;
  if (is_float ? k->floats_.empty() : k->ints_.empty())
    return init.error(is_float ? "imputed_value_floats is required for float input" : "imputed_value_int64s is required for integer input");
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelPtr make_label_encoder(const KernelInit& init) { return build_label_encoder(init); }

KernelPtr make_normalizer(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string norm = a.s("norm", "MAX");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (norm == "MAX") return boxed(new Normalizer(0));
  if (norm == "L1") return boxed(new Normalizer(1));
  if (norm == "L2") return boxed(new Normalizer(2));
  return init.error("norm must be MAX, L1 or L2, got '" + norm + "'");
}

KernelPtr make_one_hot_encoder(const KernelInit& init) {
  auto k = std::make_unique<OneHotEncoder>();
  ir::AttrReader a(init.node);
  const auto ints = a.ints("cats_int64s");
  const auto strs = a.strings("cats_strings");
  k->zeros_ = a.i("zeros", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  for (size_t i = 0; i < ints.size(); ++i) k->i_.emplace(ints[i], static_cast<int64_t>(i));
  for (size_t i = 0; i < strs.size(); ++i) k->s_.emplace(strs[i], static_cast<int64_t>(i));
  return std::unique_ptr<Kernel>(std::move(k));
}

KernelPtr make_scaler(const KernelInit& init) {
  ir::AttrReader a(init.node);
  auto scale = a.floats("scale");
  auto offset = a.floats("offset");
  ONNXRT_RETURN_IF_ERROR(a.status());
  return boxed(new Scaler(std::move(scale), std::move(offset)));
}

}  // namespace onnxrt::kernels::ml
