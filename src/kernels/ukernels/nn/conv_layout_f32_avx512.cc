// Layout moves around the convolution GEMMs (see ukernels.h: copy_stride2, store_transposed).
// GCC 12 warns falsely about uninitialised temporaries inside its own avx512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

void copy_stride2_f32_avx512(const float* src, float* dst, int64_t n) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  int64_t t = 0;
  // 16 outputs read src[2t .. 2t+30]: the second load stops one float short of 32.
  for (; t + 16 <= n; t += 16) {
    const __m512 lo = _mm512_loadu_ps(src + 2 * t);
    const __m512 hi = _mm512_maskz_loadu_ps(0x7fff, src + 2 * t + 16);
    _mm512_storeu_ps(dst + t, _mm512_permutex2var_ps(lo, even, hi));
  }
  if (t < n) {
    const int64_t r = n - t, last = 2 * (r - 1) + 1;  // floats of src to read: 2r - 1
    const __mmask16 m_lo = static_cast<__mmask16>(last >= 16 ? 0xffffu : (1u << last) - 1u);
    const __mmask16 m_hi = static_cast<__mmask16>(last > 16 ? (1u << (last - 16)) - 1u : 0u);
    const __m512 lo = _mm512_maskz_loadu_ps(m_lo, src + 2 * t);
    const __m512 hi = _mm512_maskz_loadu_ps(m_hi, src + 2 * t + 16);
    _mm512_mask_storeu_ps(dst + t, static_cast<__mmask16>((1u << r) - 1u), _mm512_permutex2var_ps(lo, even, hi));
  }
}

namespace {

// r[0..15] (rows) -> r[0..15] (columns), in place.
void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  // u[4k + j]: rows 4k..4k+3 of columns j, j+4, j+8, j+12 (one per 128-bit lane).
  for (int k = 0; k < 4; ++k) {
    const __m512d a = _mm512_castps_pd(t[4 * k]), b = _mm512_castps_pd(t[4 * k + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * k + 1]), d = _mm512_castps_pd(t[4 * k + 3]);
    u[4 * k + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    u[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    u[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    u[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88);   // rows 0-7: cols j, j+8
    const __m512 v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xdd);   // rows 0-7: cols j+4, j+12
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);  // rows 8-15
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xdd);
    r[j] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
    r[j + 4] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    r[j + 12] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
  }
}

}  // namespace

void store_transposed_f32_avx512(const TransposedStoreArgs& a) {
  const __mmask16 lanes = static_cast<__mmask16>((1u << a.m) - 1u);
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  for (int half = 0; half * 16 < a.channels; ++half) {
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < a.m ? _mm512_loadu_ps(a.c + i * 32 + half * 16) : _mm512_setzero_ps();
    transpose16(r);
    const int n = a.channels - half * 16 < 16 ? a.channels - half * 16 : 16;
    for (int jj = 0; jj < n; ++jj) {
      const int j = half * 16 + jj;
      __m512 v = r[jj];
      if (a.bias) v = _mm512_add_ps(v, _mm512_set1_ps(a.bias[j]));
      if (a.z) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(lanes, a.z + j * a.ldz));
      // x86 max/min return their second operand on NaN: v second, so NaN passes (Relu(NaN) = NaN).
      if (a.clamp) v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
      _mm512_mask_storeu_ps(a.y + j * a.ldy, lanes, v);
    }
  }
}

}  // namespace onnxrt::kernels::ukernels
