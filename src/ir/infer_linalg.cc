// Shape inference for MatMul and Gemm.
#include <string>

#include "ir/op_families.h"

namespace onnxrt::ir {
namespace {

std::string dim_str(const Dim& d) {
  if (d.is_known()) return std::to_string(d.value());
  std::string s = "?";
  s += std::to_string(d.symbol_id());
  return s;
}

bool known_and_differ(const Dim& a, const Dim& b) {
  return a.is_known() && b.is_known() && a.value() != b.value();
}

Status require_same_dtype(InferContext& ctx, size_t i, size_t j) {
  const DType a = ctx.input_type(i).dtype, b = ctx.input_type(j).dtype;
  if (a != b) {
    return ctx.error("inputs " + std::to_string(i) + " and " + std::to_string(j) +
                     " must have the same element type, got " + std::string(dtype_name(a)) +
                     " and " + std::string(dtype_name(b)));
  }
  return Status::ok();
}

// numpy.matmul: a 1-D operand is promoted to a matrix ([K] -> [1,K] for A, [K,1] for B) and the
// added dim removed from the result; leading (batch) dims broadcast.
Status infer_matmul(InferContext& ctx) {
  for (size_t i : {0, 1}) {
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor()) return require_tensor_with_shape(ctx, i);
  }
  if (!ctx.input_type(0).has_shape || !ctx.input_type(1).has_shape) {
    ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
    // The rank is known only at run time, where this function runs again on concrete shapes.
    ctx.outputs[0] = ValueType::tensor_unknown_rank(ctx.input_type(0).dtype);
    return Status::ok();
  }
  ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  const SymShape& a = ctx.input_type(0).shape;
  const SymShape& b = ctx.input_type(1).shape;
  if (a.empty() || b.empty()) {
    return ctx.error("inputs must have rank >= 1, got A " + shape_to_string(a) + " and B " +
                     shape_to_string(b));
  }
  const Dim ka = a.back();
  const Dim kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (known_and_differ(ka, kb)) {
    return ctx.error("inner dimensions differ: A " + shape_to_string(a) + " has K=" +
                     dim_str(ka) + " but B " + shape_to_string(b) + " has K=" + dim_str(kb));
  }
  const SymShape a_batch(a.begin(), a.end() - (a.size() >= 2 ? 2 : 1));
  const SymShape b_batch(b.begin(), b.end() - (b.size() >= 2 ? 2 : 1));
  ONNXRT_ASSIGN_OR_RETURN(SymShape out, broadcast_shapes(a_batch, b_batch, ctx));
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);
  if (b.size() >= 2) out.push_back(b.back());
  ctx.outputs[0] = ValueType::tensor(ctx.input_type(0).dtype, std::move(out));
  return Status::ok();
}

// Gemm: Y[M,N] = alpha * op(A) * op(B) + beta * C. C is required before opset 11 and must
// broadcast unidirectionally to [M,N] (opset 7+; opset 1/6 had an explicit `broadcast` flag, and
// we accept the same shapes for them).
Status infer_gemm(InferContext& ctx) {
  for (size_t i : {0, 1})
    if (!ctx.has_input(i) || !ctx.input_type(i).is_tensor()) return require_tensor_with_shape(ctx, i);
  ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 1));
  AttrReader attrs(ctx.node());
  const bool trans_a = attrs.i("transA", 0) != 0;
  const bool trans_b = attrs.i("transB", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(attrs.status());
  // A and B are 2-D by definition, so an operand whose rank the load-time inference lost (a
  // Reshape to a computed shape: the TorchScript exporter's pattern) is taken as [?, ?]; the run
  // time, where this function runs again on concrete shapes, checks that it really is 2-D.
  const auto matrix = [&](size_t i) {
    const ValueType& t = ctx.input_type(i);
    return t.has_shape ? t.shape : SymShape{ctx.fresh_dim(), ctx.fresh_dim()};
  };
  const SymShape a = matrix(0);
  const SymShape b = matrix(1);
  if (a.size() != 2 || b.size() != 2) {
    return ctx.error("A and B must be 2-D, got A " + shape_to_string(a) + " and B " +
                     shape_to_string(b));
  }
  const Dim M = trans_a ? a[1] : a[0];
  const Dim ka = trans_a ? a[0] : a[1];
  const Dim kb = trans_b ? b[1] : b[0];
  const Dim N = trans_b ? b[0] : b[1];
  if (known_and_differ(ka, kb)) {
    return ctx.error("inner dimensions differ: op(A) of A " + shape_to_string(a) + " (transA=" +
                     std::to_string(trans_a) + ") has K=" + dim_str(ka) + " but op(B) of B " +
                     shape_to_string(b) + " (transB=" + std::to_string(trans_b) +
                     ") has K=" + dim_str(kb));
  }
  if (ctx.has_input(2)) {
    if (!ctx.input_type(2).is_tensor()) return require_tensor_with_shape(ctx, 2);
    ONNXRT_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 2));
    // C of unknown rank is checked at run time, as above.
    const SymShape c = ctx.input_type(2).has_shape ? ctx.input_type(2).shape : SymShape{};
    const Dim mn[2] = {M, N};
    bool ok = c.size() <= 2;
    for (size_t i = 0; ok && i < c.size(); ++i) {
      const Dim& want = mn[2 - c.size() + i];
      ok = !(c[i].is_known() && c[i].value() != 1 && known_and_differ(c[i], want));
    }
    if (!ok) {
      return ctx.error("C " + shape_to_string(c) + " does not broadcast to [M,N] = [" +
                       dim_str(M) + "," + dim_str(N) + "]");
    }
  } else if (ctx.opset() < 11) {
    return ctx.error("input 2 (C) is required before opset 11 (model opset " +
                     std::to_string(ctx.opset()) + ")");
  }
  ctx.outputs[0] = ValueType::tensor(ctx.input_type(0).dtype, SymShape{M, N});
  return Status::ok();
}

constexpr OpInfo kLinalgOps[] = {
    {"", "MatMul", &infer_matmul},
    {"", "Gemm", &infer_gemm},
};

}  // namespace

std::span<const OpInfo> linalg_op_infos() { return kLinalgOps; }

}  // namespace onnxrt::ir
