// AVX-512 float32 element-wise microkernels (16 lanes).
// GCC 12 warns falsely about uninitialised temporaries inside its own avx512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <limits>

#include "kernels/ukernels/elementwise/ukernels.h"

namespace {

struct V16 {
  using reg = __m512;
  using mask = __mmask16;
  static constexpr int kLanes = 16;
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg set1(float f) { return _mm512_set1_ps(f); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg fnmadd(reg a, reg b, reg c) { return _mm512_fnmadd_ps(a, b, c); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static reg abs(reg a) { return _mm512_abs_ps(a); }
  static reg sqrt(reg a) { return _mm512_sqrt_ps(a); }
  static reg round(reg a) {
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  }
  static reg floor(reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
  static reg ceil(reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); }
  static reg ldexp(reg p, reg n) {
    // scalef computes p * 2^floor(n) with correct overflow, underflow and NaN handling.
    return _mm512_scalef_ps(p, n);
  }
  static reg exponent_field(reg t) {  // t's low 9 bits moved into the exponent field
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(t), 23));
  }
  // For a positive normal x: its significand in [1, 2), and its unbiased exponent as a float.
  static reg significand(reg x) {
    const __m512i bits = _mm512_castps_si512(x);
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(bits, _mm512_set1_epi32(0x007fffff)),
                                               _mm512_set1_epi32(0x3f800000)));
  }
  static reg exponent(reg x) {
    const __m512i e = _mm512_srli_epi32(_mm512_castps_si512(x), 23);
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(e, _mm512_set1_epi32(0xff)), _mm512_set1_epi32(127)));
  }
  static mask lt(reg a, reg b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static mask isnan(reg a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
  static reg select(mask m, reg f, reg t) { return _mm512_mask_blend_ps(m, f, t); }
  static reg copysign(reg mag, reg sgn) {
    const __m512i s = _mm512_set1_epi32(static_cast<int>(0x80000000u));
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag),
                                                         _mm512_castps_si512(sgn), s, 0xd8));
  }
};

#include "kernels/ukernels/elementwise/vec_math.inl"

}  // namespace

namespace onnxrt::kernels::ew {

void binary_f32_avx512(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb,
                       float* y, int64_t n) {
  binary_impl<V16>(op, a, sa, b, sb, y, n);
}

void unary_f32_avx512(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p) {
  unary_impl<V16>(op, x, y, n, p);
}

void lstm_cell_f32_avx512(const LstmCellArgs& a) { lstm_cell_impl<V16>(a); }

void softmax_row_f32_avx512(const float* x, const float* add, int64_t add_stride, float* y, int64_t n) {
  softmax_row_impl<V16>(x, add, add_stride, y, n);
}

void log_softmax_row_f32_avx512(const float* x, float* y, int64_t n) { log_softmax_row_impl<V16>(x, y, n); }

}  // namespace onnxrt::kernels::ew
