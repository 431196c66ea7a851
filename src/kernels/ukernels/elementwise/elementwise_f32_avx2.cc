// AVX2+FMA float32 element-wise microkernels (8 lanes).
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "kernels/ukernels/elementwise/ukernels.h"

namespace {

struct V8 {
  using reg = __m256;
  using mask = __m256;
  static constexpr int kLanes = 8;
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg set1(float f) { return _mm256_set1_ps(f); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg fnmadd(reg a, reg b, reg c) { return _mm256_fnmadd_ps(a, b, c); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg abs(reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static reg sqrt(reg a) { return _mm256_sqrt_ps(a); }
  static reg round(reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static reg floor(reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static reg ceil(reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static reg ldexp(reg p, reg n) {
    // 2^n as two factors 2^(n/2) * 2^(n - n/2): both stay normal for n in [-150, 130].
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const reg s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const reg s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  }
  static reg exponent_field(reg t) {  // t's low 9 bits moved into the exponent field
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  }
  // For a positive normal x: its significand in [1, 2), and its unbiased exponent as a float.
  static reg significand(reg x) {
    const __m256i bits = _mm256_castps_si256(x);
    return _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                               _mm256_set1_epi32(0x3f800000)));
  }
  static reg exponent(reg x) {
    const __m256i e = _mm256_srli_epi32(_mm256_castps_si256(x), 23);
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(e, _mm256_set1_epi32(0xff)), _mm256_set1_epi32(127)));
  }
  static mask lt(reg a, reg b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static mask isnan(reg a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static reg select(mask m, reg f, reg t) { return _mm256_blendv_ps(f, t, m); }
  static reg copysign(reg mag, reg sgn) {
    const reg s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
  }
};

#include "kernels/ukernels/elementwise/vec_math.inl"

}  // namespace

namespace onnxrt::kernels::ew {

void binary_f32_avx2(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                     float* y, int64_t n) {
  binary_impl<V8>(op, a, sa, b, sb, y, n);
}

void unary_f32_avx2(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  unary_impl<V8>(op, x, y, n, p);
}

void lstm_cell_f32_avx2(const LstmCellArgs& a) { lstm_cell_impl<V8>(a); }

void softmax_row_f32_avx2(const float* x, const float* add, int64_t add_stride, float* y, int64_t n) {
  softmax_row_impl<V8>(x, add, add_stride, y, n);
}

void log_softmax_row_f32_avx2(const float* x, float* y, int64_t n) { log_softmax_row_impl<V8>(x, y, n); }

void select32_avx2(const bool* c, const uint32_t* a, int64_t sa, const uint32_t* b, int64_t sb, uint32_t* y,
                   int64_t n) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256 va = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(a[0])));
  const __m256 vb = _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(b[0])));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    // 8 condition bytes (0 or 1) widened to lanes; a lane is taken from a where it is nonzero.
    const __m128i cb = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(c + i));
    const __m256 m = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_cvtepu8_epi32(cb), zero));
    const __m256 x = sa ? _mm256_loadu_ps(reinterpret_cast<const float*>(a + i)) : va;
    const __m256 z = sb ? _mm256_loadu_ps(reinterpret_cast<const float*>(b + i)) : vb;
    _mm256_storeu_ps(reinterpret_cast<float*>(y + i), _mm256_blendv_ps(z, x, m));
  }
  for (; i < n; ++i) y[i] = c[i] ? a[i * sa] : b[i * sb];
}

}  // namespace onnxrt::kernels::ew
