// Gemm on the CPU: Y = alpha * op(A) * op(B) + beta * C.
// beta == 0 (or C absent) ignores C entirely, as BLAS and onnxruntime do, so a C holding
// NaN/Inf does not poison Y when the model scales it away.
#include <algorithm>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/half_rows.h"
#include "kernels/cpu/linalg_common.h"

namespace onnxrt::kernels {
namespace {

struct GemmAttrs {
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
};

struct GemmOperands {
  const Tensor* a;
  const Tensor* b;
  const Tensor* c;  // null when absent
  Tensor* y;
  int64_t M, N, K;
  int64_t cm, cn;  // C viewed as [cm, cn], each 1 or M / N
};

Status get_operands(KernelContext& ctx, const GemmAttrs& at, GemmOperands* op) {
  op->a = ctx.input(0);
  op->b = ctx.input(1);
  op->c = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  op->y = ctx.output(0);
  if (!op->a || !op->b || !op->y) return ctx.error("inputs A, B and output Y are required");
  if (op->a->rank() != 2 || op->b->rank() != 2) {
    return ctx.error("A and B must be 2-D, got A " + shape_to_string(op->a->shape()) + " and B " +
                     shape_to_string(op->b->shape()));
  }
  op->M = at.trans_a ? op->a->dim(1) : op->a->dim(0);
  op->K = at.trans_a ? op->a->dim(0) : op->a->dim(1);
  const int64_t kb = at.trans_b ? op->b->dim(1) : op->b->dim(0);
  op->N = at.trans_b ? op->b->dim(0) : op->b->dim(1);
  if (kb != op->K) {
    return ctx.error("inner dimensions differ: op(A) has K=" + std::to_string(op->K) +
                     " but op(B) has K=" + std::to_string(kb));
  }
  if (op->y->rank() != 2 || op->y->dim(0) != op->M || op->y->dim(1) != op->N) {
    return ctx.error("output Y has shape " + shape_to_string(op->y->shape()) + ", expected [" +
                     std::to_string(op->M) + "," + std::to_string(op->N) + "]");
  }
  op->cm = op->cn = 1;
  if (op->c) {
    const Shape& cs = op->c->shape();
    if (cs.size() > 2) return ctx.error("C must have rank <= 2, got " + shape_to_string(cs));
    if (cs.size() >= 1) op->cn = cs.back();
    if (cs.size() == 2) op->cm = cs[0];
    if ((op->cm != 1 && op->cm != op->M) || (op->cn != 1 && op->cn != op->N)) {
      return ctx.error("C " + shape_to_string(cs) + " does not broadcast to [M,N] = [" +
                       std::to_string(op->M) + "," + std::to_string(op->N) + "]");
    }
  }
  return Status::ok();
}

// Y <- C broadcast to [M,N]; GEMM then accumulates into Y with beta.
template <typename T>
void broadcast_c(const GemmOperands& op, const T* c, T* y) {
  for (int64_t i = 0; i < op.M; ++i) {
    const T* crow = c + (op.cm == 1 ? 0 : i) * op.cn;
    T* yrow = y + i * op.N;
    if (op.cn == 1) {
      std::fill(yrow, yrow + op.N, crow[0]);
    } else {
      std::copy(crow, crow + op.N, yrow);
    }
  }
}

void gemm_f32(const GemmAttrs& at, const GemmOperands& op, const float* a, const float* b,
              const float* c, float* y, const PackedB* packed, ThreadPool& pool) {
  if (op.M * op.N == 0) return;
  const bool packed_ok = packed && !packed->empty() && packed->K() == op.K && packed->N() == op.N;
  if (packed_ok && c && at.beta != 0.f && op.cm == 1 && op.cn == op.N) {
    // The usual Linear layer: C is a bias row.
    return sgemm_packed_bias(at.trans_a, op.M, at.alpha, a, op.a->dim(1), *packed, at.beta, c, y, op.N, &pool);
  }
  float beta = 0.f;
  if (c && at.beta != 0.f) {
    broadcast_c(op, c, y);
    beta = at.beta;
  }
  const int64_t lda = op.a->dim(1);
  if (packed_ok) {
    sgemm_packed(at.trans_a, op.M, at.alpha, a, lda, *packed, beta, y, op.N, &pool);
  } else {
    sgemm(at.trans_a, at.trans_b, op.M, op.N, op.K, at.alpha, a, lda, b, op.b->dim(1), beta, y,
          op.N, &pool);
  }
}

class GemmF32 final : public Kernel {
 public:
  GemmAttrs at;
  PackedB packed;
  Status run(KernelContext& ctx) const override {
    GemmOperands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, at, &op));
    gemm_f32(at, op, op.a->data<float>(), op.b->data<float>(),
             op.c ? op.c->data<float>() : nullptr, op.y->data<float>(), &packed, ctx.threads());
    return Status::ok();
  }
  const char* variant() const override { return sgemm_variant(); }
  // B's packed K and N come from the constant B's shape, which run() checks A against: a packed
  // B is always used, so run() never reads B's data.
  bool prepacked_input(size_t i) const override { return i == 1 && !packed.empty(); }
};

class GemmHalf final : public Kernel {
 public:
  GemmAttrs at;
  PackedB packed;  // constant B, packed once as 16-bit panels
  Status run(KernelContext& ctx) const override {
    GemmOperands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, at, &op));
    const bool use_packed = !packed.empty() && packed.K() == op.K && packed.N() == op.N;
    const int64_t na = op.a->size(), nb = use_packed ? 0 : op.b->size();
    const int64_t nc = op.c ? op.c->size() : 0;
    const int64_t ny = op.y->size();
    float* fa = static_cast<float*>(ctx.scratch(static_cast<size_t>(na + nb + nc + ny) * 4 + 64));
    float* fb = fa + na;
    float* fc = fb + nb;
    float* fy = fc + nc;
    widen_tensor(*op.a, fa);
    if (!use_packed) widen_tensor(*op.b, fb);
    if (op.c) widen_tensor(*op.c, fc);
    gemm_f32(at, op, fa, fb, op.c ? fc : nullptr, fy, use_packed ? &packed : nullptr, ctx.threads());
    narrow_16bit(op.y->dtype(), fy, op.y->data<uint16_t>(), ny);
    return Status::ok();
  }
  const char* variant() const override { return "sgemm_widened"; }
  bool prepacked_input(size_t i) const override { return i == 1 && !packed.empty(); }
};

// double and integer types. Integers accumulate with wrap-around and apply alpha/beta exactly
// when they are 1 (the only values exporters emit for integer Gemm); otherwise through double.
template <typename T>
class GemmLoop final : public Kernel {
 public:
  GemmAttrs at;
  Status run(KernelContext& ctx) const override {
    GemmOperands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, at, &op));
    const T* a = op.a->data<T>();
    const T* b = op.b->data<T>();
    const T* c = op.c && at.beta != 0.f ? op.c->data<T>() : nullptr;
    T* y = op.y->data<T>();
    const int64_t lda = op.a->dim(1), ldb = op.b->dim(1);
    const bool exact = at.alpha == 1.f && (at.beta == 1.f || !c);
    ctx.threads().parallel_for(op.M, static_cast<double>(op.N) * op.K, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = 0; j < op.N; ++j) {
          T acc = T(0);
          for (int64_t k = 0; k < op.K; ++k) {
            const T av = at.trans_a ? a[k * lda + i] : a[i * lda + k];
            const T bv = at.trans_b ? b[j * ldb + k] : b[k * ldb + j];
            acc = mul_add_wrap(acc, av, bv);
          }
          const T cv = c ? c[(op.cm == 1 ? 0 : i) * op.cn + (op.cn == 1 ? 0 : j)] : T(0);
          if (exact) {
            y[i * op.N + j] = mul_add_wrap(acc, cv, T(1));
          } else {
            y[i * op.N + j] = static_cast<T>(static_cast<double>(at.alpha) * static_cast<double>(acc) +
                                             static_cast<double>(at.beta) * static_cast<double>(cv));
          }
        }
      }
    });
    return Status::ok();
  }
  const char* variant() const override { return "loop"; }
};

template <typename K>
Expected<std::unique_ptr<Kernel>> finish(std::unique_ptr<K> k, const GemmAttrs& at) {
  k->at = at;
  return std::unique_ptr<Kernel>(std::move(k));
}

Expected<std::unique_ptr<Kernel>> make_half(const Tensor* b, int64_t K, int64_t N,
                                            const GemmAttrs& at) {
  auto k = std::make_unique<GemmHalf>();
  // Kept as 16-bit panels: the same products as float32 panels of the widened B.
  if (b) k->packed = PackedB::pack_constant(at.trans_b, K, N, *b);
  return finish(std::move(k), at);
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_gemm(const KernelInit& init) {
  if (init.input_types.size() < 2 || !init.input_types[0] || !init.input_types[1]) {
    return init.error("inputs A and B are required");
  }
  ir::AttrReader r(init.node);
  GemmAttrs at;
  at.trans_a = r.i("transA", 0) != 0;
  at.trans_b = r.i("transB", 0) != 0;
  at.alpha = r.f("alpha", 1.f);
  at.beta = r.f("beta", 1.f);
  ONNXRT_RETURN_IF_ERROR(r.status());
  const DType dt = init.input_types[0]->dtype;
  // A constant 2-D B of the node's type is packed once (floats; integer Gemm stays on loops).
  const Tensor* b = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  if (b && (b->dtype() != dt || b->rank() != 2 || b->size() == 0)) b = nullptr;
  const int64_t bK = b ? (at.trans_b ? b->dim(1) : b->dim(0)) : 0;
  const int64_t bN = b ? (at.trans_b ? b->dim(0) : b->dim(1)) : 0;
  switch (dt) {
    case DType::kFloat32: {
      auto k = std::make_unique<GemmF32>();
      if (b) k->packed = PackedB::pack_constant(at.trans_b, bK, bN, *b);
      return finish(std::move(k), at);
    }
    case DType::kFloat16:
    case DType::kBFloat16: return make_half(b, bK, bN, at);
    case DType::kFloat64: return finish(std::make_unique<GemmLoop<double>>(), at);
    case DType::kInt32: return finish(std::make_unique<GemmLoop<int32_t>>(), at);
    case DType::kInt64: return finish(std::make_unique<GemmLoop<int64_t>>(), at);
    case DType::kUInt32: return finish(std::make_unique<GemmLoop<uint32_t>>(), at);
    case DType::kUInt64: return finish(std::make_unique<GemmLoop<uint64_t>>(), at);
    default:
      return not_implemented(init.node.describe() + ": no CPU Gemm for element type " +
                             std::string(dtype_name(dt)));
  }
}

}  // namespace onnxrt::kernels
