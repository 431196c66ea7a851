// AVX2+FMA row-panel microkernel (sgemm.h, SgemmRowsFn): tiles of up to 4 rows x 3 vectors of 8
// columns, 12 accumulators + 3 panel vectors + 1 broadcast = 16 ymm registers.
#include <immintrin.h>

#include "kernels/ukernels/gemm/sgemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

inline __m256i lane_mask(int64_t valid) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(valid)), idx);
}

// MR rows (<= 4) x NV vectors of the panel (row stride NV * 8).
template <int MR, int NV>
void tile(int64_t n, int64_t K, const float* a, int64_t lda, const float* p, float* c, int64_t ldc) {
  __m256 acc[MR][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  const float* a_row[4] = {a, a + (MR > 1 ? lda : 0), a + (MR > 2 ? 2 * lda : 0), a + (MR > 3 ? 3 * lda : 0)};
#pragma GCC unroll 2
  for (int64_t k = 0; k < K; ++k) {
    __m256 b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(p + v * 8);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a_row[i] + k);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, b[v], acc[i][v]);
    }
    p += NV * 8;
  }
  // Every vector but the last is whole; the last is masked only when n is not a multiple of 8
  // (maskstore is microcoded on AMD: keep it off the common path).
  const int64_t tail = n - (NV - 1) * 8;
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v + 1 < NV; ++v) _mm256_storeu_ps(ci + v * 8, acc[i][v]);
    if (tail == 8) {
      _mm256_storeu_ps(ci + (NV - 1) * 8, acc[i][NV - 1]);
    } else {
      _mm256_maskstore_ps(ci + (NV - 1) * 8, lane_mask(tail), acc[i][NV - 1]);
    }
  }
}

template <int NV>
void rows(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p, float* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= m; i += 4) tile<4, NV>(n, K, a + i * lda, lda, p, c + i * ldc, ldc);
  switch (m - i) {
    case 1: return tile<1, NV>(n, K, a + i * lda, lda, p, c + i * ldc, ldc);
    case 2: return tile<2, NV>(n, K, a + i * lda, lda, p, c + i * ldc, ldc);
    case 3: return tile<3, NV>(n, K, a + i * lda, lda, p, c + i * ldc, ldc);
    default: return;
  }
}

}  // namespace

void sgemm_rows_avx2(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p,
                     float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (n > 16) return rows<3>(m, n, K, a, lda, p, c, ldc);
  if (n > 8) return rows<2>(m, n, K, a, lda, p, c, ldc);
  return rows<1>(m, n, K, a, lda, p, c, ldc);
}

}  // namespace onnxrt::kernels::ukernels
