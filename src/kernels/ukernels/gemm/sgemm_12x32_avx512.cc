// AVX-512 microkernel: a 12x32 tile is 24 zmm accumulators, leaving room for the two B vectors
// and the broadcast (31 of 32 registers would be the 14-row maximum; 12 measured as fast and
// leaves the compiler slack). Per k: 2 B loads + 12 broadcasts feed 24 FMAs.
// The right edge uses masked loads and stores, so an unpacked B is never read past column n.
#include <immintrin.h>

#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

template <int MR>
void tile(int64_t n, int64_t K, const float* a, const float* b, int64_t ldb, float* c,
          int64_t ldc, float alpha, float beta) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
  const __mmask16 m1 =
      n >= 32 ? __mmask16(0xffff) : (n > 16 ? __mmask16((1u << (n - 16)) - 1u) : __mmask16(0));
  __m512 acc0[MR];
  __m512 acc1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  if (n == kNr) {
#pragma GCC unroll 2
    for (int64_t k = 0; k < K; ++k) {
      const __m512 b0 = _mm512_loadu_ps(b);
      const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
      }
      a += MR;
      b += ldb;
    }
  } else {
    for (int64_t k = 0; k < K; ++k) {
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
      const __m512 b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
      }
      a += MR;
      b += ldb;
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.f) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      _mm512_mask_storeu_ps(c + i * ldc, m0, _mm512_mul_ps(va, acc0[i]));
      _mm512_mask_storeu_ps(c + i * ldc + 16, m1, _mm512_mul_ps(va, acc1[i]));
    }
  } else {
    const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      const __m512 c0 = _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, ci));
      const __m512 c1 = _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16));
      _mm512_mask_storeu_ps(ci, m0, _mm512_fmadd_ps(va, acc0[i], c0));
      _mm512_mask_storeu_ps(ci + 16, m1, _mm512_fmadd_ps(va, acc1[i], c1));
    }
  }
}

// n <= 16: one vector per row. Narrow outputs (small Linear layers, the last panel of a
// matrix) would otherwise spend half of every k step on FMAs into a fully masked vector.
template <int MR>
void tile_narrow(int64_t n, int64_t K, const float* a, const float* b, int64_t ldb, float* c,
                 int64_t ldc, float alpha, float beta) {
  const __mmask16 m0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
  __m512 acc[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc[i]);
    a += MR;
    b += ldb;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m512 v = _mm512_mul_ps(va, acc[i]);
    if (beta != 0.f) v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m0, ci), v);
    _mm512_mask_storeu_ps(ci, m0, v);
  }
}

template <int MR>
void tile_any(int64_t n, int64_t K, const float* a, const float* b, int64_t ldb, float* c,
              int64_t ldc, float alpha, float beta) {
  if (n <= 16) return tile_narrow<MR>(n, K, a, b, ldb, c, ldc, alpha, beta);
  tile<MR>(n, K, a, b, ldb, c, ldc, alpha, beta);
}

void ukernel(int64_t m, int64_t n, int64_t k, const float* a, const float* b, int64_t ldb,
             float* c, int64_t ldc, float alpha, float beta) {
  switch (m) {
    case 1: return tile_any<1>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 2: return tile_any<2>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 3: return tile_any<3>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 4: return tile_any<4>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 5: return tile_any<5>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 6: return tile_any<6>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 7: return tile_any<7>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 8: return tile_any<8>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 9: return tile_any<9>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 10: return tile_any<10>(n, k, a, b, ldb, c, ldc, alpha, beta);
    case 11: return tile_any<11>(n, k, a, b, ldb, c, ldc, alpha, beta);
    default: return tile_any<12>(n, k, a, b, ldb, c, ldc, alpha, beta);
  }
}

}  // namespace

SgemmUkernel sgemm_ukernel_avx512() { return {kMr, kNr, &ukernel, "sgemm_12x32_avx512"}; }

}  // namespace onnxrt::kernels::ukernels
