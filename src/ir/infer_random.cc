// Shape inference for the random family: RandomUniform, RandomNormal, RandomUniformLike,
// RandomNormalLike, Bernoulli, Multinomial. Outputs are never constant (constant folding skips
// these ops by name), so inference only fixes shapes and element types.
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

Expected<DType> read_dtype(InferContext& ctx, DType def, bool float_only) {
  AttrReader a(ctx.node());
  const int64_t d = a.i("dtype", static_cast<int64_t>(def));
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (!dtype_is_valid(static_cast<int32_t>(d)))
    return ctx.error("dtype " + std::to_string(d) + " is not an element type");
  const DType t = static_cast<DType>(d);
  if (float_only && !is_float(t))
    return ctx.error("dtype must be a float type, got " + std::string(dtype_name(t)));
  return t;
}

Status infer_random(InferContext& ctx) {  // RandomUniform, RandomNormal
  AttrReader a(ctx.node());
  a.required("shape", AttrKind::kInts);
  const std::vector<int64_t> shape = a.ints("shape");
  ONNXRT_RETURN_IF_ERROR(a.status());
  SymShape s;
  for (int64_t d : shape) {
    if (d < 0) return ctx.error("shape has a negative dim " + std::to_string(d));
    s.push_back(Dim(d));
  }
  ONNXRT_ASSIGN_OR_RETURN(DType t, read_dtype(ctx, DType::kFloat32, true));
  ctx.outputs[0] = ValueType::tensor(t, std::move(s));
  return Status::ok();
}

Status infer_random_like(InferContext& ctx) {  // Random*Like, Bernoulli
  if (!ctx.has_input(0) || !ctx.input_type(0).is_tensor()) return ctx.error("needs tensor input 0");
  const ValueType& x = ctx.input_type(0);
  const bool bernoulli = ctx.node().op_type == "Bernoulli";
  if (bernoulli && !is_float(x.dtype)) return ctx.error("input must be a float tensor, got " + type_string(x));
  ONNXRT_ASSIGN_OR_RETURN(DType t, read_dtype(ctx, x.dtype, !bernoulli));
  ValueType out = x;
  out.dtype = t;
  out.sym_value.reset();
  ctx.outputs[0] = std::move(out);
  return Status::ok();
}

Status infer_multinomial(InferContext& ctx) {
  if (!ctx.has_input(0) || !ctx.input_type(0).is_tensor()) return ctx.error("needs tensor input 0");
  const ValueType& x = ctx.input_type(0);
  if (!is_float(x.dtype)) return ctx.error("input must be a float tensor, got " + type_string(x));
  AttrReader a(ctx.node());
  const int64_t samples = a.i("sample_size", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (samples < 0) return ctx.error("sample_size " + std::to_string(samples) + " must be >= 0");
  ONNXRT_ASSIGN_OR_RETURN(DType t, read_dtype(ctx, DType::kInt32, false));
  if (t != DType::kInt32 && t != DType::kInt64)
    return ctx.error("dtype must be int32 or int64, got " + std::string(dtype_name(t)));
  if (!x.has_shape) {
    ctx.outputs[0] = ValueType::tensor(t, SymShape{ctx.fresh_dim(), Dim(samples)});
    return Status::ok();
  }
  if (x.rank() != 2) return ctx.error("input must have shape [batch_size, class_size], got " + type_string(x));
  ctx.outputs[0] = ValueType::tensor(t, SymShape{x.shape[0], Dim(samples)});
  return Status::ok();
}

const OpInfo kRandomOps[] = {
    {"", "RandomUniform", &infer_random},
    {"", "RandomNormal", &infer_random},
    {"", "RandomUniformLike", &infer_random_like},
    {"", "RandomNormalLike", &infer_random_like},
    {"", "Bernoulli", &infer_random_like},
    {"", "Multinomial", &infer_multinomial},
};

}  // namespace

std::span<const OpInfo> random_op_infos() { return kRandomOps; }

}  // namespace onnxrt::ir
