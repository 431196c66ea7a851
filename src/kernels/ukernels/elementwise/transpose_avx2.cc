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

bool gather_indexed_32bit_avx2(const uint32_t* a, int64_t n, const int64_t* idx, uint32_t* b, int64_t count) {
  // Eight 32-bit indices per gather (vpgatherdd) ran no faster: DeBERTa's gather is bound by
  // streaming its int64 indices.
  const __m256i zero = _mm256_setzero_si256();
  const __m256i vn = _mm256_set1_epi64x(n);
  const __m256i last = _mm256_set1_epi64x(n - 1);
  __m256i bad = zero;
  int64_t t = 0;
  for (; t + 4 <= count; t += 4) {
    const __m256i i = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(idx + t));
    const __m256i v = _mm256_add_epi64(i, _mm256_and_si256(_mm256_cmpgt_epi64(zero, i), vn));
    // Outside [0, n) after the wrap: read element 0 instead, and remember it.
    const __m256i out = _mm256_or_si256(_mm256_cmpgt_epi64(zero, v), _mm256_cmpgt_epi64(v, last));
    bad = _mm256_or_si256(bad, out);
    const __m128i g = _mm256_i64gather_epi32(reinterpret_cast<const int*>(a), _mm256_andnot_si256(out, v), 4);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(b + t), g);
  }
  const bool tail_bad = gather_indexed_32bit_scalar(a, n, idx + t, b + t, count - t);
  return tail_bad || !_mm256_testz_si256(bad, bad);
}

}  // namespace onnxrt::kernels::ew
