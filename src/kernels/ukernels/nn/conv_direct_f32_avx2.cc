// Direct convolution microkernel for AVX2 (ukernels.h, ConvDirectArgs): MR output channels x up
// to 2 vectors of 8 pixels, summed over K taps read through the tap table, with bias, residual
// and clamp applied before the only store. The AVX2 counterpart of conv_direct_f32_avx512.cc:
// without it AVX2 CPUs ran network stems and short-K pointwise convs as im2col GEMMs followed by
// an epilogue pass over every output (MobileNetV2's 3->32 stem: 0.83 ms vs onnxruntime's 0.41).
// Only called on CPUs with AVX2 and FMA (the caller checks).
#include <immintrin.h>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// A pixel vector of n (1..8) floats: masked loads only for partial vectors (slow on AMD cores).
inline __m256 load_pixels(const float* p, int64_t n, __m256i m) {
  return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

// 16 vector registers: MR = 6 with two pixel vectors is 12 accumulators, two inputs and the
// broadcast weight. Everything the loop reads is copied to locals first (as in the AVX-512 kernel:
// GCC otherwise kept the accumulators in memory).
template <int MR, int NV>
void direct(const ConvDirectArgs& a) {
  const int64_t K = a.K, rows = a.rows;
  const int64_t* tap = a.tap;
  const float* w = a.w;
  const int64_t n0 = a.n0, n1 = NV > 1 ? a.n1 : 0;
  const __m256i m0 = tail_mask(n0), m1 = tail_mask(n1);
  const float* x0 = a.x0;
  const float* x1 = NV > 1 ? a.x1 : a.x0;
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k, w += MR) {
    const int64_t off = tap[k];
    const __m256 v0 = load_pixels(x0 + off, n0, m0);
    const __m256 v1 = NV > 1 ? load_pixels(x1 + off, n1, m1) : v0;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m256 wi = _mm256_broadcast_ss(w + i);
      acc[i][0] = _mm256_fmadd_ps(wi, v0, acc[i][0]);
      if constexpr (NV > 1) acc[i][NV - 1] = _mm256_fmadd_ps(wi, v1, acc[i][NV - 1]);
    }
  }
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  const bool clamp = a.clamp;
  const float* bias = a.bias;
  float* y0 = a.y0;
  float* y1 = a.y1;
  const int64_t ldy = a.ldy;
  const float* z0 = a.z0;
  const float* z1 = NV > 1 ? a.z1 : a.z0;
  const int64_t ldz = a.ldz;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (i < rows) {
      const __m256 b = _mm256_set1_ps(bias ? bias[i] : 0.f);
      __m256 r0 = _mm256_add_ps(acc[i][0], b);
      if (z0) r0 = _mm256_add_ps(r0, load_pixels(z0 + i * ldz, n0, m0));
      if (clamp) r0 = _mm256_min_ps(_mm256_max_ps(r0, lo), hi);
      store_n(y0 + i * ldy, r0, n0);
      if constexpr (NV > 1) {
        __m256 r1 = _mm256_add_ps(acc[i][NV - 1], b);
        if (z0) r1 = _mm256_add_ps(r1, load_pixels(z1 + i * ldz, n1, m1));
        if (clamp) r1 = _mm256_min_ps(_mm256_max_ps(r1, lo), hi);
        store_n(y1 + i * ldy, r1, n1);
      }
    }
  }
}

}  // namespace

void conv_direct_f32_avx2(const ConvDirectArgs& a, int mr) {
  const bool two = a.x1 != nullptr;
  if (mr == 6) return two ? direct<6, 2>(a) : direct<6, 1>(a);
  return two ? direct<4, 2>(a) : direct<4, 1>(a);
}

}  // namespace onnxrt::kernels::ukernels
