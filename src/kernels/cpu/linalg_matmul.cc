// MatMul (numpy.matmul semantics) on the CPU.
#include <algorithm>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/half_rows.h"
#include "kernels/cpu/linalg_common.h"

namespace onnxrt::kernels {

bool matmul_shape(const Shape& a, const Shape& b, MatMulShape* out, std::string* error) {
  if (a.empty() || b.empty()) {
    *error = "inputs must have rank >= 1, got A " + shape_to_string(a) + " and B " +
             shape_to_string(b);
    return false;
  }
  MatMulShape s;
  s.K = a.back();
  const int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (kb != s.K) {
    *error = "inner dimensions differ: A " + shape_to_string(a) + " has K=" +
             std::to_string(s.K) + " but B " + shape_to_string(b) + " has K=" + std::to_string(kb);
    return false;
  }
  s.M = a.size() >= 2 ? a[a.size() - 2] : 1;
  s.N = b.size() >= 2 ? b.back() : 1;
  const Shape ab(a.begin(), a.end() - (a.size() >= 2 ? 2 : 1));
  const Shape bb(b.begin(), b.end() - (b.size() >= 2 ? 2 : 1));
  const size_t rank = std::max(ab.size(), bb.size());
  Shape od(rank), ad(rank, 1), bd(rank, 1);
  std::copy(ab.begin(), ab.end(), ad.begin() + static_cast<int64_t>(rank - ab.size()));
  std::copy(bb.begin(), bb.end(), bd.begin() + static_cast<int64_t>(rank - bb.size()));
  s.b_shared = true;
  for (size_t i = 0; i < rank; ++i) {
    if (ad[i] != bd[i] && ad[i] != 1 && bd[i] != 1) {
      *error = "batch dimensions of A " + shape_to_string(a) + " and B " + shape_to_string(b) +
               " do not broadcast";
      return false;
    }
    od[i] = ad[i] == 1 ? bd[i] : ad[i];
    if (bd[i] != 1) s.b_shared = false;
    if (ad[i] != od[i]) s.a_identity = false;
  }
  s.batch = shape_size(od);
  s.a_index.resize(static_cast<size_t>(s.batch));
  s.b_index.resize(static_cast<size_t>(s.batch));
  for (int64_t t = 0; t < s.batch; ++t) {
    int64_t rem = t, ai = 0, bi = 0, as = 1, bs = 1;
    for (size_t d = rank; d-- > 0;) {
      const int64_t idx = rem % od[d];
      rem /= od[d];
      if (ad[d] != 1) ai += idx * as;
      if (bd[d] != 1) bi += idx * bs;
      as *= ad[d];
      bs *= bd[d];
    }
    s.a_index[static_cast<size_t>(t)] = ai;
    s.b_index[static_cast<size_t>(t)] = bi;
  }
  *out = std::move(s);
  return true;
}

namespace {

struct Operands {
  const Tensor* a;
  const Tensor* b;
  Tensor* y;
  MatMulShape s;
};

Status get_operands(KernelContext& ctx, Operands* op) {
  op->a = ctx.input(0);
  op->b = ctx.input(1);
  op->y = ctx.output(0);
  if (!op->a || !op->b || !op->y) return ctx.error("inputs A, B and output Y are required");
  std::string err;
  if (!matmul_shape(op->a->shape(), op->b->shape(), &op->s, &err)) return ctx.error(err);
  if (op->y->size() != op->s.batch * op->s.M * op->s.N) {
    return ctx.error("output Y has shape " + shape_to_string(op->y->shape()) + ", expected " +
                     std::to_string(op->s.batch * op->s.M * op->s.N) + " elements");
  }
  return Status::ok();
}

void matmul_f32(const MatMulShape& s, const float* a, const float* b, float* y,
                const PackedB* packed, ThreadPool& pool) {
  const int64_t M = s.M, N = s.N, K = s.K;
  if (s.batch * M * N == 0) return;
  if (s.b_shared && s.a_identity) {  // [batch.., M, K] x [K, N]: one GEMM with batch*M rows
    if (packed && !packed->empty() && packed->K() == K && packed->N() == N) {
      sgemm_packed(false, s.batch * M, 1.f, a, K, *packed, 0.f, y, N, &pool);
    } else {
      sgemm(false, false, s.batch * M, N, K, 1.f, a, K, b, N, 0.f, y, N, &pool);
    }
    return;
  }
  auto one = [&](int64_t t, ThreadPool* p) {
    sgemm(false, false, M, N, K, 1.f, a + s.a_index[static_cast<size_t>(t)] * M * K, K,
          b + s.b_index[static_cast<size_t>(t)] * K * N, N, 0.f, y + t * M * N, N, p);
  };
  // Small matrices (attention heads): threads over the batch; large ones: threads inside GEMM.
  if (static_cast<double>(M) * N * K < 1e6) {
    pool.parallel_for(s.batch, static_cast<double>(M) * N * K, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) one(t, nullptr);
    });
  } else {
    for (int64_t t = 0; t < s.batch; ++t) one(t, &pool);
  }
}

class MatMulF32 final : public Kernel {
 public:
  PackedB packed;  // constant 2-D B, packed once
  Status run(KernelContext& ctx) const override {
    Operands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, &op));
    matmul_f32(op.s, op.a->data<float>(), op.b->data<float>(), op.y->data<float>(), &packed,
               ctx.threads());
    return Status::ok();
  }
  const char* variant() const override { return sgemm_variant(); }
  // A packed B always matches (a constant 2-D B has no batch dims), so run() never reads B.
  bool prepacked_input(size_t i) const override { return i == 1 && !packed.empty(); }
};

// float16 / bfloat16: widen to float, multiply with SGEMM, round once at the end (more accurate
// than accumulating in 16 bits, as onnxruntime's CPU kernels also do).
class MatMulHalf final : public Kernel {
 public:
  PackedB packed;  // constant 2-D B, packed once as 16-bit panels
  Status run(KernelContext& ctx) const override {
    Operands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, &op));
    const bool use_packed = !packed.empty() && packed.K() == op.s.K && packed.N() == op.s.N;
    const int64_t na = op.a->size(), nb = use_packed ? 0 : op.b->size(), ny = op.y->size();
    float* fa = static_cast<float*>(ctx.scratch(static_cast<size_t>(na + nb + ny) * 4 + 64));
    float* fb = fa + na;
    float* fy = fb + nb;
    widen_tensor(*op.a, fa);
    if (!use_packed) widen_tensor(*op.b, fb);
    matmul_f32(op.s, fa, fb, fy, use_packed ? &packed : nullptr, ctx.threads());
    narrow_16bit(op.y->dtype(), fy, op.y->data<uint16_t>(), ny);
    return Status::ok();
  }
  const char* variant() const override { return "sgemm_widened"; }
  bool prepacked_input(size_t i) const override { return i == 1 && !packed.empty(); }
};

template <typename T>
class MatMulLoop final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    Operands op;
    ONNXRT_RETURN_IF_ERROR(get_operands(ctx, &op));
    const MatMulShape& s = op.s;
    const T* a = op.a->data<T>();
    const T* b = op.b->data<T>();
    T* y = op.y->data<T>();
    ctx.threads().parallel_for(
        s.batch * s.M, static_cast<double>(s.N) * s.K, [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t t = r / s.M, i = r % s.M;
            const T* arow = a + (s.a_index[static_cast<size_t>(t)] * s.M + i) * s.K;
            const T* bm = b + s.b_index[static_cast<size_t>(t)] * s.K * s.N;
            T* yrow = y + r * s.N;
            std::fill(yrow, yrow + s.N, T(0));
            for (int64_t k = 0; k < s.K; ++k) {
              const T av = arow[k];
              const T* brow = bm + k * s.N;
              for (int64_t j = 0; j < s.N; ++j) yrow[j] = mul_add_wrap(yrow[j], av, brow[j]);
            }
          }
        });
    return Status::ok();
  }
  const char* variant() const override { return "loop"; }
};

std::unique_ptr<Kernel> make_half(const KernelInit& init) {
  auto k = std::make_unique<MatMulHalf>();
  const Tensor* b = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
  if (b && b->dtype() == init.input_types[0]->dtype && b->rank() == 2 && b->size() > 0) {
    // Kept as 16-bit panels: the same products as float32 panels of the widened B.
    k->packed = PackedB::pack_constant(false, b->dim(0), b->dim(1), *b);
  }
  return k;
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_matmul(const KernelInit& init) {
  if (init.input_types.size() < 2 || !init.input_types[0] || !init.input_types[1]) {
    return init.error("inputs A and B are required");
  }
  const DType dt = init.input_types[0]->dtype;
  switch (dt) {
    case DType::kFloat32: {
      auto k = std::make_unique<MatMulF32>();
      const Tensor* b = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
      if (b && b->dtype() == DType::kFloat32 && b->rank() == 2 && b->size() > 0) {
        k->packed = PackedB::pack_constant(false, b->dim(0), b->dim(1), *b);
      }
      return std::unique_ptr<Kernel>(std::move(k));
    }
    case DType::kFloat16:
    case DType::kBFloat16: return make_half(init);
    case DType::kFloat64: return std::unique_ptr<Kernel>(new MatMulLoop<double>());
    case DType::kInt32: return std::unique_ptr<Kernel>(new MatMulLoop<int32_t>());
    case DType::kInt64: return std::unique_ptr<Kernel>(new MatMulLoop<int64_t>());
    case DType::kUInt32: return std::unique_ptr<Kernel>(new MatMulLoop<uint32_t>());
    case DType::kUInt64: return std::unique_ptr<Kernel>(new MatMulLoop<uint64_t>());
    default:
      return not_implemented(init.node.describe() + ": no CPU MatMul for element type " +
                             std::string(dtype_name(dt)));
  }
}

}  // namespace onnxrt::kernels
