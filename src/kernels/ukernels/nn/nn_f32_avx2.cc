// AVX2 versions of the nn microkernels (ukernels.h), for CPUs without AVX-512 (Zen 2/3, most
// client and many cloud x86 parts). Without them every GEMM tile of a FusedConv or FusedMatMul
// went through the portable epilogue (half of small_cnn's run on an AVX2 EPYC) and MobileNetV2's
// depthwise convs through the portable tap loop (46% of its run), and pooling one window at a time.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/plane_helpers.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// Operand order as in the AVX-512 kernel (max(v, bound)): a NaN comes out as the bound there too.
template <EpiAct A>
inline __m256 act_v(__m256 v, __m256 p0, __m256 p1) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.f);
  if constexpr (A == EpiAct::kRelu) return _mm256_max_ps(v, zero);
  if constexpr (A == EpiAct::kClamp) return _mm256_min_ps(_mm256_max_ps(v, p0), p1);
  if constexpr (A == EpiAct::kLeakyRelu)
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, p0), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
  if constexpr (A == EpiAct::kHardSigmoid)
    return _mm256_min_ps(_mm256_max_ps(_mm256_fmadd_ps(v, p0, p1), zero), one);
  if constexpr (A == EpiAct::kHardSwish) {
    const __m256 h = _mm256_fmadd_ps(v, _mm256_set1_ps(1.f / 6.f), _mm256_set1_ps(0.5f));
    return _mm256_mul_ps(v, _mm256_min_ps(_mm256_max_ps(h, zero), one));
  }
  return v;
}

template <EpiAct A>
inline __m256 epilogue_vec(const EpilogueArgs& a, __m256 v, __m256 rb, const float* zr, int64_t c,
                           __m256 p0, __m256 p1) {
  v = _mm256_add_ps(v, rb);
  if (a.col_bias) v = _mm256_add_ps(v, _mm256_loadu_ps(a.col_bias + c));
  if (zr) v = _mm256_add_ps(v, _mm256_loadu_ps(zr + c));
  return act_v<A>(v, p0, p1);
}

template <EpiAct A>
void epilogue_impl(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  const __m256 p0 = _mm256_set1_ps(a.p0), p1 = _mm256_set1_ps(a.p1);
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    const __m256 rb = _mm256_set1_ps(a.row_bias ? a.row_bias[r] : 0.f);
    const float* zr = a.z ? a.z + r * a.ldz : nullptr;
    int64_t c = 0;
    for (; c + 8 <= cols; c += 8)
      _mm256_storeu_ps(yr + c, epilogue_vec<A>(a, _mm256_loadu_ps(yr + c), rb, zr, c, p0, p1));
    if (c < cols) {  // masked loads: nothing past the last column is read or written
      const __m256i m = tail_mask(cols - c);
      __m256 v = _mm256_add_ps(_mm256_maskload_ps(yr + c, m), rb);
      if (a.col_bias) v = _mm256_add_ps(v, _mm256_maskload_ps(a.col_bias + c, m));
      if (zr) v = _mm256_add_ps(v, _mm256_maskload_ps(zr + c, m));
      _mm256_maskstore_ps(yr + c, m, act_v<A>(v, p0, p1));
    }
  }
}

// Loads x[0], x[s], ..., x[7*s]; only the first n (1..8) lanes are read from memory, the others
// are 0 (the last output's taps may be the last floats of the plane).
template <int S>
inline __m256 load_strided(const float* x, int64_t s, int64_t n) {
  if constexpr (S == 1) {
    return n == 8 ? _mm256_loadu_ps(x) : _mm256_maskload_ps(x, tail_mask(n));
  } else if constexpr (S == 2) {
    __m256 lo, hi;
    if (n == 8) {
      lo = _mm256_loadu_ps(x);
      hi = _mm256_maskload_ps(x + 8, tail_mask(7));  // x[15] is not a tap
    } else {
      const int64_t cnt = 2 * n - 1;
      lo = _mm256_maskload_ps(x, tail_mask(cnt));
      hi = cnt > 8 ? _mm256_maskload_ps(x + 8, tail_mask(cnt - 8)) : _mm256_setzero_ps();
    }
    return in_order(even_of(lo, hi));
  } else {
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                           _mm256_set1_epi32(static_cast<int>(s)));
    return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), x, idx, _mm256_castsi256_ps(tail_mask(n)), 4);
  }
}

// Loads x[0], x[s], ..., x[7*s] with plain loads: `x` lies in a padded plane followed by
// kPlaneSlack floats, so reading up to 16 floats from any tap stays inside the buffer (lanes past
// the row's last output are never stored). Masked loads cost several cycles each on AMD cores.
// Strides 1 and 2 only; other strides gather (load_strided<0>).
template <int S>
inline __m256 load_taps(const float* x) {
  static_assert(S == 1 || S == 2);
  if constexpr (S == 1) return _mm256_loadu_ps(x);
  return in_order(even_of(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)));
}

// R output rows of one 8-column block, every tap inside `x` (the padded plane): independent FMA
// chains per row, so the FMA latency overlaps.
template <int S, int R>
void dw_rows(const DwConv2dArgs& a, const float* x, int64_t ld, const float* w, float bias, float* y, int64_t oh) {
  const int64_t s = S > 0 ? S : a.sw;
  const __m256 vlo = _mm256_set1_ps(a.lo), vhi = _mm256_set1_ps(a.hi);
  for (int64_t t = 0; t < a.OW; t += 8) {
    const int64_t n = std::min<int64_t>(8, a.OW - t);
    __m256 acc[R];
    for (int r = 0; r < R; ++r) acc[r] = _mm256_set1_ps(bias);
    for (int64_t kh = 0; kh < a.KH; ++kh) {
      const float* row = x + (oh * a.sh + kh * a.dh) * ld + t * s;
      const float* wk = w + kh * a.KW;
      for (int64_t kw = 0; kw < a.KW; ++kw) {
        const __m256 wv = _mm256_set1_ps(wk[kw]);
        for (int r = 0; r < R; ++r) {
          const float* tap = row + r * a.sh * ld + kw * a.dw;
          if constexpr (S > 0) acc[r] = _mm256_fmadd_ps(wv, load_taps<S>(tap), acc[r]);
          else acc[r] = _mm256_fmadd_ps(wv, load_strided<0>(tap, s, n), acc[r]);
        }
      }
    }
    for (int r = 0; r < R; ++r)
      store_n(y + (oh + r) * a.OW + t, a.clamp ? _mm256_min_ps(_mm256_max_ps(acc[r], vlo), vhi) : acc[r], n);
  }
}

template <int S>
void dw_plane(const DwConv2dArgs& a, const float* x, int64_t ld, const float* w, float bias, float* y) {
  int64_t oh = 0;
  for (; oh + 4 <= a.OH; oh += 4) dw_rows<S, 4>(a, x, ld, w, bias, y, oh);
  for (; oh < a.OH; ++oh) dw_rows<S, 1>(a, x, ld, w, bias, y, oh);
}

}  // namespace

void dwconv2d_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  // Square 3x3, 5x5 and 7x7 windows at stride 1 or 2: no padded copy, rows sharing loads.
  if (dwconv2d_kxk_applies(a)) return dwconv2d_kxk_f32_avx2(a, x, w, bias, y);
  thread_local std::vector<float> padded;
  int64_t ld = 0;
  // Always a copy: the tap loads then read whole vectors, past the row's end into the slack.
  const float* src = padded_plane(a, x, padded, &ld, /*always_copy=*/true);
  switch (a.sw) {
    case 1: return dw_plane<1>(a, src, ld, w, bias, y);
    case 2: return dw_plane<2>(a, src, ld, w, bias, y);
    default: return dw_plane<0>(a, src, ld, w, bias, y);
  }
}

void maxpool2d_f32_avx2(const DwConv2dArgs& a, const float* x, float* y) {
  if (maxpool2d_rows_applies(a)) return maxpool2d_rows_f32_avx2(a, x, y);
  // Dilated or wider strides along W: every tap of every window.
  int64_t t_lo, t_hi;
  interior_cols(a, &t_lo, &t_hi);
  if (a.KW == 0) t_lo = t_hi = 0;
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    float* out = y + oh * a.OW;
    int64_t kh0, kh1;
    if (!window_rows(a, oh, &kh0, &kh1)) {  // no input row: every window is empty
      for (int64_t t = 0; t < a.OW; ++t) out[t] = 0.f;
      continue;
    }
    for (int64_t t = 0; t < t_lo; ++t) out[t] = max_window(a, x, oh, t);
    for (int64_t t = t_hi; t < a.OW; ++t) out[t] = max_window(a, x, oh, t);
    for (int64_t t = t_lo; t < t_hi; t += 8) {
      const int64_t n = std::min<int64_t>(8, t_hi - t);
      __m256 best = _mm256_setzero_ps();
      bool first = true;
      for (int64_t kh = kh0; kh < kh1; ++kh) {
        const float* row = x + (oh * a.sh - a.ph + kh * a.dh) * a.W + t * a.sw - a.pw;
        for (int64_t kw = 0; kw < a.KW; ++kw) {
          const float* p = row + kw * a.dw;
          const __m256 v = a.sw == 1   ? load_strided<1>(p, 1, n)
                           : a.sw == 2 ? load_strided<2>(p, 2, n)
                                       : load_strided<0>(p, a.sw, n);
          // max_ps(v, best) returns best when either is NaN: "v > best ? v : best".
          best = first ? v : _mm256_max_ps(v, best);
          first = false;
        }
      }
      store_n(out + t, best, n);
    }
  }
}

void epilogue_f32_avx2(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  switch (a.act) {
    case EpiAct::kNone: return epilogue_impl<EpiAct::kNone>(a, y, ldy, rows, cols);
    case EpiAct::kRelu: return epilogue_impl<EpiAct::kRelu>(a, y, ldy, rows, cols);
    case EpiAct::kClamp: return epilogue_impl<EpiAct::kClamp>(a, y, ldy, rows, cols);
    case EpiAct::kLeakyRelu: return epilogue_impl<EpiAct::kLeakyRelu>(a, y, ldy, rows, cols);
    case EpiAct::kHardSigmoid: return epilogue_impl<EpiAct::kHardSigmoid>(a, y, ldy, rows, cols);
    case EpiAct::kHardSwish: return epilogue_impl<EpiAct::kHardSwish>(a, y, ldy, rows, cols);
  }
}

}  // namespace onnxrt::kernels::ukernels
