// AVX-512 versions of the nn microkernels (ukernels.h).
// dwconv2d keeps 16 outputs of a row in one register across all KH*KW taps (one load and one FMA
// per tap, one store), where the portable loop makes KH*KW passes over the output row. Columns
// whose taps all fall inside the input row take the vector path; the few border columns are
// computed one by one. Stride 2 reads 32 inputs and keeps the even ones with one permute.
#include <immintrin.h>

// GCC 12 reports the deliberately undefined pass-through operand inside _mm512_max_ps /
// _mm512_min_ps (avx512fintrin.h's `__m512 __Y = __Y;`) as maybe-uninitialized at -O3.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/ukernels/nn/plane_helpers.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

inline __mmask16 tail_mask(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

template <EpiAct A>
inline __m512 act_v(__m512 v, __m512 p0, __m512 p1) {
  if constexpr (A == EpiAct::kRelu) return _mm512_max_ps(v, _mm512_setzero_ps());
  if constexpr (A == EpiAct::kClamp) return _mm512_min_ps(_mm512_max_ps(v, p0), p1);
  if constexpr (A == EpiAct::kLeakyRelu) {
    const __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mul_ps(v, neg, v, p0);
  }
  if constexpr (A == EpiAct::kHardSigmoid)
    return _mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(v, p0, p1), _mm512_setzero_ps()),
                         _mm512_set1_ps(1.f));
  if constexpr (A == EpiAct::kHardSwish) {
    const __m512 h = _mm512_fmadd_ps(v, _mm512_set1_ps(1.f / 6.f), _mm512_set1_ps(0.5f));
    return _mm512_mul_ps(v, _mm512_min_ps(_mm512_max_ps(h, _mm512_setzero_ps()), _mm512_set1_ps(1.f)));
  }
  return v;
}

template <EpiAct A>
void epilogue_impl(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  const __m512 p0 = _mm512_set1_ps(a.p0), p1 = _mm512_set1_ps(a.p1);
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    const __m512 rb = _mm512_set1_ps(a.row_bias ? a.row_bias[r] : 0.f);
    const float* zr = a.z ? a.z + r * a.ldz : nullptr;
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, yr + c), rb);
      if (a.col_bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, a.col_bias + c));
      if (zr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, zr + c));
      _mm512_mask_storeu_ps(yr + c, m, act_v<A>(v, p0, p1));
    }
  }
}

// Loads x[0], x[s], ..., x[(n-1)*s] for n <= 16 lanes.
inline __m512 load_strided(const float* x, int64_t s, int64_t n, __mmask16 m) {
  if (s == 1) return _mm512_maskz_loadu_ps(m, x);
  if (s == 2) {
    const int64_t cnt = 2 * n - 1;  // elements actually needed, so x is never read past them
    const __mmask16 mlo = tail_mask(cnt);
    const __mmask16 mhi = cnt > 16 ? tail_mask(cnt - 16) : __mmask16(0);
    const __m512 lo = _mm512_maskz_loadu_ps(mlo, x);
    const __m512 hi = _mm512_maskz_loadu_ps(mhi, x + 16);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, even, hi);
  }
  const __m512i idx = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32(static_cast<int>(s)));
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, x, 4);
}

}  // namespace

void epilogue_f32_avx512(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  switch (a.act) {
    case EpiAct::kNone: return epilogue_impl<EpiAct::kNone>(a, y, ldy, rows, cols);
    case EpiAct::kRelu: return epilogue_impl<EpiAct::kRelu>(a, y, ldy, rows, cols);
    case EpiAct::kClamp: return epilogue_impl<EpiAct::kClamp>(a, y, ldy, rows, cols);
    case EpiAct::kLeakyRelu: return epilogue_impl<EpiAct::kLeakyRelu>(a, y, ldy, rows, cols);
    case EpiAct::kHardSigmoid: return epilogue_impl<EpiAct::kHardSigmoid>(a, y, ldy, rows, cols);
    case EpiAct::kHardSwish: return epilogue_impl<EpiAct::kHardSwish>(a, y, ldy, rows, cols);
  }
}

void maxpool2d_f32_avx512(const DwConv2dArgs& a, const float* x, float* y) {
  if (maxpool2d_rows_applies(a)) return maxpool2d_rows_f32_avx512(a, x, y);
  // Dilated or wider strides along W: every tap of every window.
  int64_t t_lo, t_hi;
  interior_cols(a, &t_lo, &t_hi);
  if (a.KW == 0) t_lo = t_hi = 0;
  auto scalar_col = [&](int64_t oh, int64_t t) { return max_window(a, x, oh, t); };
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    float* out = y + oh * a.OW;
    int64_t kh0, kh1;
    if (!window_rows(a, oh, &kh0, &kh1)) {  // no input row: every window is empty
      for (int64_t t = 0; t < a.OW; ++t) out[t] = 0.f;
      continue;
    }
    for (int64_t t = 0; t < t_lo; ++t) out[t] = scalar_col(oh, t);
    for (int64_t t = t_hi; t < a.OW; ++t) out[t] = scalar_col(oh, t);
    for (int64_t t = t_lo; t < t_hi; t += 16) {
      const int64_t n = std::min<int64_t>(16, t_hi - t);
      const __mmask16 m = tail_mask(n);
      __m512 best = _mm512_setzero_ps();
      bool first = true;
      for (int64_t kh = kh0; kh < kh1; ++kh) {
        const float* row = x + (oh * a.sh - a.ph + kh * a.dh) * a.W + t * a.sw - a.pw;
        for (int64_t kw = 0; kw < a.KW; ++kw) {
          const __m512 v = load_strided(row + kw * a.dw, a.sw, n, m);
          // max_ps(v, best) returns best when either is NaN: "v > best ? v : best".
          best = first ? v : _mm512_max_ps(v, best);
          first = false;
        }
      }
      _mm512_mask_storeu_ps(out + t, m, best);
    }
  }
}

namespace {

// R output rows of one 16-column block, every tap inside `x` (a padded copy): rows
// (oh + r)*sh + kh*dh, columns t*S + kw*dw. The R accumulators are independent FMA chains: with
// one, each block waited KH*KW FMA latencies (4 cycles each) and the FMA units sat mostly idle.
template <int S, int R>
inline void dw_rows(const DwConv2dArgs& a, const float* x, int64_t W, const float* w, float bias,
                    float* y, int64_t oh) {
  const int64_t s = S > 0 ? S : a.sw;
  const __m512 vlo = _mm512_set1_ps(a.lo), vhi = _mm512_set1_ps(a.hi);
  for (int64_t t = 0; t < a.OW; t += 16) {
    const int64_t n = std::min<int64_t>(16, a.OW - t);
    const __mmask16 m = tail_mask(n);
    __m512 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm512_set1_ps(bias);
    for (int64_t kh = 0; kh < a.KH; ++kh) {
      const float* row = x + (oh * a.sh + kh * a.dh) * W + t * s;
      const float* wk = w + kh * a.KW;
      for (int64_t kw = 0; kw < a.KW; ++kw) {
        const __m512 wv = _mm512_set1_ps(wk[kw]);
        for (int r = 0; r < R; ++r)
          acc[r] = _mm512_fmadd_ps(wv, load_strided(row + r * a.sh * W + kw * a.dw, s, n, m), acc[r]);
      }
    }
    for (int r = 0; r < R; ++r) {
      const __m512 v = a.clamp ? _mm512_min_ps(_mm512_max_ps(acc[r], vlo), vhi) : acc[r];
      _mm512_mask_storeu_ps(y + (oh + r) * a.OW + t, m, v);
    }
  }
}

template <int S>
void dw_interior(const DwConv2dArgs& a, const float* x, int64_t W, const float* w, float bias, float* y) {
  int64_t oh = 0;
  for (; oh + 4 <= a.OH; oh += 4) dw_rows<S, 4>(a, x, W, w, bias, y, oh);
  for (; oh < a.OH; ++oh) dw_rows<S, 1>(a, x, W, w, bias, y, oh);
}

}  // namespace

void dwconv2d_f32_avx512(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  thread_local std::vector<float> padded;
  int64_t ld = 0;
  const float* src = padded_plane(a, x, padded, &ld);
  switch (a.sw) {
    case 1: return dw_interior<1>(a, src, ld, w, bias, y);
    case 2: return dw_interior<2>(a, src, ld, w, bias, y);
    default: return dw_interior<0>(a, src, ld, w, bias, y);
  }
}

}  // namespace onnxrt::kernels::ukernels
