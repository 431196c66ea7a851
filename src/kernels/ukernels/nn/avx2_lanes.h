// Partial-vector stores, lane masks, stride-2 shuffles and the 8x8 transpose for the AVX2 nn
// microkernels. Include only from *_avx2.cc files (built with -mavx2 -mfma); internal linkage so
// that no other build of them can be linked in.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace onnxrt::kernels::ukernels {
namespace {

// Lanes [0, n) set, n clamped to 0..8.
inline __m256i tail_mask(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 0 ? 0 : n < 8 ? n : 8)), idx);
}

// Lanes j of an 8-float load at column c0 (column c0 + j) that are inside the row [0, W): lanes
// [lo, hi), computed in 64 bits so that no row width can wrap the 32-bit lane compare.
inline __m256i inside_mask(int64_t c0, int64_t W) {
  const int64_t lo = c0 >= 0 ? 0 : (-c0 < 8 ? -c0 : 8), hi = W - c0 <= 0 ? 0 : (W - c0 < 8 ? W - c0 : 8);
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i below = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(lo)), idx);      // j < lo
  const __m256i before_end = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(hi)), idx);  // j < hi
  return _mm256_andnot_si256(below, before_end);
}

// The first n (1..8) lanes of v to y. A masked store (vmaskmovps) is microcoded on AMD cores and
// a memcpy call per short row cost more than the row's arithmetic on 7x7 planes: at most three
// plain stores instead.
inline void store_n(float* y, __m256 v, int64_t n) {
  if (n >= 8) return _mm256_storeu_ps(y, v);
  __m128 part = _mm256_castps256_ps128(v);
  if (n >= 4) {
    _mm_storeu_ps(y, part);
    part = _mm256_extractf128_ps(v, 1);
    y += 4, n -= 4;
  }
  if (n >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(y), part);
    part = _mm_movehl_ps(part, part);
    y += 2, n -= 2;
  }
  if (n == 1) _mm_store_ss(y, part);
}

// The even (odd) elements of the 16 floats lo:hi in "shuffle order" 0 1 4 5 2 3 6 7: the shuffle
// works within 128-bit lanes, and putting them in order costs a cross-lane permute. Stride-2
// kernels whose per-lane operations do not mix lanes (FMAs with broadcast weights, maxima) keep
// their results in this order and put them in order once per output vector (in_order).
inline __m256 even_of(__m256 lo, __m256 hi) { return _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)); }
inline __m256 odd_of(__m256 lo, __m256 hi) { return _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)); }
inline __m256 in_order(__m256 v) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}

// v[r] (row r of an 8x8 matrix) becomes column r, in place.
inline void transpose8(__m256 v[8]) {
  __m256 t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);      // per 128-bit lane: a0 b0 a1 b1
    t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);  //                   a2 b2 a3 b3
  }
  __m256 u[8];
  for (int i = 0; i < 2; ++i) {
    // u[4i+k], 128-bit lane L: element 4L+k of rows 4i..4i+3.
    u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // Column k (k < 4) is the low lane of u[k] then the low lane of u[4+k]; column 4+k the highs.
  for (int k = 0; k < 4; ++k) {
    v[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
    v[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
  }
}

}  // namespace
}  // namespace onnxrt::kernels::ukernels
