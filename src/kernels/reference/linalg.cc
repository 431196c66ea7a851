// Reference MatMul and Gemm: one output element at a time from its multi-index, accumulating
// in double (floats) or with wrap-around (integers). Slow and obviously right: the oracle that
// the SGEMM-based kernels are tested against.
#include <algorithm>
#include <string>
#include <type_traits>

#include "base/half.h"
#include "ir/attribute.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {
namespace {

// Element access that widens 16-bit floats; everything else is its own type.
template <typename T, DType D>
struct Elem {
  static constexpr bool kHalf = D == DType::kFloat16 || D == DType::kBFloat16;
  using Acc = std::conditional_t<std::is_integral_v<T> && !kHalf, T, double>;
  static Acc load(const void* p, int64_t i) {
    const T v = static_cast<const T*>(p)[i];
    if constexpr (D == DType::kFloat16) return half_to_float(v);
    else if constexpr (D == DType::kBFloat16) return bfloat16_to_float(v);
    else return static_cast<Acc>(v);
  }
  static void store(void* p, int64_t i, Acc v) {
    T* d = static_cast<T*>(p);
    if constexpr (D == DType::kFloat16) d[i] = float_to_half(static_cast<float>(v));
    else if constexpr (D == DType::kBFloat16) d[i] = float_to_bfloat16(static_cast<float>(v));
    else d[i] = static_cast<T>(v);
  }
  static Acc mul_add(Acc acc, Acc a, Acc b) {
    if constexpr (std::is_integral_v<Acc>) {
      using U = std::make_unsigned_t<Acc>;
      return static_cast<Acc>(static_cast<U>(acc) + static_cast<U>(a) * static_cast<U>(b));
    } else {
      return acc + a * b;
    }
  }
};

template <typename E>
Status matmul_ref(KernelContext& ctx) {
  const Tensor* A = ctx.input(0);
  const Tensor* B = ctx.input(1);
  Tensor* Y = ctx.output(0);
  if (!A || !B || !Y) return ctx.error("inputs A, B and output Y are required");
  Shape a = A->shape(), b = B->shape();
  if (a.empty() || b.empty()) return ctx.error("inputs must have rank >= 1");
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  const int64_t K = a.back();
  if (b[b.size() - 2] != K) {
    return ctx.error("inner dimensions differ: K=" + std::to_string(K) + " vs " +
                     std::to_string(b[b.size() - 2]));
  }
  // Output with the promoted dims kept: [batch..., M, N].
  const size_t rank = std::max(a.size(), b.size());
  a.insert(a.begin(), rank - a.size(), 1);
  b.insert(b.begin(), rank - b.size(), 1);
  Shape o(rank);
  for (size_t d = 0; d + 2 < rank; ++d) {
    if (a[d] != b[d] && a[d] != 1 && b[d] != 1) return ctx.error("batch dims do not broadcast");
    o[d] = std::max(a[d], b[d]);
    if (a[d] == 0 || b[d] == 0) o[d] = 0;
  }
  o[rank - 2] = a[rank - 2];
  o[rank - 1] = b[rank - 1];
  if (shape_size(o) != Y->size()) return ctx.error("output size does not match");
  std::vector<int64_t> idx(rank);
  for (int64_t t = 0; t < Y->size(); ++t) {
    int64_t rem = t;
    for (size_t d = rank; d-- > 0;) {
      idx[d] = rem % o[d];
      rem /= o[d];
    }
    // Offsets of A[..., i, 0] and B[..., 0, j] with broadcast batch dims.
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t ai = d == rank - 1 ? 0 : (a[d] == 1 ? 0 : idx[d]);
      const int64_t bi = d == rank - 2 ? 0 : (b[d] == 1 ? 0 : idx[d]);
      ao = ao * a[d] + ai;
      bo = bo * b[d] + bi;
    }
    typename E::Acc acc = 0;
    for (int64_t k = 0; k < K; ++k) {
      acc = E::mul_add(acc, E::load(A->raw(), ao + k), E::load(B->raw(), bo + k * o[rank - 1]));
    }
    E::store(Y->raw(), t, acc);
  }
  return Status::ok();
}

// beta == 0 or C absent: C is ignored (the CPU kernels' contract, see linalg_gemm.cc).
template <typename E>
Status gemm_ref(KernelContext& ctx) {
  ir::AttrReader r(ctx.node());
  const bool ta = r.i("transA", 0) != 0, tb = r.i("transB", 0) != 0;
  const double alpha = r.f("alpha", 1.f), beta = r.f("beta", 1.f);
  ONNXRT_RETURN_IF_ERROR(r.status());
  const Tensor* A = ctx.input(0);
  const Tensor* B = ctx.input(1);
  const Tensor* C = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* Y = ctx.output(0);
  if (!A || !B || !Y || A->rank() != 2 || B->rank() != 2) return ctx.error("A, B must be 2-D");
  const int64_t M = ta ? A->dim(1) : A->dim(0), K = ta ? A->dim(0) : A->dim(1);
  const int64_t N = tb ? B->dim(0) : B->dim(1);
  if ((tb ? B->dim(1) : B->dim(0)) != K) return ctx.error("inner dimensions differ");
  if (Y->size() != M * N) return ctx.error("output size does not match");
  int64_t cm = 1, cn = 1;
  if (C) {
    if (C->rank() > 2) return ctx.error("C must have rank <= 2");
    if (C->rank() >= 1) cn = C->dim(C->rank() - 1);
    if (C->rank() == 2) cm = C->dim(0);
    if ((cm != 1 && cm != M) || (cn != 1 && cn != N)) return ctx.error("C does not broadcast");
  }
  const bool use_c = C && beta != 0.0;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      typename E::Acc acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        acc = E::mul_add(acc, E::load(A->raw(), ta ? k * M + i : i * K + k),
                         E::load(B->raw(), tb ? j * K + k : k * N + j));
      }
      typename E::Acc c = use_c ? E::load(C->raw(), (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)) : 0;
      if constexpr (std::is_integral_v<typename E::Acc>) {
        if (alpha == 1.0 && (beta == 1.0 || !use_c)) {
          E::store(Y->raw(), i * N + j, E::mul_add(acc, c, 1));
          continue;
        }
      }
      E::store(Y->raw(), i * N + j,
               static_cast<typename E::Acc>(alpha * static_cast<double>(acc) +
                                            beta * static_cast<double>(c)));
    }
  }
  return Status::ok();
}

using F32 = Elem<float, DType::kFloat32>;
using F64 = Elem<double, DType::kFloat64>;
using F16 = Elem<uint16_t, DType::kFloat16>;
using BF16 = Elem<uint16_t, DType::kBFloat16>;
using I32 = Elem<int32_t, DType::kInt32>;
using I64 = Elem<int64_t, DType::kInt64>;
using U32 = Elem<uint32_t, DType::kUInt32>;
using U64 = Elem<uint64_t, DType::kUInt64>;

constexpr KernelEntry kReferenceLinalg[] = {
    {"", "MatMul", 1, kMaxOpset, DType::kFloat32, &fn_factory<&matmul_ref<F32>>},
    {"", "MatMul", 1, kMaxOpset, DType::kFloat16, &fn_factory<&matmul_ref<F16>>},
    {"", "MatMul", 1, kMaxOpset, DType::kFloat64, &fn_factory<&matmul_ref<F64>>},
    {"", "MatMul", 9, kMaxOpset, DType::kInt32, &fn_factory<&matmul_ref<I32>>},
    {"", "MatMul", 9, kMaxOpset, DType::kInt64, &fn_factory<&matmul_ref<I64>>},
    {"", "MatMul", 9, kMaxOpset, DType::kUInt32, &fn_factory<&matmul_ref<U32>>},
    {"", "MatMul", 9, kMaxOpset, DType::kUInt64, &fn_factory<&matmul_ref<U64>>},
    {"", "MatMul", 13, kMaxOpset, DType::kBFloat16, &fn_factory<&matmul_ref<BF16>>},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat32, &fn_factory<&gemm_ref<F32>>},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat16, &fn_factory<&gemm_ref<F16>>},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat64, &fn_factory<&gemm_ref<F64>>},
    {"", "Gemm", 9, kMaxOpset, DType::kInt32, &fn_factory<&gemm_ref<I32>>},
    {"", "Gemm", 9, kMaxOpset, DType::kInt64, &fn_factory<&gemm_ref<I64>>},
    {"", "Gemm", 9, kMaxOpset, DType::kUInt32, &fn_factory<&gemm_ref<U32>>},
    {"", "Gemm", 9, kMaxOpset, DType::kUInt64, &fn_factory<&gemm_ref<U64>>},
    {"", "Gemm", 11, kMaxOpset, DType::kBFloat16, &fn_factory<&gemm_ref<BF16>>},
};

}  // namespace

std::span<const KernelEntry> reference_linalg_kernels() { return kReferenceLinalg; }

}  // namespace onnxrt::kernels
