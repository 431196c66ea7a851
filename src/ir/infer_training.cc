// Shape inference for the training family (domain ai.onnx.preview.training): Adagrad, Adam,
// Momentum. Each takes R (scalar learning rate), T (scalar int64 step count) and then n tensors per
// group (X, G and the optimizer's state tensors); each output is the new value of one X or state
// tensor and has that tensor's type. Gradient's outputs have the types of its xs inputs; the
// node never runs: passes/lower_gradient.cc replaces it by the backward graph, which uses
// com.onnxrt SumToShape (inferred here too) to undo broadcasting.
#include <string>

#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "ir/op_families.h"

namespace onnxrt::ir {

namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

// `groups`: input tensor groups after R and T; `out_groups`: which input group each output
// group copies its type from.
Status infer_optimizer(InferContext& ctx, size_t groups, std::initializer_list<size_t> out_groups) {
  const size_t nin = ctx.num_inputs();
  if (nin < 2 + groups || (nin - 2) % groups != 0)
    return ctx.error("expected R, T and " + std::to_string(groups) +
                     " tensors per optimized value, got " + std::to_string(nin) + " inputs");
  const size_t n = (nin - 2) / groups;
  if (ctx.num_outputs() > out_groups.size() * n)
    return ctx.error("expected at most " + std::to_string(out_groups.size() * n) + " outputs, got " +
                     std::to_string(ctx.num_outputs()));
  for (size_t i = 0; i < nin; ++i)
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor())
      return ctx.error("input " + std::to_string(i) + " must be a tensor");
  const ValueType& r = ctx.input_type(0);
  const ValueType& t = ctx.input_type(1);
  if (!is_float(r.dtype)) return ctx.error("R must be float or double, got " + type_string(r));
  if (t.dtype != DType::kInt64) return ctx.error("T must be int64, got " + type_string(t));
  for (size_t i = 2; i < nin; ++i) {
    const ValueType& v = ctx.input_type(i);
    if (!is_float(v.dtype)) return ctx.error("input " + std::to_string(i) + " must be float or double, got " + type_string(v));
    const ValueType& x = ctx.input_type(2 + (i - 2) % n);
    if (v.dtype != x.dtype || (v.is_static() && x.is_static() && v.shape != x.shape))
      return ctx.error("input " + std::to_string(i) + " " + type_string(v) +
                       " must match its optimized tensor " + type_string(x));
  }
  size_t o = 0;
  for (size_t g : out_groups)
    for (size_t i = 0; i < n && o < ctx.num_outputs(); ++i, ++o)
      ctx.outputs[o] = ctx.input_type(2 + g * n + i);
  return Status::ok();
}

Status infer_adagrad(InferContext& ctx) { return infer_optimizer(ctx, 3, {0, 2}); }   // X, G, H
Status infer_momentum(InferContext& ctx) { return infer_optimizer(ctx, 3, {0, 2}); }  // X, G, V
Status infer_adam(InferContext& ctx) { return infer_optimizer(ctx, 4, {0, 2, 3}); }   // X, G, V, H

// Gradient(xs..., zs...) -> one gradient per x, typed like that x.
Status infer_gradient(InferContext& ctx) {
  AttrReader a(ctx.node());
  const std::vector<std::string> xs = a.strings("xs");
  const std::vector<std::string> zs = a.strings("zs");
  const std::string y = a.s("y", "");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (xs.empty()) return ctx.error("attribute xs is required and must name at least one value");
  if (y.empty()) return ctx.error("attribute y is required");
  if (ctx.num_inputs() != xs.size() + zs.size())
    return ctx.error("expected " + std::to_string(xs.size() + zs.size()) + " inputs (xs then zs), got " +
                     std::to_string(ctx.num_inputs()));
  if (ctx.num_outputs() != xs.size())
    return ctx.error("expected one output per x (" + std::to_string(xs.size()) + "), got " + std::to_string(ctx.num_outputs()));
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor()) return ctx.error("input " + std::to_string(i) + " must be a tensor");
    ctx.outputs[i] = ctx.input_type(i);
  }
  return Status::ok();
}

// SumToShape(G, X): G summed over the axes along which X was broadcast to G's shape; the shape of
// X, the type of G.
Status infer_sum_to_shape(InferContext& ctx) {
  if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1)) return ctx.error("expected inputs G and X");
  const ValueType& g = ctx.input_type(0);
  const ValueType& x = ctx.input_type(1);
  if (!g.is_tensor() || !x.is_tensor()) return ctx.error("G and X must be tensors");
  if (g.has_shape && x.has_shape) {
    if (x.rank() > g.rank()) return ctx.error("X " + type_string(x) + " has a higher rank than G " + type_string(g));
    const size_t off = g.shape.size() - x.shape.size();
    for (size_t i = 0; i < x.shape.size(); ++i) {
      const Dim& dx = x.shape[i];
      const Dim& dg = g.shape[off + i];
      if (dx.is_known() && dg.is_known() && dx.value() != 1 && dx.value() != dg.value())
        return ctx.error("X " + type_string(x) + " does not broadcast to G " + type_string(g));
    }
  }
  ctx.outputs[0] = x.has_shape ? ValueType::tensor(g.dtype, x.shape) : ValueType::tensor_unknown_rank(g.dtype);
  return Status::ok();
}

const OpInfo kTrainingOps[] = {
    {"ai.onnx.preview.training", "Adagrad", &infer_adagrad},
    {"ai.onnx.preview.training", "Adam", &infer_adam},
    {"ai.onnx.preview.training", "Momentum", &infer_momentum},
    {"ai.onnx.preview.training", "Gradient", &infer_gradient},
    {kFusedDomain, "SumToShape", &infer_sum_to_shape},
};

}  // namespace

std::span<const OpInfo> training_op_infos() { return kTrainingOps; }

}  // namespace onnxrt::ir
