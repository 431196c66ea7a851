// AVX2 dynamic quantization (see quantize.h). vmaxps / vminps return their second operand when
// either is NaN, so with the running value second a NaN element leaves it unchanged, and a NaN
// quotient clamps to 0.
#include <immintrin.h>

#include "kernels/ukernels/elementwise/quantize.h"

namespace onnxrt::kernels::ew {

void minmax_f32_avx2(const float* x, int64_t n, float* lo, float* hi) {
  __m256 mn0 = _mm256_setzero_ps(), mx0 = mn0, mn1 = mn0, mx1 = mn0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    mx0 = _mm256_max_ps(a, mx0);
    mn0 = _mm256_min_ps(a, mn0);
    mx1 = _mm256_max_ps(b, mx1);
    mn1 = _mm256_min_ps(b, mn1);
  }
  alignas(32) float lanes_lo[8], lanes_hi[8];
  _mm256_store_ps(lanes_lo, _mm256_min_ps(mn0, mn1));
  _mm256_store_ps(lanes_hi, _mm256_max_ps(mx0, mx1));
  float mn = 0, mx = 0;
  for (int j = 0; j < 8; ++j) {
    mn = lanes_lo[j] < mn ? lanes_lo[j] : mn;
    mx = lanes_hi[j] > mx ? lanes_hi[j] : mx;
  }
  for (; i < n; ++i) {
    mn = x[i] < mn ? x[i] : mn;
    mx = x[i] > mx ? x[i] : mx;
  }
  *lo = mn;
  *hi = mx;
}

void quantize_u8_avx2(const float* x, int64_t n, float scale, float zero_point, uint8_t* y) {
  const __m256 s = _mm256_set1_ps(scale), z = _mm256_set1_ps(zero_point);
  const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
  auto eight = [&](const float* p) {
    const __m256 q = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(p), s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(_mm256_add_ps(q, z), zero), top));
  };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = eight(x + i), b = eight(x + i + 8), c = eight(x + i + 16), d = eight(x + i + 24);
    // packs work per 128-bit lane: undo the lane interleave with one dword permute.
    const __m256i words = _mm256_packus_epi32(a, b), words2 = _mm256_packus_epi32(c, d);
    const __m256i bytes = _mm256_packus_epi16(words, words2);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  quantize_u8_scalar(x + i, n - i, scale, zero_point, y + i);
}

void quantize_8bit_avx2(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                        bool is_signed, uint8_t* y) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zero_point), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  // vcvtps2dq gives INT32_MIN for NaN and out-of-range values, as the scalar conversion does.
  auto eight = [&](const float* p) {
    const __m256i q = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_loadu_ps(p), s));  // rounds half to even
    return _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(q, z), vlo), vhi);
  };
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = eight(x + i), b = eight(x + i + 8), c = eight(x + i + 16), d = eight(x + i + 24);
    // Values already lie in [lo, hi], inside the byte type: the packs only narrow.
    const __m256i words = _mm256_packs_epi32(a, b), words2 = _mm256_packs_epi32(c, d);
    const __m256i bytes = is_signed ? _mm256_packs_epi16(words, words2) : _mm256_packus_epi16(words, words2);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm256_permutevar8x32_epi32(bytes, order));
  }
  quantize_8bit_scalar(x + i, n - i, scale, zero_point, lo, hi, is_signed, y + i);
}

void quantize_dequantize_f32_avx2(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                                  float* y) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i z = _mm256_set1_epi32(zero_point), vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
  // The steps of quantize_8bit_avx2, then back: q - zero_point is exact in int32 and in float32.
  auto eight = [&](const float* p) {
    const __m256i q = _mm256_cvtps_epi32(_mm256_div_ps(_mm256_loadu_ps(p), s));  // rounds half to even
    const __m256i c = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(q, z), vlo), vhi);
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(c, z)), s);
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = eight(x + i), b = eight(x + i + 8);
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
  }
  if (i + 8 <= n) {
    _mm256_storeu_ps(y + i, eight(x + i));
    i += 8;
  }
  quantize_dequantize_f32_scalar(x + i, n - i, scale, zero_point, lo, hi, y + i);
}

void requantize_8bit_avx2(const int32_t* acc, int64_t n, const double* mult, int64_t mult_stride, double zero,
                          int32_t lo, int32_t hi, uint8_t* y) {
  const __m256d z = _mm256_set1_pd(zero), vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i q[2];
    for (int h = 0; h < 2; ++h) {
      const __m256d a = _mm256_cvtepi32_pd(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + i + 4 * h)));
      const __m256d m = mult_stride ? _mm256_loadu_pd(mult + i + 4 * h) : _mm256_set1_pd(mult[0]);
      // Separate multiply and add (the product rounds first); vmaxpd returns its second operand
      // for NaN, so NaN becomes lo.
      const __m256d d = _mm256_round_pd(_mm256_add_pd(_mm256_mul_pd(a, m), z), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      q[h] = _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(d, vlo), vhi));
    }
    // Eight int32 in [lo, hi] to bytes: the byte of each is its int8 / uint8 code.
    const __m128i words = _mm_packs_epi32(q[0], q[1]);
    const __m128i bytes = lo < 0 ? _mm_packs_epi16(words, words) : _mm_packus_epi16(words, words);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(y + i), bytes);
  }
  requantize_8bit_scalar(acc + i, n - i, mult + i * mult_stride, mult_stride, zero, lo, hi, y + i);
}

}  // namespace onnxrt::kernels::ew
