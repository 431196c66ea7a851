// AVX2 2-D transpose of 32-bit elements (transpose.h): 8x8 blocks in registers.
#include <immintrin.h>

#include "kernels/ukernels/elementwise/transpose.h"

namespace onnxrt::kernels::ew {

namespace {

// b[r*ldb + c] = a[c*lda + r] for r, c < 8.
inline void block8x8(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb) {
  __m256 r[8], t[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(reinterpret_cast<const float*>(a + k * lda));
  // Interleave pairs of rows, then pairs of pairs: each 128-bit lane then holds a 4x4 block.
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
    t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  }
  for (int k = 0; k < 8; k += 4) {
    r[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
    r[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
    r[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
    r[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
  }
  // Output row c (c < 4) is lane 0 of r[c] and r[c + 4]; row c + 4 their lanes 1.
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(reinterpret_cast<float*>(b + k * ldb), _mm256_permute2f128_ps(r[k], r[k + 4], 0x20));
    _mm256_storeu_ps(reinterpret_cast<float*>(b + (k + 4) * ldb), _mm256_permute2f128_ps(r[k], r[k + 4], 0x31));
  }
}

}  // namespace

void transpose_32bit_avx2(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb, int64_t m, int64_t n) {
  const int64_t m8 = m / 8 * 8, n8 = n / 8 * 8;
  for (int64_t i = 0; i < m8; i += 8)
    for (int64_t j = 0; j < n8; j += 8) block8x8(a + j * lda + i, lda, b + i * ldb + j, ldb);
  if (n8 < n) transpose_32bit_scalar(a + n8 * lda, lda, b + n8, ldb, m8, n - n8);
  if (m8 < m) transpose_32bit_scalar(a + m8, lda, b + m8 * ldb, ldb, m - m8, n);
}

void gather_stride2_32bit_avx2(const uint32_t* a, uint32_t* b, int64_t n) {
  int64_t i = 0;
  // i + 8 < n: the second load's last element a[2i + 15] is at most a[2n - 3].
  for (; i + 8 < n; i += 8) {
    const __m256 lo = _mm256_loadu_ps(reinterpret_cast<const float*>(a + 2 * i));
    const __m256 hi = _mm256_loadu_ps(reinterpret_cast<const float*>(a + 2 * i + 8));
    // Per 128-bit lane: lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6; then the 64-bit pairs in order.
    const __m256 even = _mm256_shuffle_ps(lo, hi, 0x88);
    _mm256_storeu_ps(reinterpret_cast<float*>(b + i),
                     _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), 0xD8)));
  }
  gather_stride2_32bit_scalar(a + 2 * i, b + i, n - i);
}

}  // namespace onnxrt::kernels::ew
