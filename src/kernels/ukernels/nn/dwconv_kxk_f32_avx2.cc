// Depthwise KxK convolution (K = 3, 5 or 7) on one channel plane, stride 1 or 2, dilation 1, any
// pads (ukernels.h: dwconv2d_3x3_f32_avx2 and dwconv2d_kxk_f32_avx2). The 3x3 case is the AVX2
// version of dwconv_3x3_f32_avx512.cc; 5x5 (EfficientNet, MnasNet) and 7x7 (ConvNeXt) windows
// take the same path.
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

template <int K>
struct Taps {
  __m256 w[K * K];
  __m256 bias, lo, hi;
  bool clamp;
};

template <int K>
inline void store(const Taps<K>& k, float* y, int64_t n, __m256 v) {
  if (k.clamp) v = _mm256_min_ps(_mm256_max_ps(v, k.lo), k.hi);
  store_n(y, v, n);
}

// Loads of one input row for one column block: plain ones when every float read lies inside
// the row (kMasked false), else masked ones that read nothing outside it and give 0 there.
// Load i reads at column offset load_offset<S>(i) from the block's first column.
template <int S>
constexpr int load_offset(int i) {
  return S == 1 ? i : 2 * (i / 2) + 8 * (i % 2);  // stride 2: pairs at 0 and 8, 2 and 10, ...
}
template <int S, int K>
constexpr int kLoads = S == 1 ? K : K + 1;

template <bool kMasked, int N>
struct RowLoader {
  __m256i m[N];
  inline __m256 load(const float* p, int i) const {
    if constexpr (kMasked) return _mm256_maskload_ps(p, m[i]);
    return _mm256_loadu_ps(p);
  }
};

// R rows of accumulators. At 5x5 and 7x7 two per row (even and odd tap columns): 2R independent
// chains of K*K/2 FMAs instead of R chains of K*K, whose latency bounded the loop (bench_model, 1
// thread, min of 300, ms: 7x7 128 @56 0.88-1.08 -> 0.75-0.77, 256 @28 0.57-0.59 -> 0.51-0.52;
// stride 2, 5x5 144 @56 0.239-0.242 -> 0.221, 672 @14 0.116 -> 0.093). At 3x3 the nine weights
// take the registers a second set would need (960 @7: 0.091 -> 0.095 ms split).
template <int K, int R>
struct Accumulators {
  static constexpr int kAcc = K > 3 ? 2 : 1;
  __m256 acc[R][kAcc];
  explicit Accumulators(__m256 bias) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      acc[r][0] = bias;
      if constexpr (kAcc == 2) acc[r][1] = _mm256_setzero_ps();
    }
  }
  // Output row r += tap column kw's weight w times input vector v.
  inline void fma(int r, int kw, __m256 w, __m256 v) { acc[r][kw % kAcc] = _mm256_fmadd_ps(w, v, acc[r][kw % kAcc]); }
  inline __m256 row(int r) const {
    if constexpr (kAcc == 2) return _mm256_add_ps(acc[r][0], acc[r][1]);
    return acc[r][0];
  }
};

// The loops over rows and taps are unrolled (pragmas), so that the accumulators stay in registers.
// Output rows [oh, oh + R), columns [t, t + 8), stride 1. Input row i (0 <= i < R + K - 1) of
// the band is row oh - ph + i; it feeds output row r = i - kh through tap row kh.
template <int K, int R, bool kMasked, bool kRowsInside>
inline void block_s1(const DwConv2dArgs& a, const float* x, const Taps<K>& k, float* y, int64_t oh, int64_t t,
                     const RowLoader<kMasked, K>& ld) {
  const int64_t c0 = t - a.pw;
  Accumulators<K, R> acc(k.bias);
#pragma GCC unroll 16
  for (int i = 0; i < R + K - 1; ++i) {
    const int64_t ih = oh - a.ph + i;
    if (!kRowsInside && (ih < 0 || ih >= a.H)) continue;
    // Masked-off lanes are not read, so `row` may point before the row.
    const float* row = x + ih * a.W + c0;
    __m256 v[K];
#pragma GCC unroll 8
    for (int kw = 0; kw < K; ++kw) v[kw] = ld.load(row + kw, kw);
#pragma GCC unroll 16
    for (int kh = 0; kh < K; ++kh) {
      const int r = i - kh;
      if (r < 0 || r >= R) continue;
#pragma GCC unroll 8
      for (int kw = 0; kw < K; ++kw) acc.fma(r, kw, k.w[kh * K + kw], v[kw]);
    }
  }
  const int64_t n = std::min<int64_t>(8, a.OW - t);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, n, acc.row(r));
}

// Stride 2: input row i (0 <= i < 2R + K - 2) is row 2*oh - ph + i and feeds output row r
// through tap row kh = i - 2r. Lane j of tap column kw reads input column c0 + 2j + kw,
// c0 = 2t - pw: the even (kw even) or odd (kw odd) elements of the 16 floats at c0 + 2*(kw/2).
template <int K, int R, bool kMasked, bool kRowsInside>
inline void block_s2(const DwConv2dArgs& a, const float* x, const Taps<K>& k, float* y, int64_t oh, int64_t t,
                     const RowLoader<kMasked, K + 1>& ld) {
  const int64_t c0 = 2 * t - a.pw;
  Accumulators<K, R> acc(k.bias);
#pragma GCC unroll 16
  for (int i = 0; i < 2 * R + K - 2; ++i) {
    const int64_t ih = 2 * oh - a.ph + i;
    if (!kRowsInside && (ih < 0 || ih >= a.H)) continue;
    const float* row = x + ih * a.W + c0;
    // In shuffle order (avx2_lanes.h): the FMAs with broadcast weights do not care where a column
    // sits, so the accumulators stay in that order until the store.
    __m256 v[K];
#pragma GCC unroll 8
    for (int p = 0; p < (K + 1) / 2; ++p) {
      const __m256 lo = ld.load(row + 2 * p, 2 * p), hi = ld.load(row + 2 * p + 8, 2 * p + 1);
      v[2 * p] = even_of(lo, hi);
      if (2 * p + 1 < K) v[2 * p + 1] = odd_of(lo, hi);
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const int kh = i - 2 * r;
      if (kh < 0 || kh >= K) continue;
#pragma GCC unroll 8
      for (int kw = 0; kw < K; ++kw) acc.fma(r, kw, k.w[kh * K + kw], v[kw]);
    }
  }
  const int64_t n = std::min<int64_t>(8, a.OW - t);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) store(k, y + (oh + r) * a.OW + t, n, in_order(acc.row(r)));
}

// Every column block of output rows [oh, oh + R). A block reads input columns [c0, c0 + span)
// (span K + 7 at stride 1, K + 15 at stride 2: the last float of the last load); it takes plain
// loads when they all lie inside the row. Lanes past the last output column compute garbage that
// is not stored.
template <int S, int K, int R, bool kRowsInside>
void band_cols(const DwConv2dArgs& a, const float* x, const Taps<K>& k, float* y, int64_t oh) {
  constexpr int64_t kSpan = S == 1 ? K + 7 : K + 15;
  constexpr int kN = kLoads<S, K>;
  for (int64_t t = 0; t < a.OW; t += 8) {
    const int64_t c0 = S * t - a.pw;
    if (c0 >= 0 && c0 + kSpan <= a.W) {
      const RowLoader<false, kN> ld{};
      if constexpr (S == 1) block_s1<K, R, false, kRowsInside>(a, x, k, y, oh, t, ld);
      else block_s2<K, R, false, kRowsInside>(a, x, k, y, oh, t, ld);
      continue;
    }
    RowLoader<true, kN> ld;
    for (int j = 0; j < kN; ++j) ld.m[j] = inside_mask(c0 + load_offset<S>(j), a.W);
    if constexpr (S == 1) block_s1<K, R, true, kRowsInside>(a, x, k, y, oh, t, ld);
    else block_s2<K, R, true, kRowsInside>(a, x, k, y, oh, t, ld);
  }
}

// Output rows [oh, oh + R). Bands whose input rows all lie inside the plane (all but the first
// and last) skip the per-row bounds test: with it, the unrolled row loop kept a compare, a branch
// and a multiply per input row (single-node models, min of 300, ms: 3x3 depthwise 960 @7 0.073
// -> 0.047, 144 @56 0.237 -> 0.182, 96 @112 stride 2 0.283 -> 0.257).
template <int S, int K, int R>
void band(const DwConv2dArgs& a, const float* x, const Taps<K>& k, float* y, int64_t oh) {
  const int64_t ih0 = S * oh - a.ph, rows = S == 1 ? R + K - 1 : 2 * R + K - 2;
  if (ih0 >= 0 && ih0 + rows <= a.H) return band_cols<S, K, R, true>(a, x, k, y, oh);
  band_cols<S, K, R, false>(a, x, k, y, oh);
}

// Bands of R rows (4 at stride 1: for 3x3, 6 input rows of 3 loads for 36 FMAs in 4 chains; 2 at
// stride 2, whose 3x3 input rows each cost 4 loads and 3 shuffles), then the last rows. AVX2 has
// 16 vector registers: the accumulators and one input row's K vectors must fit beside them.
template <int S, int K>
void plane(const DwConv2dArgs& a, const float* x, const Taps<K>& k, float* y) {
  constexpr int R = S == 1 ? 4 : 2;
  int64_t oh = 0;
  for (; oh + R <= a.OH; oh += R) band<S, K, R>(a, x, k, y, oh);
  switch (a.OH - oh) {
    case 3: if constexpr (R > 3) band<S, K, 3>(a, x, k, y, oh); break;
    case 2: if constexpr (R > 2) band<S, K, 2>(a, x, k, y, oh); break;
    case 1: band<S, K, 1>(a, x, k, y, oh); break;
    default: break;
  }
}

template <int K>
void conv_kxk(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  Taps<K> k;
  for (int i = 0; i < K * K; ++i) k.w[i] = _mm256_set1_ps(w[i]);
  k.bias = _mm256_set1_ps(bias);
  k.clamp = a.clamp;
  k.lo = _mm256_set1_ps(a.lo);
  k.hi = _mm256_set1_ps(a.hi);
  if (a.sw == 1) {
    plane<1, K>(a, x, k, y);
  } else {
    plane<2, K>(a, x, k, y);
  }
}

}  // namespace

void dwconv2d_3x3_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  conv_kxk<3>(a, x, w, bias, y);
}

void dwconv2d_kxk_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  switch (a.KH) {
    case 3: return conv_kxk<3>(a, x, w, bias, y);
    case 5: return conv_kxk<5>(a, x, w, bias, y);
    default: return conv_kxk<7>(a, x, w, bias, y);
  }
}

}  // namespace onnxrt::kernels::ukernels
