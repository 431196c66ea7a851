// AVX-512 GEMM for small problems (N <= 64, K <= 256): C = alpha * op(A) * B + beta * C with A and
// B read in place. The blocked driver packs A into MR-row panels and B into NR-column panels and
// then runs 12x32 tiles; for a Linear layer of 8 features on 97 rows that packing and the tile
// set-up cost more than the arithmetic. Here each group of 4 rows keeps 4 x NV accumulators, and B
// (at most 256 x 64 floats, 64 KB) stays in L1 across the rows. A bias row (Gemm's C of shape
// [N]) is added from its own array: reading it back from C after a broadcast copy stalled every
// row on a failed store-to-load forward into the masked load.
#include <immintrin.h>

#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

// trans_a is a template argument: read at run time inside the k loop, it made GCC keep the
// accumulators on the stack (a store of every accumulator per k step).
template <int R, int NV, bool TA>
void rows(int64_t i0, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const float* bias) {
  const __mmask16 tail = (N % 16) == 0 ? __mmask16(0xffff) : __mmask16((1u << (N % 16)) - 1u);
  __m512 acc[R][NV];
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m512 b[NV];
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v)
      b[v] = v == NV - 1 ? _mm512_maskz_loadu_ps(tail, B + k * ldb + 16 * v) : _mm512_loadu_ps(B + k * ldb + 16 * v);
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float a = TA ? A[k * lda + i0 + r] : A[(i0 + r) * lda + k];
      const __m512 av = _mm512_set1_ps(a);
      #pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* c = C + (i0 + r) * ldc;
    #pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? tail : __mmask16(0xffff);
      __m512 out = _mm512_mul_ps(va, acc[r][v]);
      if (bias) {
        out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, bias + 16 * v), out);
      } else if (beta != 0.f) {
        out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, c + 16 * v), out);
      }
      _mm512_mask_storeu_ps(c + 16 * v, m, out);
    }
  }
}

template <int NV, bool TA>
void rows_of(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
             int64_t ldb, float beta, float* C, int64_t ldc, const float* bias) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) rows<4, NV, TA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
  for (; i < M; ++i) rows<1, NV, TA>(i, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

template <int NV>
void all_rows(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, bool trans_a,
              const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const float* bias) {
  if (trans_a) {
    rows_of<NV, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
  } else {
    rows_of<NV, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
  }
}

}  // namespace

void sgemm_small_avx512(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                        bool trans_a, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                        const float* bias) {
  switch ((N + 15) / 16) {
    case 1: return all_rows<1>(M, N, K, alpha, A, lda, trans_a, B, ldb, beta, C, ldc, bias);
    case 2: return all_rows<2>(M, N, K, alpha, A, lda, trans_a, B, ldb, beta, C, ldc, bias);
    case 3: return all_rows<3>(M, N, K, alpha, A, lda, trans_a, B, ldb, beta, C, ldc, bias);
    case 4: return all_rows<4>(M, N, K, alpha, A, lda, trans_a, B, ldb, beta, C, ldc, bias);
    default: return;  // callers check N <= kSmallMaxN
  }
}

}  // namespace onnxrt::kernels::ukernels
