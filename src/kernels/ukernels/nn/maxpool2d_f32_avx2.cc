// 2-D MaxPool on one plane for AVX2, windows of dilation 1 along W and stride 1 or 2 along W (any
// window height, vertical stride and dilation, pads): ukernels.h, maxpool2d_rows_f32_avx2. The
// 8-lane version of maxpool2d_f32_avx512.cc, whose header explains the two passes per output row
// (column pass into a padded row buffer, then the row pass over kw) and how they keep the
// reference's NaN rule: V = max_ps(x0, rest) is the NaN-ignoring max of a column (x0 its first
// window row, rest the NaN-ignoring max of the others, folded from -inf), F = max_ps(rest, x0)
// is NaN exactly when x0 is; the row pass takes the max of V over the window's columns and merges
// F of its first column with max_ps(M, F). Columns right of the row read as -inf, columns left of
// it as the row's column 0 (in every such window, dilation 1).
// The per-tap loop it replaces (nn_f32_avx2.cc) loaded every tap of every window, and at stride 2
// shuffled and permuted each: ResNet-50's 3x3 stride-2 pool took 0.46 ms in the model against
// onnxruntime's 0.21. Stride 2 keeps its row pass in shuffle order (avx2_lanes.h) until the store.
// Only called on CPUs with AVX2 and FMA (the dispatcher checks).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/ukernels/nn/avx2_lanes.h"
#include "kernels/ukernels/nn/plane_helpers.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// The masks of one 8-column vector of the padded row: lanes inside the input row, and lanes left
// of it (they read the row's column 0). Vectors wholly inside load unmasked.
struct ColVec {
  __m256i inside, left;
  bool full;
};

// 8 columns of `row` from column c, edges as described at the top.
inline __m256 load_cols(const float* row, int64_t c, const ColVec& m, __m256 ninf) {
  if (m.full) return _mm256_loadu_ps(row + c);
  const __m256 fill = _mm256_blendv_ps(ninf, _mm256_set1_ps(row[0]), _mm256_castsi256_ps(m.left));
  return _mm256_blendv_ps(fill, _mm256_maskload_ps(row + c, m.inside), _mm256_castsi256_ps(m.inside));
}

// One output row: V and F of input rows rows[0..nrows) (rows[0] the window's first) for the
// padded columns [c_base, c_base + 8 * nvec) (the vectors after those, wholly right of the row,
// hold -inf already), then the row pass for output columns [v0, v1) into `out`.
template <int S>
void output_row(const float* const* rows, int64_t nrows, int64_t c_base, const ColVec* cols, int64_t nvec,
                int64_t KW, int64_t v0, int64_t v1, float* vbuf, float* fbuf, float* out) {
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < nvec; ++i) {
    const int64_t c = c_base + 8 * i;
    const ColVec& m = cols[i];
    const __m256 x0 = load_cols(rows[0], c, m, ninf);
    __m256 rest = ninf;
    for (int64_t r = 1; r < nrows; ++r) rest = _mm256_max_ps(load_cols(rows[r], c, m, ninf), rest);
    _mm256_store_ps(vbuf + 8 * i, _mm256_max_ps(x0, rest));
    _mm256_store_ps(fbuf + 8 * i, _mm256_max_ps(rest, x0));
  }
  for (int64_t t = v0; t < v1; t += 8) {
    const int64_t j = (t - v0) * S;  // buffer column of tap 0 of lane 0
    __m256 mx, first;
    if constexpr (S == 1) {
      first = _mm256_loadu_ps(fbuf + j);
      mx = _mm256_loadu_ps(vbuf + j);
      for (int64_t kw = 1; kw < KW; ++kw) mx = _mm256_max_ps(_mm256_loadu_ps(vbuf + j + kw), mx);
    } else {
      // Taps kw and kw + 1 are the even and odd columns of the 16 from j + kw.
      const __m256 lo = _mm256_load_ps(vbuf + j), hi = _mm256_load_ps(vbuf + j + 8);
      first = even_of(_mm256_load_ps(fbuf + j), _mm256_load_ps(fbuf + j + 8));
      mx = even_of(lo, hi);
      if (KW >= 2) mx = _mm256_max_ps(odd_of(lo, hi), mx);
      for (int64_t kw = 2; kw < KW; kw += 2) {
        const __m256 l2 = _mm256_loadu_ps(vbuf + j + kw), h2 = _mm256_loadu_ps(vbuf + j + kw + 8);
        mx = _mm256_max_ps(even_of(l2, h2), mx);
        if (kw + 1 < KW) mx = _mm256_max_ps(odd_of(l2, h2), mx);
      }
    }
    __m256 v = _mm256_max_ps(mx, first);
    if constexpr (S == 2) v = in_order(v);
    store_n(out + t, v, std::min<int64_t>(8, v1 - t));
  }
}

template <int S>
void plane(const DwConv2dArgs& a, const float* x, float* y) {
  // Buffer column j is input column g.c_base + j; vectors from g.live on lie wholly right of the
  // row: -inf, written once per plane.
  const SplitPoolRow g = split_pool_row(a, S, 8);
  thread_local std::vector<ColVec> cols;
  thread_local std::vector<float> buffer;
  cols.resize(static_cast<size_t>(g.live));
  for (int64_t i = 0; i < g.live; ++i) {
    const int64_t c = g.c_base + 8 * i;
    cols[static_cast<size_t>(i)] = {inside_mask(c, a.W), tail_mask(-c), c >= 0 && c + 8 <= a.W};
  }
  const size_t need = static_cast<size_t>(2 * g.nvec * 8 + 8);
  if (buffer.size() < need) buffer.resize(need);
  float* vbuf = buffer.data();
  vbuf += (8 - (reinterpret_cast<uintptr_t>(vbuf) / sizeof(float)) % 8) % 8;  // 32-byte aligned
  float* fbuf = vbuf + g.nvec * 8;
  std::fill(vbuf + g.live * 8, vbuf + g.nvec * 8, -std::numeric_limits<float>::infinity());
  std::fill(fbuf + g.live * 8, fbuf + g.nvec * 8, -std::numeric_limits<float>::infinity());
  // Plain pointers from here: a thread_local read inside the loops was re-fetched per vector,
  // with a vzeroupper before each fetch.
  const ColVec* colv = cols.data();
  split_pool_rows(a, x, y, g, [&](const float* const* rows, int64_t nrows, float* out) {
    output_row<S>(rows, nrows, g.c_base, colv, g.live, a.KW, g.v0, g.v1, vbuf, fbuf, out);
  });
}

// 2x2 windows at stride 2 with every window inside the plane (is_2x2_stride2_inside): each output
// row is one pair of input rows, 8 outputs per step from two vectors of each row, with no row
// buffer (small_cnn's two 2x2 pools were 16% of its run on the per-tap loop). NaN as above: the
// NaN-ignoring max of taps 1-3, then max_ps(rest, tap 0), which is NaN exactly when tap 0 is.
void plane_2x2_stride2(const DwConv2dArgs& a, const float* x, float* y) {
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    const float* r0 = x + 2 * oh * a.W;
    const float* r1 = r0 + a.W;
    float* out = y + oh * a.OW;
    for (int64_t ow = 0; ow < a.OW; ow += 8) {
      // Input columns [c, c + n) of both rows: inside the plane, since 2 * OW <= W.
      const int64_t c = 2 * ow, n = std::min<int64_t>(16, 2 * (a.OW - ow));
      __m256 a0, a1, b0, b1;
      if (n == 16) {
        a0 = _mm256_loadu_ps(r0 + c), a1 = _mm256_loadu_ps(r0 + c + 8);
        b0 = _mm256_loadu_ps(r1 + c), b1 = _mm256_loadu_ps(r1 + c + 8);
      } else {
        const __m256i m0 = tail_mask(n), m1 = tail_mask(n - 8);
        a0 = _mm256_maskload_ps(r0 + c, m0), a1 = _mm256_maskload_ps(r0 + c + 8, m1);
        b0 = _mm256_maskload_ps(r1 + c, m0), b1 = _mm256_maskload_ps(r1 + c + 8, m1);
      }
      __m256 rest = _mm256_max_ps(odd_of(a0, a1), ninf);
      rest = _mm256_max_ps(even_of(b0, b1), rest);
      rest = _mm256_max_ps(odd_of(b0, b1), rest);
      store_n(out + ow, in_order(_mm256_max_ps(rest, even_of(a0, a1))), std::min<int64_t>(8, a.OW - ow));
    }
  }
}

}  // namespace

void maxpool2d_rows_f32_avx2(const DwConv2dArgs& a, const float* x, float* y) {
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
