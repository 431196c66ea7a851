// Depthwise 3x3 convolution on one channel plane, stride 1 or 2, dilation 1, any pads
// (ukernels.h, dwconv2d_3x3_f32_avx512).
// The general per-plane kernel (nn_f32_avx512.cc) copies each plane into a zero-padded one and
// then reloads every tap for every output row: 9 loads per 9 FMAs, plus a permute per tap at
// stride 2. Here the nine weights stay in registers for the whole plane, R output rows are
// computed together so that each input row is loaded (and, at stride 2, split into even and odd
// columns) once and feeds up to 3 of them, and the zero padding comes from load masks instead
// of a copy: MobileNetV2's 144 @56 stride 1 went from 288 to 180 us, 96 @112 stride 2 from 404 to
// 271 (per-plane kernels alone, 1 thread, Zen 4, loaded machine).
// Only called on CPUs with AVX-512 (the dispatcher checks).
#include <immintrin.h>

// GCC 12 reports the deliberately undefined pass-through operand of some AVX-512 intrinsics
// (avx512fintrin.h's `__m512 __Y = __Y;`) as maybe-uninitialized at -O3.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cstdint>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// Lanes j of a 16-float load at input column `c0` (c0 + j) that are inside the row [0, W).
inline __mmask16 inside_mask(int64_t c0, int64_t W) {
  const int64_t lo = std::clamp<int64_t>(-c0, 0, 16), hi = std::clamp<int64_t>(W - c0, 0, 16);
  if (hi <= lo) return 0;
  const uint32_t m = ((hi >= 16 ? 0x10000u : (1u << hi)) - 1u) & ~((1u << lo) - 1u);
  return static_cast<__mmask16>(m);
}

struct Taps {
  __m512 w[9];
  __m512 bias, lo, hi;
  bool clamp;
};

inline void store(const Taps& k, float* y, __mmask16 m, __m512 v) {
  if (k.clamp) v = _mm512_min_ps(_mm512_max_ps(v, k.lo), k.hi);
  _mm512_mask_storeu_ps(y, m, v);
}

// The loops over rows and taps are unrolled (pragmas): with a run-time row index GCC kept acc[]
// on the stack and stored an accumulator after every tap row.
// Output rows [oh, oh + R), every column, stride 1. Input row i (0 <= i < R + 2) of the band is
// row oh - ph + i; it feeds output row r = i - kh through tap row kh.
template <int R>
void rows_s1(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh) {
  for (int64_t t = 0; t < a.OW; t += 16) {
    const int64_t c0 = t - a.pw;  // input column of lane 0, tap column 0
    const __mmask16 m0 = inside_mask(c0, a.W), m1 = inside_mask(c0 + 1, a.W), m2 = inside_mask(c0 + 2, a.W);
    __m512 acc[R];
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = k.bias;
    #pragma GCC unroll 16
    for (int i = 0; i < R + 2; ++i) {
      const int64_t ih = oh - a.ph + i;
      if (ih < 0 || ih >= a.H) continue;
      // Masked-off lanes are neither read nor faulted on, so `row` may point before the row.
      const float* row = x + ih * a.W + c0;
      const __m512 v0 = _mm512_maskz_loadu_ps(m0, row);
      const __m512 v1 = _mm512_maskz_loadu_ps(m1, row + 1);
      const __m512 v2 = _mm512_maskz_loadu_ps(m2, row + 2);
      #pragma GCC unroll 16
      for (int kh = 0; kh < 3; ++kh) {
        const int r = i - kh;
        if (r < 0 || r >= R) continue;
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 0], v0, acc[r]);
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 1], v1, acc[r]);
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 2], v2, acc[r]);
      }
    }
    const __mmask16 om = inside_mask(0, a.OW - t);  // lanes < OW - t
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, om, acc[r]);
  }
}

// Stride 2: input row i (0 <= i < 2R + 1) is row 2*oh - ph + i and feeds output row r through
// tap row kh = i - 2r. Lane j of tap column kw reads input column 2(t + j) - pw + kw: the even
// (kw 0) and odd (kw 1) elements of the 32 floats from c0 = 2t - pw, and kw 2 is kw 0 moved one
// lane down with input column c0 + 32 shifted in.
template <int R>
void rows_s2(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  for (int64_t t = 0; t < a.OW; t += 16) {
    const int64_t c0 = 2 * t - a.pw;
    const __mmask16 mlo = inside_mask(c0, a.W), mhi = inside_mask(c0 + 16, a.W);
    const __mmask16 mnext = inside_mask(c0 + 32, a.W) & 1;
    __m512 acc[R];
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = k.bias;
    #pragma GCC unroll 16
    for (int i = 0; i < 2 * R + 1; ++i) {
      const int64_t ih = 2 * oh - a.ph + i;
      if (ih < 0 || ih >= a.H) continue;
      const float* row = x + ih * a.W + c0;
      const __m512 lo = _mm512_maskz_loadu_ps(mlo, row);
      const __m512 hi = _mm512_maskz_loadu_ps(mhi, row + 16);
      const __m512 next = _mm512_maskz_loadu_ps(mnext, row + 32);
      const __m512 v0 = _mm512_permutex2var_ps(lo, even, hi);
      const __m512 v1 = _mm512_permutex2var_ps(lo, odd, hi);
      const __m512 v2 = _mm512_castsi512_ps(
          _mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(v0), 1));
      #pragma GCC unroll 16
      for (int r = i / 2 - 1; r <= i / 2; ++r) {
        const int kh = i - 2 * r;
        if (r < 0 || r >= R || kh > 2) continue;
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 0], v0, acc[r]);
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 1], v1, acc[r]);
        acc[r] = _mm512_fmadd_ps(k.w[kh * 3 + 2], v2, acc[r]);
      }
    }
    const __mmask16 om = inside_mask(0, a.OW - t);
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, om, acc[r]);
  }
}

template <int S, int R>
void band(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh) {
  if constexpr (S == 1) {
    rows_s1<R>(a, x, k, y, oh);
  } else {
    rows_s2<R>(a, x, k, y, oh);
  }
}

// Bands of R rows (8 at stride 1: 10 input rows for 72 FMAs in 8 independent chains; 4 at
// stride 2, whose 9 input rows each cost 3 loads and 3 shuffles), then the last rows.
template <int S>
void plane(const DwConv2dArgs& a, const float* x, const Taps& k, float* y) {
  constexpr int R = S == 1 ? 8 : 4;
  int64_t oh = 0;
  for (; oh + R <= a.OH; oh += R) band<S, R>(a, x, k, y, oh);
  switch (a.OH - oh) {
    case 7: if constexpr (R > 7) band<S, 7>(a, x, k, y, oh); break;
    case 6: if constexpr (R > 6) band<S, 6>(a, x, k, y, oh); break;
    case 5: if constexpr (R > 5) band<S, 5>(a, x, k, y, oh); break;
    case 4: if constexpr (R > 4) band<S, 4>(a, x, k, y, oh); break;
    case 3: band<S, 3>(a, x, k, y, oh); break;
    case 2: band<S, 2>(a, x, k, y, oh); break;
    case 1: band<S, 1>(a, x, k, y, oh); break;
    default: break;
  }
}

}  // namespace

void dwconv2d_3x3_f32_avx512(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  Taps k;
  for (int i = 0; i < 9; ++i) k.w[i] = _mm512_set1_ps(w[i]);
  k.bias = _mm512_set1_ps(bias);
  k.clamp = a.clamp;
  k.lo = _mm512_set1_ps(a.lo);
  k.hi = _mm512_set1_ps(a.hi);
  if (a.sw == 1) {
    plane<1>(a, x, k, y);
  } else {
    plane<2>(a, x, k, y);
  }
}

}  // namespace onnxrt::kernels::ukernels
