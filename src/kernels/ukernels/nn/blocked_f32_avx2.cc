// AVX2 microkernels on the channel-blocked layout (blocked.h). Only called on CPUs with AVX2 and
// FMA (blocked_ukernels() checks).
#include <immintrin.h>

#include <algorithm>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/blocked.h"

namespace onnxrt::kernels::ukernels {

namespace {

// Bias, residual z (at y's offsets, may be null) and clamp on a tile of accumulators, then the
// only store of y.
template <int OB, int PX>
inline void finish_tile(const __m256 (&acc)[PX][OB], const float* bias_p, const float* z_p, float* y_p,
                        int64_t y_block_stride, bool clamp, float lo_f, float hi_f) {
  const __m256 lo = _mm256_set1_ps(lo_f), hi = _mm256_set1_ps(hi_f);
#pragma GCC unroll 3
  for (int b = 0; b < OB; ++b) {
    const __m256 bias = bias_p ? _mm256_loadu_ps(bias_p + b * 8) : _mm256_setzero_ps();
    float* y = y_p + b * y_block_stride;
    const float* z = z_p ? z_p + b * y_block_stride : nullptr;
#pragma GCC unroll 8
    for (int p = 0; p < PX; ++p) {
      __m256 v = _mm256_add_ps(acc[p][b], bias);
      if (z) v = _mm256_add_ps(v, _mm256_loadu_ps(z + p * 8));
      if (clamp) v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
      _mm256_storeu_ps(y + p * 8, v);
    }
  }
}

// OB blocks x PX pixels of accumulators (12 of the 16 registers, 8 for one block), OB weight
// vectors and one broadcast input: per input channel OB loads and PX broadcasts feed OB*PX FMAs.
// Accumulators are plain locals indexed by constants after unrolling (GCC otherwise kept an
// array of them in memory, as noted in conv_direct_f32_avx2.cc).
template <int OB, int PX, int XSTEP>
void pointwise(const BlockedPointwiseArgs& a) {
  __m256 acc[PX][OB];
#pragma GCC unroll 8
  for (int p = 0; p < PX; ++p)
#pragma GCC unroll 3
    for (int b = 0; b < OB; ++b)
      acc[p][b] = a.accumulate ? _mm256_loadu_ps(a.y + b * a.y_block_stride + p * 8) : _mm256_setzero_ps();
  const int64_t xs = a.x_block_stride;
  for (int64_t t = 0; t < a.taps; ++t) {
    const float* x = a.x + (a.tap_off ? a.tap_off[t] : 0);
    const float* w = a.w + t * a.w_tap_stride;
    for (int64_t i = 0; i < a.in_blocks; ++i, x += xs) {
#pragma GCC unroll 8
      for (int c = 0; c < 8; ++c, w += OB * 8) {
        __m256 wv[OB];
#pragma GCC unroll 3
        for (int b = 0; b < OB; ++b) wv[b] = _mm256_loadu_ps(w + b * 8);
#pragma GCC unroll 8
        for (int p = 0; p < PX; ++p) {
          const __m256 xv = _mm256_broadcast_ss(x + p * XSTEP * 8 + c);
#pragma GCC unroll 3
          for (int b = 0; b < OB; ++b) acc[p][b] = _mm256_fmadd_ps(xv, wv[b], acc[p][b]);
        }
      }
    }
  }
  if (!a.finish) {
#pragma GCC unroll 3
    for (int b = 0; b < OB; ++b)
#pragma GCC unroll 8
      for (int p = 0; p < PX; ++p) _mm256_storeu_ps(a.y + b * a.y_block_stride + p * 8, acc[p][b]);
    return;
  }
  finish_tile<OB, PX>(acc, a.bias, a.z, a.y, a.y_block_stride, a.clamp, a.lo, a.hi);
}

// The stem tile (BlockedStemArgs): the pointwise tile's loop with one broadcast input per tap and
// pixel, found through the tap table.
template <int OB, int PX, int XSTEP>
void stem(const BlockedStemArgs& a) {
  __m256 acc[PX][OB];
#pragma GCC unroll 8
  for (int p = 0; p < PX; ++p)
#pragma GCC unroll 3
    for (int b = 0; b < OB; ++b) acc[p][b] = _mm256_setzero_ps();
  const float* w = a.w;
  for (int64_t t = 0; t < a.taps; ++t, w += OB * 8) {
    const float* x = a.x + a.tap_off[t];
    __m256 wv[OB];
#pragma GCC unroll 3
    for (int b = 0; b < OB; ++b) wv[b] = _mm256_loadu_ps(w + b * 8);
#pragma GCC unroll 8
    for (int p = 0; p < PX; ++p) {
      const __m256 xv = _mm256_broadcast_ss(x + p * XSTEP);
#pragma GCC unroll 3
      for (int b = 0; b < OB; ++b) acc[p][b] = _mm256_fmadd_ps(xv, wv[b], acc[p][b]);
    }
  }
  finish_tile<OB, PX>(acc, a.bias, nullptr, a.y, a.y_block_stride, a.clamp, a.lo, a.hi);
}

// The input pixels of a tile are x_pixel_step (1 or 2) pixels apart: a compile-time step keeps the
// broadcasts' offsets in their immediates.
template <int OB, int... P>
void pointwise_pixels(const BlockedPointwiseArgs& a, std::integer_sequence<int, P...>) {
  using Fn = void (*)(const BlockedPointwiseArgs&);
  static constexpr Fn step1[] = {&pointwise<OB, P + 1, 1>...};
  static constexpr Fn step2[] = {&pointwise<OB, P + 1, 2>...};
  (a.x_pixel_step == 2 ? step2 : step1)[a.pixels - 1](a);
}

template <int OB, int... P>
void stem_pixels(const BlockedStemArgs& a, std::integer_sequence<int, P...>) {
  using Fn = void (*)(const BlockedStemArgs&);
  static constexpr Fn step1[] = {&stem<OB, P + 1, 1>...};
  static constexpr Fn step2[] = {&stem<OB, P + 1, 2>...};
  (a.x_pixel_step == 2 ? step2 : step1)[a.pixels - 1](a);
}

// T output pixels of one row at columns ow .. ow+T-1, all taps inside the row (no column checks);
// taps kh outside [kh0, kh1) fall outside the input and are skipped. KW_ > 0 fixes the window
// width at compile time (3, 5, 7): with a run-time kw loop GCC kept the accumulators in memory
// and the loop ran 4x slower (6.9 vs 1.6 ns per output vector, 3x3 on a 56x56 block in L1). SW_ > 0
// fixes the stride and dilation 1: offsets in the loads' immediates (2.5 vs 1.5 ns with a run-time
// stride).
template <int T, int KW_, int SW_>
void depthwise_interior(const BlockedDepthwiseArgs& a, int64_t ih0, int64_t kh0, int64_t kh1, int64_t iw0,
                        __m256 bias, float* y, const float* z, __m256 lo, __m256 hi) {
  const DwConv2dArgs& g = a.geom;
  const int64_t KW = KW_ > 0 ? KW_ : g.KW;
  __m256 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = bias;
  const int64_t step = (SW_ > 0 ? SW_ : g.sw) * 8, tap_step = SW_ > 0 ? 8 : g.dw * 8;
  for (int64_t kh = kh0; kh < kh1; ++kh) {
    const float* row = a.x + ((ih0 + kh * g.dh) * g.W + iw0) * 8;
    const float* wk = a.w + kh * KW * 8;
#pragma GCC unroll 7
    for (int64_t kw = 0; kw < KW; ++kw) {
      const __m256 wv = _mm256_loadu_ps(wk + kw * 8);
      const float* xp = row + kw * tap_step;
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(xp + t * step), wv, acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    __m256 v = acc[t];
    if (z) v = _mm256_add_ps(v, _mm256_loadu_ps(z + t * 8));
    if (g.clamp) v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    _mm256_storeu_ps(y + t * 8, v);
  }
}

template <int KW_, int SW_>
void depthwise_rows(const BlockedDepthwiseArgs& a) {
  const DwConv2dArgs& g = a.geom;
  const __m256 bias = a.bias ? _mm256_loadu_ps(a.bias) : _mm256_setzero_ps();
  const __m256 lo = _mm256_set1_ps(g.lo), hi = _mm256_set1_ps(g.hi);
  // Columns whose whole window lies inside the row: [ow_lo, ow_hi).
  const int64_t span = (g.KW - 1) * g.dw;
  const int64_t ow_lo = std::min(g.OW, (g.pw + g.sw - 1) / g.sw);
  const int64_t ow_hi = g.W - 1 + g.pw - span < 0 ? ow_lo : std::clamp((g.W - 1 + g.pw - span) / g.sw + 1, ow_lo, g.OW);
  for (int64_t oh = a.oh0; oh < a.oh1; ++oh) {
    const int64_t ih0 = oh * g.sh - g.ph;
    // Taps kh with 0 <= ih0 + kh*dh < H.
    const int64_t kh0 = ih0 >= 0 ? 0 : std::min(g.KH, (-ih0 + g.dh - 1) / g.dh);
    const int64_t kh1 = g.H - ih0 <= 0 ? kh0 : std::clamp((g.H - 1 - ih0) / g.dh + 1, kh0, g.KH);
    float* yrow = a.y + oh * g.OW * 8;
    const float* zrow = a.z ? a.z + oh * g.OW * 8 : nullptr;
    // Columns with taps outside the row: one pixel at a time, checking each tap.
    auto edge = [&](int64_t ow) {
      __m256 acc = bias;
      const int64_t iw0 = ow * g.sw - g.pw;
      for (int64_t kh = kh0; kh < kh1; ++kh) {
        const float* row = a.x + (ih0 + kh * g.dh) * g.W * 8;
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const int64_t iw = iw0 + kw * g.dw;
          if (iw < 0 || iw >= g.W) continue;
          acc = _mm256_fmadd_ps(_mm256_loadu_ps(row + iw * 8), _mm256_loadu_ps(a.w + (kh * g.KW + kw) * 8), acc);
        }
      }
      if (zrow) acc = _mm256_add_ps(acc, _mm256_loadu_ps(zrow + ow * 8));
      if (g.clamp) acc = _mm256_min_ps(_mm256_max_ps(acc, lo), hi);
      _mm256_storeu_ps(yrow + ow * 8, acc);
    };
    auto interior = [&]<int T>(int64_t ow) {
      depthwise_interior<T, KW_, SW_>(a, ih0, kh0, kh1, ow * g.sw - g.pw, bias, yrow + ow * 8,
                                 zrow ? zrow + ow * 8 : nullptr, lo, hi);
    };
    for (int64_t ow = 0; ow < ow_lo; ++ow) edge(ow);
    int64_t ow = ow_lo;
    for (; ow + 8 <= ow_hi; ow += 8) interior.template operator()<8>(ow);
    if (ow + 4 <= ow_hi) {
      interior.template operator()<4>(ow);
      ow += 4;
    }
    if (ow + 2 <= ow_hi) {
      interior.template operator()<2>(ow);
      ow += 2;
    }
    if (ow < ow_hi) interior.template operator()<1>(ow);
    for (ow = ow_hi; ow < g.OW; ++ow) edge(ow);
  }
}

}  // namespace

void blocked_pointwise_f32_avx2(const BlockedPointwiseArgs& a, int ob) {
  if (ob == 1) return pointwise_pixels<1>(a, std::make_integer_sequence<int, 8>());
  if (ob == 2) return pointwise_pixels<2>(a, std::make_integer_sequence<int, 6>());
  return pointwise_pixels<3>(a, std::make_integer_sequence<int, 4>());
}

void blocked_stem_f32_avx2(const BlockedStemArgs& a, int ob) {
  if (ob == 1) return stem_pixels<1>(a, std::make_integer_sequence<int, 8>());
  if (ob == 2) return stem_pixels<2>(a, std::make_integer_sequence<int, 6>());
  return stem_pixels<3>(a, std::make_integer_sequence<int, 4>());
}

void blocked_depthwise_f32_avx2(const BlockedDepthwiseArgs& a) {
  const DwConv2dArgs& g = a.geom;
  const int s = g.dw == 1 && (g.sw == 1 || g.sw == 2) ? static_cast<int>(g.sw) : 0;
  const int k = s > 0 && (g.KW == 3 || g.KW == 5 || g.KW == 7) ? static_cast<int>(g.KW) : 0;
  switch (k * 4 + s) {
    case 13: return depthwise_rows<3, 1>(a);
    case 14: return depthwise_rows<3, 2>(a);
    case 21: return depthwise_rows<5, 1>(a);
    case 22: return depthwise_rows<5, 2>(a);
    case 29: return depthwise_rows<7, 1>(a);
    case 30: return depthwise_rows<7, 2>(a);
    default: return depthwise_rows<0, 0>(a);
  }
}

void to_blocked_f32_avx2(const float* x, int64_t plane, int64_t p0, int64_t p1, float* y) {
  int64_t p = p0;
  for (; p + 8 <= p1; p += 8) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(x + j * plane + p);
    transpose8(r);
    for (int j = 0; j < 8; ++j) _mm256_storeu_ps(y + (p + j) * 8, r[j]);
  }
  for (; p < p1; ++p)
    for (int j = 0; j < 8; ++j) y[p * 8 + j] = x[j * plane + p];
}

void from_blocked_f32_avx2(const float* x, int64_t p0, int64_t p1, float* y, int64_t plane) {
  int64_t p = p0;
  for (; p + 8 <= p1; p += 8) {
    __m256 r[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(x + (p + j) * 8);
    transpose8(r);
    for (int j = 0; j < 8; ++j) _mm256_storeu_ps(y + j * plane + p, r[j]);
  }
  for (; p < p1; ++p)
    for (int j = 0; j < 8; ++j) y[j * plane + p] = x[p * 8 + j];
}

}  // namespace onnxrt::kernels::ukernels
