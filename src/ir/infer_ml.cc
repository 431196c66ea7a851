// Shape inference for the ai.onnx.ml domain (scikit-learn style models). Most ops take a batch
// X of shape [N, C] (a 1-D X is one row, N = 1, as onnxruntime reads it) and produce [N, k]
// where k comes from the attributes. The map ops produce or consume maps and sequences.
#include <algorithm>
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_numeric_feature(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kInt64 || t == DType::kInt32;
}

Status require_x(const InferContext& ctx, bool (*ok)(DType), const char* allowed) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (X) is required");
  const ValueType& t = ctx.input_type(0);
  if (!t.is_tensor() || !ok(t.dtype))
    return ctx.error(std::string("input 0 (X) must be a tensor of ") + allowed + ", got " + type_string(t));
  return Status::ok();
}

Status require_numeric_x(const InferContext& ctx) {
  return require_x(ctx, &is_numeric_feature, "float, double, int64 or int32");
}

// The batch dim N of a feature input: rank 1 is a single row.
Dim batch_dim(const InferContext& ctx, size_t i = 0) {
  const ValueType& t = ctx.input_type(i);
  if (!t.has_shape) return Dim();
  if (t.rank() <= 1) return Dim(1);
  return t.shape[0];
}

// Number of features C of input i (the last dim), or a negative value when unknown.
int64_t feature_count(const InferContext& ctx, size_t i = 0) {
  const ValueType& t = ctx.input_type(i);
  if (!t.has_shape || t.rank() == 0) return t.has_shape ? 1 : -1;
  const Dim& d = t.shape.back();
  return d.is_known() ? d.value() : -1;
}

// [N, k]; the N of an unknown-rank X is a fresh symbol.
ValueType batch_by(InferContext& ctx, DType dtype, int64_t k) {
  const ValueType& t = ctx.input_type(0);
  Dim n = t.has_shape ? batch_dim(ctx) : ctx.fresh_dim();
  return ValueType::tensor(dtype, {n, Dim(k)});
}

ValueType batch_only(InferContext& ctx, DType dtype) {
  const ValueType& t = ctx.input_type(0);
  Dim n = t.has_shape ? batch_dim(ctx) : ctx.fresh_dim();
  return ValueType::tensor(dtype, {n});
}

ValueType same_shape(const ValueType& x, DType dtype) {
  ValueType out = x;
  out.dtype = dtype;
  out.sym_value.reset();
  return out;
}

Status infer_array_feature_extractor(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_x(
      ctx, [](DType t) { return is_numeric_feature(t) || t == DType::kString; }, "float, double, int64, int32 or string"));
  if (!ctx.has_input(1) || !ctx.input_type(1).is_tensor() || ctx.input_type(1).dtype != DType::kInt64)
    return ctx.error("input 1 (Y, indices) must be an int64 tensor");
  const ValueType& x = ctx.input_type(0);
  const ValueType& y = ctx.input_type(1);
  if (!x.has_shape || !y.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(x.dtype);
    return Status::ok();
  }
  if (x.rank() == 0) return ctx.error("input 0 (X) must have rank >= 1, got a scalar");
  Dim k = ctx.fresh_dim();
  if (shape_is_static(y.shape)) {
    int64_t n = 1;
    for (const Dim& d : y.shape) n *= d.value();
    k = Dim(n);
  }
  SymShape out;
  if (x.rank() == 1) {
    out = {Dim(1), k};  // a 1-D X is one row, as onnxruntime reads it
  } else {
    out.assign(x.shape.begin(), x.shape.end() - 1);
    out.push_back(k);
  }
  ctx.outputs[0] = ValueType::tensor(x.dtype, std::move(out));
  return Status::ok();
}

Status infer_binarizer(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  ctx.outputs[0] = same_shape(ctx.input_type(0), ctx.input_type(0).dtype);
  return Status::ok();
}

Status infer_imputer(InferContext& ctx) { return infer_binarizer(ctx); }

Status infer_category_mapper(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_x(
      ctx, [](DType t) { return t == DType::kString || t == DType::kInt64; }, "string or int64"));
  AttrReader a(ctx.node());
  const auto ints = a.ints("cats_int64s");
  const auto strs = a.strings("cats_strings");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ints.size() != strs.size())
    return ctx.error("cats_int64s and cats_strings must have the same length, got " + std::to_string(ints.size()) +
                     " and " + std::to_string(strs.size()));
  const DType in = ctx.input_type(0).dtype;
  ctx.outputs[0] = same_shape(ctx.input_type(0), in == DType::kString ? DType::kInt64 : DType::kString);
  return Status::ok();
}

Status infer_feature_vectorizer(InferContext& ctx) {
  AttrReader a(ctx.node());
  const auto dims = a.ints("inputdimensions");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ctx.num_inputs() == 0) return ctx.error("needs at least one input");
  if (dims.size() != ctx.num_inputs())
    return ctx.error("inputdimensions has " + std::to_string(dims.size()) + " entries for " +
                     std::to_string(ctx.num_inputs()) + " inputs");
  int64_t total = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor() || !is_numeric_feature(ctx.input_type(i).dtype))
      return ctx.error("input " + std::to_string(i) + " must be a tensor of float, double, int64 or int32");
    if (dims[i] < 0) return ctx.error("inputdimensions[" + std::to_string(i) + "] is negative");
    if (__builtin_add_overflow(total, dims[i], &total)) return ctx.error("inputdimensions sum past int64");
  }
  ctx.outputs[0] = batch_by(ctx, DType::kFloat32, total);
  return Status::ok();
}

// LabelEncoder: the output element type follows the values attribute that is present.
Status infer_label_encoder(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.input_type(0).is_tensor()) return ctx.error("input 0 (X) must be a tensor");
  const Node& n = ctx.node();
  DType out = DType::kUndefined;
  if (ctx.opset() < 2) {
    out = ctx.input_type(0).dtype == DType::kString ? DType::kInt64 : DType::kString;
  } else if (const Attribute* t = n.attrs.find("values_tensor"); t && t->kind == AttrKind::kTensor) {
    out = t->t.dtype();
  } else if (n.attrs.has("values_strings")) {
    out = DType::kString;
  } else if (n.attrs.has("values_int64s")) {
    out = DType::kInt64;
  } else if (n.attrs.has("values_floats")) {
    out = DType::kFloat32;
  } else {
    return ctx.error("one of values_strings, values_int64s, values_floats or values_tensor is required");
  }
  ctx.outputs[0] = same_shape(ctx.input_type(0), out);
  return Status::ok();
}

DType label_dtype(const Node& n) {
  const Attribute* s = n.attrs.find("classlabels_strings");
  return s && !s->strings.empty() ? DType::kString : DType::kInt64;
}

size_t label_count(const Node& n, const char* ints_name) {
  size_t k = 0;
  if (const Attribute* s = n.attrs.find("classlabels_strings")) k = std::max(k, s->strings.size());
  if (const Attribute* s = n.attrs.find(ints_name)) k = std::max(k, s->ints.size());
  return k;
}

Status infer_linear_classifier(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  AttrReader a(ctx.node());
  a.required("coefficients", AttrKind::kFloats);
  const auto coefs = a.floats("coefficients");
  const auto intercepts = a.floats("intercepts");
  ONNXRT_RETURN_IF_ERROR(a.status());
  const size_t labels = label_count(ctx.node(), "classlabels_ints");
  if (labels == 0) return ctx.error("classlabels_ints or classlabels_strings is required");
  int64_t rows = static_cast<int64_t>(intercepts.size());
  const int64_t c = feature_count(ctx);
  if (rows == 0) rows = c > 0 ? static_cast<int64_t>(coefs.size()) / c : static_cast<int64_t>(labels);
  if (c > 0 && static_cast<int64_t>(coefs.size()) != rows * c)
    return ctx.error("coefficients has " + std::to_string(coefs.size()) + " values, expected " +
                     std::to_string(rows) + " classes x " + std::to_string(c) + " features");
  const int64_t cols = (rows == 1 && labels == 2) ? 2 : rows;
  ctx.outputs[0] = batch_only(ctx, label_dtype(ctx.node()));
  if (ctx.num_outputs() > 1) ctx.outputs[1] = batch_by(ctx, DType::kFloat32, cols);
  return Status::ok();
}

Status infer_linear_regressor(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  AttrReader a(ctx.node());
  const int64_t targets = a.i("targets", 1);
  const auto coefs = a.floats("coefficients");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (targets < 1) return ctx.error("targets must be >= 1, got " + std::to_string(targets));
  const int64_t c = feature_count(ctx);
  if (c >= 0 && static_cast<int64_t>(coefs.size()) != targets * c)
    return ctx.error("coefficients has " + std::to_string(coefs.size()) + " values, expected " +
                     std::to_string(targets) + " targets x " + std::to_string(c) + " features");
  ctx.outputs[0] = batch_by(ctx, DType::kFloat32, targets);
  return Status::ok();
}

Status infer_normalizer(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  AttrReader a(ctx.node());
  const std::string norm = a.s("norm", "MAX");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (norm != "MAX" && norm != "L1" && norm != "L2") return ctx.error("norm must be MAX, L1 or L2, got '" + norm + "'");
  const ValueType& x = ctx.input_type(0);
  if (x.has_shape && x.rank() > 2) return ctx.error("X must have rank 1 or 2, got " + type_string(x));
  ctx.outputs[0] = same_shape(x, DType::kFloat32);
  return Status::ok();
}

Status infer_scaler(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  ctx.outputs[0] = same_shape(ctx.input_type(0), DType::kFloat32);
  return Status::ok();
}

Status infer_one_hot_encoder(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_x(
      ctx, [](DType t) { return is_numeric_feature(t) || t == DType::kString; }, "string, int64, int32, float or double"));
  AttrReader a(ctx.node());
  const auto ints = a.ints("cats_int64s");
  const auto strs = a.strings("cats_strings");
  ONNXRT_RETURN_IF_ERROR(a.status());
  const bool is_string = ctx.input_type(0).dtype == DType::kString;
  const size_t n = is_string ? strs.size() : ints.size();
  if (n == 0) return ctx.error(is_string ? "cats_strings is required for string input" : "cats_int64s is required for numeric input");
  const ValueType& x = ctx.input_type(0);
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  SymShape out = x.shape;
  out.push_back(Dim(static_cast<int64_t>(n)));
  ctx.outputs[0] = ValueType::tensor(DType::kFloat32, std::move(out));
  return Status::ok();
}

// SVMClassifier's score columns, as onnxruntime writes them: class probabilities when prob_a is
// given, one score per class in linear mode, else the pairwise (one-vs-one) decision values,
// of which a binary model has one, widened to two columns [-d, d].
int64_t svm_classifier_score_cols(const Node& n) {
  const int64_t classes = static_cast<int64_t>(label_count(n, "classlabels_ints"));
  const Attribute* vpc = n.attrs.find("vectors_per_class");
  const Attribute* pa = n.attrs.find("prob_a");
  const bool svc = vpc && !vpc->ints.empty();
  if (!svc) return classes == 2 ? 2 : classes;
  if (pa && !pa->floats.empty()) return classes;
  return classes == 2 ? 2 : classes * (classes - 1) / 2;
}

Status infer_svm_classifier(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  if (label_count(ctx.node(), "classlabels_ints") == 0)
    return ctx.error("classlabels_ints or classlabels_strings is required");
  ctx.outputs[0] = batch_only(ctx, label_dtype(ctx.node()));
  if (ctx.num_outputs() > 1) ctx.outputs[1] = batch_by(ctx, DType::kFloat32, svm_classifier_score_cols(ctx.node()));
  return Status::ok();
}

Status infer_svm_regressor(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  ctx.outputs[0] = batch_by(ctx, DType::kFloat32, 1);
  return Status::ok();
}

Status infer_tree_classifier(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  const size_t labels = label_count(ctx.node(), "classlabels_int64s");
  if (labels == 0) return ctx.error("classlabels_int64s or classlabels_strings is required");
  ctx.outputs[0] = batch_only(ctx, label_dtype(ctx.node()));
  if (ctx.num_outputs() > 1) ctx.outputs[1] = batch_by(ctx, DType::kFloat32, labels == 1 ? 2 : static_cast<int64_t>(labels));
  return Status::ok();
}

Status infer_tree_regressor(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_numeric_x(ctx));
  AttrReader a(ctx.node());
  const int64_t targets = a.i("n_targets", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (targets < 1) return ctx.error("n_targets must be >= 1, got " + std::to_string(targets));
  ctx.outputs[0] = batch_by(ctx, DType::kFloat32, targets);
  return Status::ok();
}

Status infer_tree_ensemble(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_x(
      ctx, [](DType t) { return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16; },
      "float, double or float16"));
  AttrReader a(ctx.node());
  int64_t targets = a.i("n_targets", 0);
  const auto leaf_targets = a.ints("leaf_targetids");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (targets <= 0)
    for (int64_t t : leaf_targets) targets = std::max(targets, t + 1);
  if (targets < 1) return ctx.error("n_targets must be >= 1");
  ctx.outputs[0] = batch_by(ctx, ctx.input_type(0).dtype, targets);
  return Status::ok();
}

std::shared_ptr<ValueType> boxed(ValueType t) { return std::make_shared<ValueType>(std::move(t)); }

ValueType map_of(DType key, DType value) {
  ValueType t;
  t.kind = TypeKind::kMap;
  t.dtype = key;
  t.elem = boxed(ValueType::tensor_unknown_rank(value));
  return t;
}

Status infer_zipmap(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.input_type(0).is_tensor() || ctx.input_type(0).dtype != DType::kFloat32)
    return ctx.error("input 0 (X) must be a float tensor");
  const Node& n = ctx.node();
  const Attribute* s = n.attrs.find("classlabels_strings");
  const Attribute* i = n.attrs.find("classlabels_int64s");
  const bool strings = s && !s->strings.empty();
  const bool ints = i && !i->ints.empty();
  if (strings == ints) return ctx.error("exactly one of classlabels_strings and classlabels_int64s is required");
  const ValueType& x = ctx.input_type(0);
  if (x.has_shape && x.rank() != 1 && x.rank() != 2) return ctx.error("X must have rank 1 or 2, got " + type_string(x));
  ValueType seq;
  seq.kind = TypeKind::kSequence;
  seq.elem = boxed(map_of(strings ? DType::kString : DType::kInt64, DType::kFloat32));
  ctx.outputs[0] = std::move(seq);
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

DType map_value_dtype(const ValueType& t) { return t.elem ? t.elem->dtype : DType::kUndefined; }

Status infer_cast_map(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (X) is required");
  const ValueType& x = ctx.input_type(0);
  if (x.kind != TypeKind::kMap && x.kind != TypeKind::kUnknown) return ctx.error("input 0 (X) must be a map, got " + type_string(x));
  AttrReader a(ctx.node());
  const std::string cast_to = a.s("cast_to", "TO_FLOAT");
  const std::string form = a.s("map_form", "DENSE");
  const int64_t max_map = a.i("max_map", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  DType out;
  if (cast_to == "TO_FLOAT") out = DType::kFloat32;
  else if (cast_to == "TO_STRING") out = DType::kString;
  else if (cast_to == "TO_INT64") out = DType::kInt64;
  else return ctx.error("cast_to must be TO_FLOAT, TO_STRING or TO_INT64, got '" + cast_to + "'");
  if (form == "SPARSE") {
    if (max_map < 0) return ctx.error("max_map must be >= 0, got " + std::to_string(max_map));
    ctx.outputs[0] = ValueType::tensor(out, {Dim(1), Dim(max_map)});
  } else if (form == "DENSE") {
    ctx.outputs[0] = ValueType::tensor(out, {Dim(1), ctx.fresh_dim()});
    ctx.dynamic_output_shape = true;
  } else {
    return ctx.error("map_form must be DENSE or SPARSE, got '" + form + "'");
  }
  return Status::ok();
}

Status infer_dict_vectorizer(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (X) is required");
  const ValueType& x = ctx.input_type(0);
  if (x.kind != TypeKind::kMap) return ctx.error("input 0 (X) must be a map, got " + type_string(x));
  AttrReader a(ctx.node());
  const auto ints = a.ints("int64_vocabulary");
  const auto strs = a.strings("string_vocabulary");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ints.empty() == strs.empty()) return ctx.error("exactly one of int64_vocabulary and string_vocabulary is required");
  const DType v = map_value_dtype(x);
  ctx.outputs[0] = ValueType::tensor(v, {Dim(1), Dim(static_cast<int64_t>(ints.empty() ? strs.size() : ints.size()))});
  return Status::ok();
}

constexpr std::string_view kMl = "ai.onnx.ml";

const OpInfo kMlOps[] = {
    {kMl, "ArrayFeatureExtractor", &infer_array_feature_extractor},
    {kMl, "Binarizer", &infer_binarizer},
    {kMl, "CastMap", &infer_cast_map},
    {kMl, "CategoryMapper", &infer_category_mapper},
    {kMl, "DictVectorizer", &infer_dict_vectorizer},
    {kMl, "FeatureVectorizer", &infer_feature_vectorizer},
    {kMl, "Imputer", &infer_imputer},
    {kMl, "LabelEncoder", &infer_label_encoder},
    {kMl, "LinearClassifier", &infer_linear_classifier},
    {kMl, "LinearRegressor", &infer_linear_regressor},
    {kMl, "Normalizer", &infer_normalizer},
    {kMl, "OneHotEncoder", &infer_one_hot_encoder},
    {kMl, "SVMClassifier", &infer_svm_classifier},
    {kMl, "SVMRegressor", &infer_svm_regressor},
    {kMl, "Scaler", &infer_scaler},
    {kMl, "TreeEnsemble", &infer_tree_ensemble},
    {kMl, "TreeEnsembleClassifier", &infer_tree_classifier},
    {kMl, "TreeEnsembleRegressor", &infer_tree_regressor},
    {kMl, "ZipMap", &infer_zipmap},
};

}  // namespace

std::span<const OpInfo> ml_op_infos() { return kMlOps; }

}  // namespace onnxrt::ir
