// Layout moves around the convolution GEMMs (see ukernels.h: copy_stride2, store_transposed).
// GCC 12 warns falsely about uninitialised temporaries inside its own avx512 intrinsics.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/ukernels/nn/transpose16_avx512.h"
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
