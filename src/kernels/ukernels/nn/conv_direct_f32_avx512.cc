// Direct convolution microkernel (ukernels.h, ConvDirectArgs): the GEMM microkernel's register
// tile (MR output channels x 32 pixels in 2*MR accumulators), but the B operand is read straight
// from the (padded) input through a tap offset table instead of from im2col panels. For convs
// with few input channels (network stems: K = 27 or 147) writing the im2col panels cost as much
// as the multiply-adds. Only called on CPUs with AVX-512 (the caller checks).
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

inline __mmask16 lane_mask(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// Everything the loop reads is copied to locals first, and the store loop has constant bounds:
// otherwise GCC kept the accumulator array in memory and stored all of it on every tap.
template <int MR, int NV>
void direct(const ConvDirectArgs& a) {
  const int64_t K = a.K, rows = a.rows;
  const int64_t* tap = a.tap;
  const float* w = a.w;
  const __mmask16 m0 = lane_mask(a.n0), m1 = NV > 1 ? lane_mask(a.n1) : __mmask16(0);
  const float* x0 = a.x0;
  const float* x1 = NV > 1 ? a.x1 : a.x0;
  __m512 acc[MR][NV];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k, w += MR) {
    const int64_t off = tap[k];
    const __m512 v0 = _mm512_maskz_loadu_ps(m0, x0 + off);
    const __m512 v1 = NV > 1 ? _mm512_maskz_loadu_ps(m1, x1 + off) : v0;
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 wi = _mm512_set1_ps(w[i]);
      acc[i][0] = _mm512_fmadd_ps(wi, v0, acc[i][0]);
      if constexpr (NV > 1) acc[i][NV - 1] = _mm512_fmadd_ps(wi, v1, acc[i][NV - 1]);
    }
  }
  const __m512 lo = _mm512_set1_ps(a.lo), hi = _mm512_set1_ps(a.hi);
  const bool clamp = a.clamp;
  const float* bias = a.bias;
  float* y0 = a.y0;
  float* y1 = a.y1;
  const int64_t ldy = a.ldy;
  const float* z0 = a.z0;
  const float* z1 = NV > 1 ? a.z1 : a.z0;
  const int64_t ldz = a.ldz;
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    if (i < rows) {
      const __m512 b = _mm512_set1_ps(bias ? bias[i] : 0.f);
      __m512 r0 = _mm512_add_ps(acc[i][0], b);
      if (z0) r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, z0 + i * ldz));
      if (clamp) r0 = _mm512_min_ps(_mm512_max_ps(r0, lo), hi);
      _mm512_mask_storeu_ps(y0 + i * ldy, m0, r0);
      if constexpr (NV > 1) {
        __m512 r1 = _mm512_add_ps(acc[i][NV - 1], b);
        if (z0) r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, z1 + i * ldz));
        if (clamp) r1 = _mm512_min_ps(_mm512_max_ps(r1, lo), hi);
        _mm512_mask_storeu_ps(y1 + i * ldy, m1, r1);
      }
    }
  }
}

}  // namespace

void conv_direct_f32_avx512(const ConvDirectArgs& a, int mr) {
  const bool two = a.x1 != nullptr;
  if (mr == 12) return two ? direct<12, 2>(a) : direct<12, 1>(a);
  return two ? direct<8, 2>(a) : direct<8, 1>(a);
}

}  // namespace onnxrt::kernels::ukernels
