// Depthwise 3x3 convolution on one channel plane, stride 1 or 2, dilation 1, any pads: the AVX2
// version of dwconv_3x3_f32_avx512.cc (ukernels.h, dwconv2d_3x3_f32_avx2).
// The general AVX2 per-plane kernel (nn_f32_avx2.cc) copies the plane into a zero-padded buffer
// and loads every tap once per output row. On MobileNetV2's 7x7 and 14x14 planes the copy's
// per-row memcpy calls and the short-store memcpy cost more than the arithmetic. Here R output
// rows share each input row's loads, the weights stay in registers or on the stack, and the
// border comes from masked loads in the column blocks that reach past the plane's edge only;
// interior blocks use plain loads.
// Only called on CPUs with AVX2 and FMA (the dispatcher checks).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

struct Taps {
  __m256 w[9];
  __m256 bias, lo, hi;
  bool clamp;
};

inline void store(const Taps& k, float* y, int64_t n, __m256 v) {
  if (k.clamp) v = _mm256_min_ps(_mm256_max_ps(v, k.lo), k.hi);
  store_n(y, v, n);
}

// Loads of one input row for one column block: plain ones when every float read lies inside
// the row (kMasked false), else masked ones that read nothing outside it and give 0 there.
template <bool kMasked>
struct RowLoader {
  __m256i m[4];
  inline __m256 load(const float* p, int i) const {
    if constexpr (kMasked) return _mm256_maskload_ps(p, m[i]);
    return _mm256_loadu_ps(p);
  }
};

// The loops over rows and taps are unrolled (pragmas), so that acc[] stays in registers.
// Output rows [oh, oh + R), columns [t, t + 8), stride 1. Input row i (0 <= i < R + 2) of the
// band is row oh - ph + i; it feeds output row r = i - kh through tap row kh.
template <int R, bool kMasked, bool kRowsInside>
inline void block_s1(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh, int64_t t,
                     const RowLoader<kMasked>& ld) {
  const int64_t c0 = t - a.pw;
  __m256 acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = k.bias;
#pragma GCC unroll 16
  for (int i = 0; i < R + 2; ++i) {
    const int64_t ih = oh - a.ph + i;
    if (!kRowsInside && (ih < 0 || ih >= a.H)) continue;
    // Masked-off lanes are not read, so `row` may point before the row.
    const float* row = x + ih * a.W + c0;
    const __m256 v0 = ld.load(row, 0), v1 = ld.load(row + 1, 1), v2 = ld.load(row + 2, 2);
#pragma GCC unroll 16
    for (int kh = 0; kh < 3; ++kh) {
      const int r = i - kh;
      if (r < 0 || r >= R) continue;
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 0], v0, acc[r]);
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 1], v1, acc[r]);
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 2], v2, acc[r]);
    }
  }
  const int64_t n = std::min<int64_t>(8, a.OW - t);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, n, acc[r]);
}

// Stride 2: input row i (0 <= i < 2R + 1) is row 2*oh - ph + i and feeds output row r through
// tap row kh = i - 2r. Lane j of tap column kw reads input column c0 + 2j + kw, c0 = 2t - pw:
// kw 0 and 1 are the even and odd elements of the 16 floats at c0, kw 2 the even ones of the 16
// at c0 + 2.
template <int R, bool kMasked, bool kRowsInside>
inline void block_s2(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh, int64_t t,
                     const RowLoader<kMasked>& ld) {
  const int64_t c0 = 2 * t - a.pw;
  __m256 acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = k.bias;
#pragma GCC unroll 16
  for (int i = 0; i < 2 * R + 1; ++i) {
    const int64_t ih = 2 * oh - a.ph + i;
    if (!kRowsInside && (ih < 0 || ih >= a.H)) continue;
    const float* row = x + ih * a.W + c0;
    const __m256 lo = ld.load(row, 0), hi = ld.load(row + 8, 1);
    const __m256 lo2 = ld.load(row + 2, 2), hi2 = ld.load(row + 10, 3);
    // In shuffle order (avx2_lanes.h): the FMAs with broadcast weights do not care where a column
    // sits, so the accumulators stay in that order until the store.
    const __m256 v0 = even_of(lo, hi), v1 = odd_of(lo, hi), v2 = even_of(lo2, hi2);
#pragma GCC unroll 16
    for (int r = i / 2 - 1; r <= i / 2; ++r) {
      const int kh = i - 2 * r;
      if (r < 0 || r >= R || kh > 2) continue;
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 0], v0, acc[r]);
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 1], v1, acc[r]);
      acc[r] = _mm256_fmadd_ps(k.w[kh * 3 + 2], v2, acc[r]);
    }
  }
  const int64_t n = std::min<int64_t>(8, a.OW - t);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, n, in_order(acc[r]));
}

// Every column block of output rows [oh, oh + R). A block reads input columns [c0, c0 + span)
// (span 10 at stride 1, 18 at stride 2: the last float of each load); it takes plain loads when
// they all lie inside the row. Lanes past the last output column compute garbage that is not
// stored.
template <int S, int R, bool kRowsInside>
void band_cols(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh) {
  constexpr int64_t kSpan = S == 1 ? 10 : 18;
  for (int64_t t = 0; t < a.OW; t += 8) {
    const int64_t c0 = S * t - a.pw;
    if (c0 >= 0 && c0 + kSpan <= a.W) {
      const RowLoader<false> ld{};
      if constexpr (S == 1) block_s1<R, false, kRowsInside>(a, x, k, y, oh, t, ld);
      else block_s2<R, false, kRowsInside>(a, x, k, y, oh, t, ld);
      continue;
    }
    RowLoader<true> ld;
    if constexpr (S == 1) {
      for (int j = 0; j < 3; ++j) ld.m[j] = inside_mask(c0 + j, a.W);
      block_s1<R, true, kRowsInside>(a, x, k, y, oh, t, ld);
    } else {
      const int64_t off[4] = {0, 8, 2, 10};
      for (int j = 0; j < 4; ++j) ld.m[j] = inside_mask(c0 + off[j], a.W);
      block_s2<R, true, kRowsInside>(a, x, k, y, oh, t, ld);
    }
  }
}

// Output rows [oh, oh + R). Bands whose input rows all lie inside the plane (all but the first
// and last) skip the per-row bounds test: with it, the unrolled row loop kept a compare, a branch
// and a multiply per input row (single-node models, min of 300, ms: 3x3 depthwise 960 @7 0.073
// -> 0.047, 144 @56 0.237 -> 0.182, 96 @112 stride 2 0.283 -> 0.257).
template <int S, int R>
void band(const DwConv2dArgs& a, const float* x, const Taps& k, float* y, int64_t oh) {
  const int64_t ih0 = S * oh - a.ph, rows = S == 1 ? R + 2 : 2 * R + 1;
  if (ih0 >= 0 && ih0 + rows <= a.H) return band_cols<S, R, true>(a, x, k, y, oh);
  band_cols<S, R, false>(a, x, k, y, oh);
}

// Bands of R rows (4 at stride 1: 6 input rows of 3 loads for 36 FMAs in 4 chains; 2 at stride 2,
// whose 5 input rows each cost 4 loads and 3 shuffles), then the last rows. AVX2 has 16 vector
// registers, so more rows would spill the accumulators.
template <int S>
void plane(const DwConv2dArgs& a, const float* x, const Taps& k, float* y) {
  constexpr int R = S == 1 ? 4 : 2;
  int64_t oh = 0;
  for (; oh + R <= a.OH; oh += R) band<S, R>(a, x, k, y, oh);
  switch (a.OH - oh) {
    case 3: if constexpr (R > 3) band<S, 3>(a, x, k, y, oh); break;
    case 2: if constexpr (R > 2) band<S, 2>(a, x, k, y, oh); break;
    case 1: band<S, 1>(a, x, k, y, oh); break;
    default: break;
  }
}

}  // namespace

void dwconv2d_3x3_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  Taps k;
  for (int i = 0; i < 9; ++i) k.w[i] = _mm256_set1_ps(w[i]);
  k.bias = _mm256_set1_ps(bias);
  k.clamp = a.clamp;
  k.lo = _mm256_set1_ps(a.lo);
  k.hi = _mm256_set1_ps(a.hi);
  if (a.sw == 1) {
    plane<1>(a, x, k, y);
  } else {
    plane<2>(a, x, k, y);
  }
}

}  // namespace onnxrt::kernels::ukernels
