// AVX2 integer tile (see igemm.h): per k pair, 2 loads of B (16 columns x 2 int16 each), one
// 32-bit broadcast of A per row, and a vpmaddwd + vpaddd per accumulator. 12 accumulators, 2 B
// vectors and a broadcast fill 15 of the 16 ymm registers.
#include <immintrin.h>

#include "kernels/ukernels/gemm/igemm.h"

namespace onnxrt::kernels::ukernels {
namespace {

// B as int16 (the packed layout) or int8 (the narrow layout, sign-extended as it is loaded).
inline __m256i load_b(const int16_t* b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)); }
inline __m256i load_b(const int8_t* b) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
}

template <int MR, typename TB>
void tile(int64_t n, int64_t pairs, const int16_t* a, const TB* b, int32_t* c, int64_t ldc, bool accumulate) {
  __m256i acc0[MR], acc1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = _mm256_setzero_si256();
  const int32_t* a32 = reinterpret_cast<const int32_t*>(a);  // one int32 = one (a0, a1) pair
#pragma GCC unroll 2
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i b0 = load_b(b);
    const __m256i b1 = load_b(b + 16);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      __builtin_memcpy(&pair, a32 + i, 4);
      const __m256i ai = _mm256_set1_epi32(pair);
      acc0[i] = _mm256_add_epi32(acc0[i], _mm256_madd_epi16(ai, b0));
      acc1[i] = _mm256_add_epi32(acc1[i], _mm256_madd_epi16(ai, b1));
    }
    a32 += MR;
    b += 2 * kIgemmCols;
  }
  if (n == kIgemmCols) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      __m256i* ci = reinterpret_cast<__m256i*>(c + i * ldc);
      if (accumulate) {
        acc0[i] = _mm256_add_epi32(acc0[i], _mm256_loadu_si256(ci));
        acc1[i] = _mm256_add_epi32(acc1[i], _mm256_loadu_si256(ci + 1));
      }
      _mm256_storeu_si256(ci, acc0[i]);
      _mm256_storeu_si256(ci + 1, acc1[i]);
    }
    return;
  }
  // Right edge: through a buffer, so that C is never touched past column n. (The unrolled store
  // loop keeps the accumulators in registers: indexed by a run-time loop, gcc kept them on the
  // stack and stored them there on every k pair, at three quarters of the full tile's speed.)
  alignas(32) int32_t buf[MR][kIgemmCols];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(buf[i]), acc0[i]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(buf[i] + 8), acc1[i]);
  }
  for (int i = 0; i < MR; ++i) {
    int32_t* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j)
      ci[j] = static_cast<int32_t>(static_cast<uint32_t>(buf[i][j]) + (accumulate ? static_cast<uint32_t>(ci[j]) : 0u));
  }
}

template <typename TB>
void tile_rows(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const TB* b, int32_t* c, int64_t ldc,
               bool accumulate) {
  switch (m) {
    case 1: return tile<1>(n, pairs, a, b, c, ldc, accumulate);
    case 2: return tile<2>(n, pairs, a, b, c, ldc, accumulate);
    case 3: return tile<3>(n, pairs, a, b, c, ldc, accumulate);
    case 4: return tile<4>(n, pairs, a, b, c, ldc, accumulate);
    case 5: return tile<5>(n, pairs, a, b, c, ldc, accumulate);
    default: return tile<6>(n, pairs, a, b, c, ldc, accumulate);
  }
}

}  // namespace

void igemm_tile_avx2(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int16_t* b, int32_t* c,
                     int64_t ldc, bool accumulate) {
  tile_rows(m, n, pairs, a, b, c, ldc, accumulate);
}

void igemm_tile_narrow_avx2(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int8_t* b, int32_t* c,
                            int64_t ldc, bool accumulate) {
  tile_rows(m, n, pairs, a, b, c, ldc, accumulate);
}

void igemm_pack_panel_avx2(const uint8_t* b, bool is_signed, int64_t ld, int64_t K, int64_t nc, const int16_t* z,
                           int16_t* panel) {
  if (nc != kIgemmCols) return igemm_pack_panel_scalar(b, is_signed, ld, K, nc, z, panel);
  const __m256i zv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(z));
  auto row16 = [&](int64_t k) {
    if (k >= K) return _mm256_setzero_si256();
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k * ld));
    return _mm256_sub_epi16(is_signed ? _mm256_cvtepi8_epi16(bytes) : _mm256_cvtepu8_epi16(bytes), zv);
  };
  for (int64_t k = 0; k < K; k += 2, panel += 2 * kIgemmCols) {
    const __m256i r0 = row16(k), r1 = row16(k + 1);
    // unpack interleaves within 128-bit lanes: lo holds columns 0-3 | 8-11, hi 4-7 | 12-15.
    const __m256i lo = _mm256_unpacklo_epi16(r0, r1), hi = _mm256_unpackhi_epi16(r0, r1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(panel), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(panel + 16), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}

void gemv_int8w_avx2(const float* x, int64_t K, const int8_t* q, int64_t ldq, int64_t n, float* acc) {
  if (K == 0) return gemv_int8w_scalar(x, K, q, ldq, n, acc);  // zeros; q may be null (no rows)
  int64_t j = 0;
  // 32 columns at a time: 4 accumulators, each int8 group of 8 widened to int32, then to float.
  for (; j + 32 <= n; j += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    const int8_t* col = q + j;
    for (int64_t k = 0; k < K; ++k, col += ldq) {
      const __m256 xk = _mm256_broadcast_ss(x + k);
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col));
      const __m128i lo = _mm256_castsi256_si128(b), hi = _mm256_extracti128_si256(b, 1);
      a0 = _mm256_fmadd_ps(xk, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), a0);
      a1 = _mm256_fmadd_ps(xk, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), a1);
      a2 = _mm256_fmadd_ps(xk, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), a2);
      a3 = _mm256_fmadd_ps(xk, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), a3);
    }
    _mm256_storeu_ps(acc + j, a0);
    _mm256_storeu_ps(acc + j + 8, a1);
    _mm256_storeu_ps(acc + j + 16, a2);
    _mm256_storeu_ps(acc + j + 24, a3);
  }
  if (j < n) gemv_int8w_scalar(x, K, q + j, ldq, n - j, acc + j);
}

void igemm_widen_avx2(const int8_t* src, int64_t n, int16_t* dst) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 16), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)));
  }
  igemm_widen_scalar(src + i, n - i, dst + i);
}

}  // namespace onnxrt::kernels::ukernels
