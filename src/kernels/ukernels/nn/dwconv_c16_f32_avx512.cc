// Depthwise 2-D convolution on 16 channels at a time (ukernels.h, DwConvC16Args).
// The per-plane kernel (nn_f32_avx512.cc) vectorizes along an output row, which leaves 9 of 16
// lanes idle on MobileNetV2's 7x7 planes and needs a permute per tap for stride 2; it also copies
// every plane into a padded one with a memcpy call per row. Here the 16 lanes are 16 channels
// (the layout onnxruntime's NCHWc kernels keep between ops), so every lane is used whatever the
// plane width and a strided tap is one plain load. The price is two 16x16 transposes per
// element (input into the strip, results back to planes), ~8 shuffles per 16 floats each way,
// against KH*KW FMAs per output: cheap next to the 9 taps of a 3x3 window.
// Only called on CPUs with AVX-512 (the caller checks).
#include <immintrin.h>

// GCC 12 reports the deliberately undefined pass-through operand of some AVX-512 intrinsics
// (avx512fintrin.h's `__m512 __Y = __Y;`) as maybe-uninitialized at -O3.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>

#include "kernels/ukernels/nn/transpose16_avx512.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

constexpr int64_t kLanes = 16;

inline __mmask16 lane_mask(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

struct Strip {
  int64_t rows, cols;  // input rows of the band, padded columns
};

Strip strip_of(const DwConv2dArgs& g, int64_t out_rows) {
  return {(out_rows - 1) * g.sh + (g.KH - 1) * g.dh + 1, (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1};
}

// Input rows of the band into `buf` [rows][cols][16]: strip column j holds input column j - pw,
// zero outside the input (and in lanes >= channels).
void pack_input(const DwConvC16Args& a, const Strip& s, float* buf) {
  const DwConv2dArgs& g = a.geom;
  const __m512 zero = _mm512_setzero_ps();
  const int64_t c0 = std::min(g.pw, s.cols), c1 = std::clamp(g.W + g.pw, c0, s.cols);
  for (int64_t r = 0; r < s.rows; ++r) {
    float* row = buf + r * s.cols * kLanes;
    const int64_t ih = a.oh0 * g.sh - g.ph + r;
    if (ih < 0 || ih >= g.H) {
      for (int64_t j = 0; j < s.cols; ++j) _mm512_storeu_ps(row + j * kLanes, zero);
      continue;
    }
    for (int64_t j = 0; j < c0; ++j) _mm512_storeu_ps(row + j * kLanes, zero);
    for (int64_t j = c1; j < s.cols; ++j) _mm512_storeu_ps(row + j * kLanes, zero);
    const float* src = a.x + ih * g.W;
    for (int64_t j = c0; j < c1; j += kLanes) {
      const int64_t n = std::min(kLanes, c1 - j);
      const __mmask16 m = lane_mask(n);
      __m512 v[16];
      for (int64_t c = 0; c < kLanes; ++c)
        v[c] = c < a.channels ? _mm512_maskz_loadu_ps(m, src + c * a.x_cstride + (j - g.pw)) : zero;
      transpose16(v);
      for (int64_t t = 0; t < n; ++t) _mm512_storeu_ps(row + (j + t) * kLanes, v[t]);
    }
  }
}

// B consecutive output pixels of the band, from band pixel q (row q / OW, column q % OW), which may
// run on into the next rows: on narrow planes (7x7) a per-row loop left most pixels to a single
// accumulator, whose chain of KH*KW dependent FMAs ran at the FMA latency (35% of a 960@7 conv).
template <int B>
inline void pixels(const DwConv2dArgs& g, const float* in, int64_t cols, const float* wbuf, __m512 bias,
                   __m512 lo, __m512 hi, int64_t q, float* out) {
  const float* p[B];
  int64_t r = q / g.OW, ow = q % g.OW;
  for (int j = 0; j < B; ++j) {
    p[j] = in + (r * g.sh * cols + ow * g.sw) * kLanes;
    if (++ow == g.OW) ow = 0, ++r;
  }
  __m512 acc[B];
  for (int j = 0; j < B; ++j) acc[j] = bias;
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      const __m512 wv = _mm512_loadu_ps(wbuf + (kh * g.KW + kw) * kLanes);
      const int64_t off = (kh * g.dh * cols + kw * g.dw) * kLanes;
      for (int j = 0; j < B; ++j) acc[j] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(p[j] + off), acc[j]);
    }
  }
  for (int j = 0; j < B; ++j) {
    const __m512 v = g.clamp ? _mm512_min_ps(_mm512_max_ps(acc[j], lo), hi) : acc[j];
    _mm512_storeu_ps(out + (q + j) * kLanes, v);
  }
}

// Results [pixels][16] back to the planes: pixel p of the band is y + c*y_cstride + oh0*OW + p.
void unpack_output(const DwConvC16Args& a, const float* obuf, int64_t npix) {
  float* dst = a.y + a.oh0 * a.geom.OW;
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t p = 0; p < npix; p += kLanes) {
    const int64_t n = std::min(kLanes, npix - p);
    const __mmask16 m = lane_mask(n);
    __m512 v[16];
    for (int64_t t = 0; t < kLanes; ++t) v[t] = t < n ? _mm512_loadu_ps(obuf + (p + t) * kLanes) : zero;
    transpose16(v);
    for (int64_t c = 0; c < a.channels; ++c) _mm512_mask_storeu_ps(dst + c * a.y_cstride + p, m, v[c]);
  }
}

}  // namespace

int64_t dwconv2d_c16_scratch_floats(const DwConv2dArgs& g, int64_t rows) {
  const Strip s = strip_of(g, rows);
  return (g.KH * g.KW + s.rows * s.cols + rows * g.OW) * kLanes;
}

void dwconv2d_c16_f32_avx512(const DwConvC16Args& a) {
  const DwConv2dArgs& g = a.geom;
  const int64_t rows = a.oh1 - a.oh0;
  if (rows <= 0 || g.OW <= 0) return;
  const Strip s = strip_of(g, rows);
  const int64_t taps = g.KH * g.KW;
  float* wbuf = a.scratch;                     // [taps][16]
  float* in = wbuf + taps * kLanes;            // [s.rows][s.cols][16]
  float* obuf = in + s.rows * s.cols * kLanes;  // [rows * OW][16]
  alignas(64) float bias[kLanes] = {};
  for (int64_t t = 0; t < taps; ++t)
    for (int64_t c = 0; c < kLanes; ++c) wbuf[t * kLanes + c] = c < a.channels ? a.w[c * taps + t] : 0.f;
  if (a.bias)
    for (int64_t c = 0; c < a.channels; ++c) bias[c] = a.bias[c];
  pack_input(a, s, in);
  const __m512 vb = _mm512_load_ps(bias), lo = _mm512_set1_ps(g.lo), hi = _mm512_set1_ps(g.hi);
  // 8 independent accumulators hide the FMA latency; 8 + a weight + loads fit in 32 registers.
  const int64_t npix = rows * g.OW;
  int64_t q = 0;
  for (; q + 8 <= npix; q += 8) pixels<8>(g, in, s.cols, wbuf, vb, lo, hi, q, obuf);
  if (q + 4 <= npix) pixels<4>(g, in, s.cols, wbuf, vb, lo, hi, q, obuf), q += 4;
  for (; q < npix; ++q) pixels<1>(g, in, s.cols, wbuf, vb, lo, hi, q, obuf);
  unpack_output(a, obuf, rows * g.OW);
}

}  // namespace onnxrt::kernels::ukernels
