// A 16x16 float transpose in AVX-512 registers, for the microkernels that move data between
// channel planes and 16-channel (or 16-pixel) vectors: dwconv_c16 (both directions) and the
// pixel-row GEMM's transposed store (conv_layout). Include only from *_avx512.cc files, which are
// compiled with the AVX-512 flags.
#pragma once

#include <immintrin.h>

namespace onnxrt::kernels::ukernels {

// v[r] (row r of a 16x16 matrix) becomes column r, in place.
inline void transpose16(__m512 v[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);      // per 128-bit lane: a0 b0 a1 b1
    t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);  //                   a2 b2 a3 b3
  }
  __m512 u[16];
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    // u[4i+k], 128-bit lane L: element 4L+k of rows 4i..4i+3.
    u[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // Column 4L+k gathers lane L of u[k], u[4+k], u[8+k], u[12+k]: a 4x4 transpose of lanes.
  for (int k = 0; k < 4; ++k) {
    const __m512 p0 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x44);
    const __m512 p1 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xEE);
    const __m512 p2 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x44);
    const __m512 p3 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xEE);
    v[k] = _mm512_shuffle_f32x4(p0, p2, 0x88);
    v[4 + k] = _mm512_shuffle_f32x4(p0, p2, 0xDD);
    v[8 + k] = _mm512_shuffle_f32x4(p1, p3, 0x88);
    v[12 + k] = _mm512_shuffle_f32x4(p1, p3, 0xDD);
  }
}

}  // namespace onnxrt::kernels::ukernels
