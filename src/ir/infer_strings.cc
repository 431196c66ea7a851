// Shape inference of the strings family: StringNormalizer, StringConcat, StringSplit,
// RegexFullMatch, TfIdfVectorizer. StringNormalizer with stopwords and StringSplit have output
// shapes that depend on the strings themselves, so their kernels allocate their outputs.
#include <algorithm>
#include <limits>
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

Status require_string(const InferContext& ctx, size_t i, const char* name) {
  if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " (" + name + ") is required");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor() || t.dtype != DType::kString)
    return ctx.error("input " + std::to_string(i) + " (" + name + ") must be a string tensor, got " +
                     type_string(t));
  return Status::ok();
}

Status infer_string_normalizer(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_string(ctx, 0, "X"));
  AttrReader a(ctx.node());
  const std::string action = a.s("case_change_action", "NONE");
  const std::vector<std::string> stops = a.strings("stopwords");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (action != "NONE" && action != "LOWER" && action != "UPPER")
    return ctx.error("case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
  const ValueType& x = ctx.input_type(0);
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kString);
    if (!stops.empty()) ctx.dynamic_output_shape = true;
    return Status::ok();
  }
  if (x.rank() != 1 && x.rank() != 2)
    return ctx.error("input 0 (X) must have shape [C] or [1, C], got rank " + std::to_string(x.rank()));
  if (x.rank() == 2 && x.shape[0].is_known() && x.shape[0].value() != 1)
    return ctx.error("input 0 (X) must have shape [1, C], got first dim " + std::to_string(x.shape[0].value()));
  if (stops.empty()) {
    // Nothing is filtered: the shape is kept (an empty [0] input stays empty).
    ctx.outputs[0] = ValueType::tensor(DType::kString, x.shape);
    return Status::ok();
  }
  SymShape out = x.shape;
  out.back() = ctx.fresh_dim();
  ctx.outputs[0] = ValueType::tensor(DType::kString, std::move(out));
  ctx.dynamic_output_shape = true;
  return Status::ok();
}

Status infer_string_concat(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_string(ctx, 0, "X"));
  ONNXRT_RETURN_IF_ERROR(require_string(ctx, 1, "Y"));
  const ValueType& x = ctx.input_type(0);
  const ValueType& y = ctx.input_type(1);
  if (!x.has_shape || !y.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kString);
    return Status::ok();
  }
  ONNXRT_ASSIGN_OR_RETURN(SymShape s, broadcast_shapes(x.shape, y.shape, ctx));
  ctx.outputs[0] = ValueType::tensor(DType::kString, std::move(s));
  return Status::ok();
}

Status infer_string_split(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_string(ctx, 0, "X"));
  AttrReader a(ctx.node());
  (void)a.s("delimiter", "");
  (void)a.i("maxsplit", -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const ValueType& x = ctx.input_type(0);
  ctx.dynamic_output_shape = true;
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kString);
    if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor_unknown_rank(DType::kInt64);
    return Status::ok();
  }
  SymShape y = x.shape;
  y.push_back(ctx.fresh_dim());
  ctx.outputs[0] = ValueType::tensor(DType::kString, std::move(y));
  if (ctx.num_outputs() > 1) ctx.outputs[1] = ValueType::tensor(DType::kInt64, x.shape);
  return Status::ok();
}

Status infer_regex_full_match(InferContext& ctx) {
  ONNXRT_RETURN_IF_ERROR(require_string(ctx, 0, "X"));
  AttrReader a(ctx.node());
  (void)a.s("pattern", "");
  ONNXRT_RETURN_IF_ERROR(a.status());
  const ValueType& x = ctx.input_type(0);
  ctx.outputs[0] = x.has_shape ? ValueType::tensor(DType::kBool, x.shape)
                               : ValueType::tensor_unknown_rank(DType::kBool);
  return Status::ok();
}

Status infer_tfidf(InferContext& ctx) {
  if (!ctx.has_input(0)) return ctx.error("input 0 (X) is required");
  const ValueType& x = ctx.input_type(0);
  if (!x.is_tensor() || (x.dtype != DType::kString && x.dtype != DType::kInt32 && x.dtype != DType::kInt64))
    return ctx.error("input 0 (X) must be a string, int32 or int64 tensor, got " + type_string(x));
  AttrReader a(ctx.node());
  const std::vector<int64_t> idx = a.ints("ngram_indexes");
  ONNXRT_RETURN_IF_ERROR(a.status());
  int64_t c = 0;
  for (int64_t v : idx) {
    // Y gets max(ngram_indexes) + 1 columns, which must be an int64 itself.
    if (v < 0 || v == std::numeric_limits<int64_t>::max())
      return ctx.error("ngram_indexes must be in [0, INT64_MAX), got " + std::to_string(v));
    c = std::max(c, v + 1);
  }
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor_unknown_rank(DType::kFloat32);
    return Status::ok();
  }
  if (x.rank() > 2) return ctx.error("input 0 (X) must have shape [C] or [B, C], got rank " + std::to_string(x.rank()));
  if (x.rank() == 2)
    ctx.outputs[0] = ValueType::tensor(DType::kFloat32, {x.shape[0], Dim(c)});
  else
    ctx.outputs[0] = ValueType::tensor(DType::kFloat32, {Dim(c)});
  return Status::ok();
}

const OpInfo kStringsOps[] = {
    {"", "RegexFullMatch", &infer_regex_full_match},
    {"", "StringConcat", &infer_string_concat},
    {"", "StringNormalizer", &infer_string_normalizer},
    {"", "StringSplit", &infer_string_split},
    {"", "TfIdfVectorizer", &infer_tfidf},
};

}  // namespace

std::span<const OpInfo> strings_op_infos() { return kStringsOps; }

}  // namespace onnxrt::ir
