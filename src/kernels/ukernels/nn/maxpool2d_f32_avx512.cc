// 2-D MaxPool on one plane with windows of dilation 1 along W and stride 1 or 2 along W (any
// window height, vertical stride and dilation, pads): ukernels.h, maxpool2d_rows_f32_avx512.
// The per-tap kernel (nn_f32_avx512.cc) loads and, at stride 2, permutes every tap of every
// window, with masks computed per tap: 9 loads, 9 permutes and 9 maxima per 16 outputs of a
// 3x3 stride-2 pool. Here each output row is two passes:
//   column pass: the max over the window's input rows at every input column, one max per
//                vector, into a row buffer that is padded so that the next pass has no edges;
//   row pass:    the max over kw of that buffer; at stride 2 two permutes split a pair of
//                vectors into the even and odd columns, and a third tap is the even one moved
//                by a lane (valignd).
// ResNet-50's 3x3 stride-2 pool over 64 planes of 112x112: 290 -> 122 us of thread time (1
// thread, loaded 2-core Zen 4; onnxruntime's NCHW MaxPool 165 us); 3x3 stride 1 on 56x56
// 226 -> 100 us, 5x5 stride 1 88 -> 21 us. A version that took the row maxima first (each
// input row once, then a column pass over them; fewer operations on paper) measured 155-160 us:
// at stride 2 it permutes every input row, here only the one buffer row per output row.
//
// NaN: the reference keeps the first tap it reads (the first in-bounds one in row-major window
// order) and replaces it by any later tap that compares greater, so the result is NaN exactly
// when that first tap is NaN, and otherwise the largest non-NaN tap. x86 max_ps(v, m) returns m
// when either is NaN. The column pass keeps two maxima per column, from the window's first row
// x0 and the NaN-ignoring max `rest` of its other rows (folded from -inf):
//   V = max_ps(x0, rest): the NaN-ignoring max of the column;
//   F = max_ps(rest, x0): NaN when x0 is, V otherwise.
// The row pass takes the max of V over the window's columns (no NaN in V) and merges F of the
// first column with max_ps(M, F), which is NaN when F is and M otherwise (M >= F). Columns off
// the right end of the row read as -inf; columns off the left end read as the row's column 0,
// which is in every such window (dilation 1), so F there is the first tap.
// Only called on CPUs with AVX-512 (the dispatcher checks).
#include <immintrin.h>

// GCC 12 reports the deliberately undefined pass-through operand inside _mm512_max_ps
// (avx512fintrin.h's `__m512 __Y = __Y;`) as maybe-uninitialized at -O3.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/ukernels/nn/plane_helpers.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// Lanes j of a 16-float load at column c0 (c0 + j) that fall inside the row [0, W).
inline __mmask16 inside_mask(int64_t c0, int64_t W) {
  const int64_t lo = std::clamp<int64_t>(-c0, 0, 16), hi = std::clamp<int64_t>(W - c0, 0, 16);
  if (hi <= lo) return 0;
  const uint32_t m = ((hi >= 16 ? 0x10000u : (1u << hi)) - 1u) & ~((1u << lo) - 1u);
  return static_cast<__mmask16>(m);
}

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << std::max<int64_t>(n, 0)) - 1u);
}

// Functions, not namespace-scope constants: a static initializer would run AVX-512 code at load
// time on every CPU.
inline __m512i even_lanes() {
  return _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
}
inline __m512i odd_lanes() {
  return _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

// The masks of one 16-column vector of the padded row: lanes inside the input row, and lanes
// left of it (they read the row's column 0). Interior vectors (all inside) load unmasked.
struct ColVec {
  __mmask16 inside, left;
};

// 16 columns of `row` from column c, edges as described at the top.
inline __m512 load_cols(const float* row, int64_t c, const ColVec& m, __m512 ninf) {
  if (m.inside == 0xffff) return _mm512_loadu_ps(row + c);
  const __m512 fill = _mm512_mask_mov_ps(ninf, m.left, _mm512_set1_ps(row[0]));
  return _mm512_mask_loadu_ps(fill, m.inside, row + c);
}

// One output row: V and F of input rows rows[0..nrows) (rows[0] the window's first) for the
// padded columns [c_base, c_base + 16 * nvec) (the vectors after those, wholly right of
// the row, hold -inf already), then the row pass for output columns [v0, v1) into `out`.
template <int S>
void output_row(const float* const* rows, int64_t nrows, int64_t c_base, const ColVec* cols, int64_t nvec,
                int64_t KW, int64_t v0, int64_t v1, float* vbuf, float* fbuf, float* out) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < nvec; ++i) {
    const int64_t c = c_base + 16 * i;
    const ColVec& m = cols[i];
    const __m512 x0 = load_cols(rows[0], c, m, ninf);
    __m512 rest = ninf;
    for (int64_t r = 1; r < nrows; ++r) rest = _mm512_max_ps(load_cols(rows[r], c, m, ninf), rest);
    _mm512_store_ps(vbuf + 16 * i, _mm512_max_ps(x0, rest));
    _mm512_store_ps(fbuf + 16 * i, _mm512_max_ps(rest, x0));
  }
  for (int64_t t = v0; t < v1; t += 16) {
    const int64_t j = (t - v0) * S;  // buffer column of tap 0 of lane 0
    __m512 mx, first;
    if constexpr (S == 1) {
      first = _mm512_loadu_ps(fbuf + j);
      mx = _mm512_loadu_ps(vbuf + j);
      for (int64_t kw = 1; kw < KW; ++kw) mx = _mm512_max_ps(_mm512_loadu_ps(vbuf + j + kw), mx);
    } else {
      const __m512 lo = _mm512_load_ps(vbuf + j), hi = _mm512_load_ps(vbuf + j + 16);
      const __m512 even = _mm512_permutex2var_ps(lo, even_lanes(), hi);
      first = _mm512_permutex2var_ps(_mm512_load_ps(fbuf + j), even_lanes(), _mm512_load_ps(fbuf + j + 16));
      mx = even;
      if (KW >= 2) mx = _mm512_max_ps(_mm512_permutex2var_ps(lo, odd_lanes(), hi), mx);
      if (KW == 3) {
        // Tap 2 is tap 0 one lane further, with buffer column j + 32 shifted in.
        const __m512 t2 = _mm512_castsi512_ps(_mm512_alignr_epi32(
            _mm512_castps_si512(_mm512_set1_ps(vbuf[j + 32])), _mm512_castps_si512(even), 1));
        mx = _mm512_max_ps(t2, mx);
      } else {
        for (int64_t kw = 2; kw < KW; kw += 2) {
          const __m512 l2 = _mm512_loadu_ps(vbuf + j + kw), h2 = _mm512_loadu_ps(vbuf + j + kw + 16);
          mx = _mm512_max_ps(_mm512_permutex2var_ps(l2, even_lanes(), h2), mx);
          if (kw + 1 < KW) mx = _mm512_max_ps(_mm512_permutex2var_ps(l2, odd_lanes(), h2), mx);
        }
      }
    }
    _mm512_mask_storeu_ps(out + t, first_lanes(v1 - t), _mm512_max_ps(mx, first));
  }
}

template <int S>
void plane(const DwConv2dArgs& a, const float* x, float* y) {
  // Buffer column j is input column g.c_base + j; vectors from g.live on lie wholly right of the
  // row: -inf, written once per plane.
  const SplitPoolRow g = split_pool_row(a, S, 16);
  thread_local std::vector<ColVec> cols;
  thread_local std::vector<float> buffer;
  cols.resize(static_cast<size_t>(g.live));
  for (int64_t i = 0; i < g.live; ++i) {
    const int64_t c = g.c_base + 16 * i;
    cols[static_cast<size_t>(i)] = {inside_mask(c, a.W), first_lanes(-c)};
  }
  const size_t need = static_cast<size_t>(2 * g.nvec * 16 + 16);
  if (buffer.size() < need) buffer.resize(need);
  float* vbuf = buffer.data();
  vbuf += (16 - (reinterpret_cast<uintptr_t>(vbuf) / sizeof(float)) % 16) % 16;  // 64-byte aligned
  float* fbuf = vbuf + g.nvec * 16;
  std::fill(vbuf + g.live * 16, vbuf + g.nvec * 16, -std::numeric_limits<float>::infinity());
  std::fill(fbuf + g.live * 16, fbuf + g.nvec * 16, -std::numeric_limits<float>::infinity());
  // Plain pointers from here: a thread_local read inside the loops was re-fetched per vector,
  // with a vzeroupper before each fetch.
  const ColVec* colv = cols.data();
  split_pool_rows(a, x, y, g, [&](const float* const* rows, int64_t nrows, float* out) {
    output_row<S>(rows, nrows, g.c_base, colv, g.live, a.KW, g.v0, g.v1, vbuf, fbuf, out);
  });
}

// 2x2 windows at stride 2 with every window inside the plane (no pads, floor sizes: VGG, U-Net
// and small CNNs): each output row is one pair of input rows, 16 outputs per step from two
// vectors of each row, with no row buffer. On small planes the two-pass plane<2> spent its time
// on per-row set-up: 32 planes of 16x16 took 3-5 us, here about 1. NaN as described at the top:
// the NaN-ignoring max of taps 1-3 (x01, x10, x11), then max_ps(rest, x00). The geometry test
// is_2x2_stride2_inside is in plane_helpers.h.
void plane_2x2_stride2(const DwConv2dArgs& a, const float* x, float* y) {
  const __m512 ninf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  const __m512i even = even_lanes(), odd = odd_lanes();
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    const float* r0 = x + 2 * oh * a.W;
    const float* r1 = r0 + a.W;
    float* out = y + oh * a.OW;
    for (int64_t ow = 0; ow < a.OW; ow += 16) {
      const int64_t c = 2 * ow, n = std::min<int64_t>(32, 2 * (a.OW - ow));
      const __mmask16 m0 = first_lanes(n), m1 = first_lanes(n - 16);
      const __m512 a0 = _mm512_maskz_loadu_ps(m0, r0 + c), a1 = _mm512_maskz_loadu_ps(m1, r0 + c + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, r1 + c), b1 = _mm512_maskz_loadu_ps(m1, r1 + c + 16);
      __m512 rest = _mm512_max_ps(_mm512_permutex2var_ps(a0, odd, a1), ninf);
      rest = _mm512_max_ps(_mm512_permutex2var_ps(b0, even, b1), rest);
      rest = _mm512_max_ps(_mm512_permutex2var_ps(b0, odd, b1), rest);
      const __m512 first = _mm512_permutex2var_ps(a0, even, a1);
      _mm512_mask_storeu_ps(out + ow, first_lanes(a.OW - ow), _mm512_max_ps(rest, first));
    }
  }
}

}  // namespace

void maxpool2d_rows_f32_avx512(const DwConv2dArgs& a, const float* x, float* y) {
  if (a.OH <= 0 || a.OW <= 0) return;
  if (a.H <= 0 || a.W <= 0) {  // every window is empty
    std::fill(y, y + a.OH * a.OW, 0.f);
    return;
  }
  if (is_2x2_stride2_inside(a)) {
    plane_2x2_stride2(a, x, y);
  } else if (a.sw == 1) {
    plane<1>(a, x, y);
  } else {
    plane<2>(a, x, y);
  }
}

}  // namespace onnxrt::kernels::ukernels
