// Plane geometry shared by the per-plane depthwise and pooling microkernels of every ISA.
// Internal linkage on purpose: each ISA's file compiles its own copy with its own flags, so the
// linker can never hand an AVX2 CPU the AVX-512 build of it.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {
namespace {

// The zero-padded copy of one input plane that the per-plane depthwise kernels read, so that
// their loops have no border cases: with 3x3 windows on 7x7..14x14 planes the border columns were
// a large share of the work when done one by one. The copy is one read of the plane per KH*KW
// multiply-adds. Returns the plane to read (x itself when no tap falls outside it and
// `always_copy` is false, else a padded copy in `buf`, followed by kPlaneSlack readable floats)
// and its row stride in `ld`. Taps of output (oh, t) are at rows oh*sh + kh*dh, columns
// t*sw + kw*dw.
constexpr int64_t kPlaneSlack = 16;
inline const float* padded_plane(const DwConv2dArgs& a, const float* x, std::vector<float>& buf, int64_t* ld,
                                 bool always_copy = false) {
  const int64_t Hp = (a.OH - 1) * a.sh + (a.KH - 1) * a.dh + 1;
  const int64_t Wp = (a.OW - 1) * a.sw + (a.KW - 1) * a.dw + 1;
  *ld = a.W;
  if (!always_copy && !(a.ph != 0 || a.pw != 0 || Hp > a.H || Wp > a.W)) return x;
  // Only the border is zeroed: clearing the whole plane first was one more pass over it.
  if (buf.size() < static_cast<size_t>(Hp * Wp + kPlaneSlack)) buf.resize(static_cast<size_t>(Hp * Wp + kPlaneSlack));
  // Padded column c holds input column c - pw (pads are never negative).
  const int64_t c0 = std::min<int64_t>(a.pw, Wp), c1 = std::min<int64_t>(Wp, a.W + a.pw);
  for (int64_t r = 0; r < Hp; ++r) {
    float* row = buf.data() + r * Wp;
    const int64_t ih = r - a.ph;
    if (ih < 0 || ih >= a.H) {
      std::memset(row, 0, static_cast<size_t>(Wp) * sizeof(float));
      continue;
    }
    for (int64_t c = 0; c < c0; ++c) row[c] = 0.f;
    if (c1 > c0) std::memcpy(row + c0, x + ih * a.W, static_cast<size_t>(c1 - c0) * sizeof(float));
    for (int64_t c = std::max(c0, c1); c < Wp; ++c) row[c] = 0.f;
  }
  *ld = Wp;
  return buf.data();
}

// Output columns [lo, hi) whose KW taps all fall inside the input row (pooling reads the plane
// as it is, and treats the other columns one by one).
inline void interior_cols(const DwConv2dArgs& a, int64_t* lo_out, int64_t* hi_out) {
  // Tap kw reads i0 + t*sw with i0 = kw*dw - pw.
  int64_t t_lo = 0, t_hi = a.OW;
  for (int64_t kw = 0; kw < a.KW; ++kw) {
    const int64_t i0 = kw * a.dw - a.pw;
    const int64_t lo = i0 >= 0 ? 0 : (-i0 + a.sw - 1) / a.sw;
    const int64_t hi = i0 < a.W ? (a.W - 1 - i0) / a.sw + 1 : 0;
    t_lo = std::max(t_lo, lo);
    t_hi = std::min(t_hi, hi);
  }
  t_hi = std::max(t_hi, t_lo);
  *lo_out = std::min(t_lo, a.OW);
  *hi_out = std::min(t_hi, a.OW);
}

// Kernel rows [kh0, kh1) of output row oh that fall inside the plane; false when none does (every
// window of the row is empty).
inline bool window_rows(const DwConv2dArgs& a, int64_t oh, int64_t* kh0, int64_t* kh1) {
  *kh0 = 0, *kh1 = a.KH;
  while (*kh0 < a.KH && oh * a.sh - a.ph + *kh0 * a.dh < 0) ++*kh0;
  while (*kh1 > *kh0 && oh * a.sh - a.ph + (*kh1 - 1) * a.dh >= a.H) --*kh1;
  return *kh0 < *kh1;
}

// The padded row of the row-split max-pool kernels (maxpool2d_f32_avx2.cc, _avx512.cc), for
// vectors of L floats at stride S along W.
struct SplitPoolRow {
  int64_t v0, v1;  // output columns with at least one tap inside the row; the others are 0
  int64_t c_base;  // input column of buffer column 0
  int64_t nvec;    // L-float vectors in the buffer
  int64_t live;    // vectors [0, live) reach into the row; the others lie wholly right of it
};
inline SplitPoolRow split_pool_row(const DwConv2dArgs& a, int64_t S, int64_t L) {
  SplitPoolRow g;
  g.v0 = std::min(a.OW, std::max<int64_t>(0, (a.pw - a.KW + 1 + S - 1) / S));
  g.v1 = std::clamp<int64_t>((a.W + a.pw + S - 1) / S, g.v0, a.OW);
  // The row pass of the last block reads up to column (blocks - 1) * L * S + L - 1 + KW - 1 at
  // stride 1, and 2L floats from each even tap (up to KW + 2L - 1 past the block's start) at 2.
  const int64_t blocks = (g.v1 - g.v0 + L - 1) / L;
  g.c_base = g.v0 * S - a.pw;
  const int64_t last_read = std::max<int64_t>(0, (blocks - 1) * L * S + (S == 1 ? L - 1 + a.KW - 1 : a.KW + 2 * L - 1));
  g.nvec = last_read / L + 1;
  g.live = std::clamp<int64_t>((a.W - g.c_base + L - 1) / L, 0, g.nvec);
  return g;
}

// The output rows of a row-split max-pool kernel: for each, the window's input rows inside the
// plane (rows[0] the first), zeros where no tap is inside, and row_fn(rows, nrows, out) for the
// columns [v0, v1).
template <class RowFn>
inline void split_pool_rows(const DwConv2dArgs& a, const float* x, float* y, const SplitPoolRow& g, RowFn&& row_fn) {
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    float* out = y + oh * a.OW;
    const int64_t top = oh * a.sh - a.ph;
    const float* rows[kMaxPoolWindowRows];
    int64_t nrows = 0;
    for (int64_t kh = 0; kh < a.KH; ++kh) {
      const int64_t r = top + kh * a.dh;
      if (r >= 0 && r < a.H) rows[nrows++] = x + r * a.W;
    }
    if (nrows == 0) {  // no input row: every window is empty
      std::fill(out, out + a.OW, 0.f);
      continue;
    }
    // Guarded: a memset call per row, even of nothing, costs a vzeroupper and reloads.
    if (g.v0 > 0) std::fill(out, out + g.v0, 0.f);
    if (g.v1 < a.OW) std::fill(out + g.v1, out + a.OW, 0.f);
    if (g.v1 > g.v0) row_fn(static_cast<const float* const*>(rows), nrows, out);
  }
}

// 2x2 windows at stride 2 with every window inside the plane (no pads, floor sizes: VGG, U-Net
// and small CNNs): the pooling kernels' fast path, one pair of input rows per output row.
inline bool is_2x2_stride2_inside(const DwConv2dArgs& a) {
  return a.KH == 2 && a.KW == 2 && a.sh == 2 && a.sw == 2 && a.dh == 1 && a.dw == 1 && a.ph == 0 && a.pw == 0 &&
         2 * a.OH <= a.H && 2 * a.OW <= a.W;
}

// Max over the window of output (oh, t), taps outside the plane skipped; 0 for an empty window.
// NaN as the vector kernels: "v > best ? v : best" after the first tap.
inline float max_window(const DwConv2dArgs& a, const float* x, int64_t oh, int64_t t) {
  float best = 0.f;
  bool first = true;
  for (int64_t kh = 0; kh < a.KH; ++kh) {
    const int64_t ih = oh * a.sh - a.ph + kh * a.dh;
    if (ih < 0 || ih >= a.H) continue;
    for (int64_t kw = 0; kw < a.KW; ++kw) {
      const int64_t iw = t * a.sw - a.pw + kw * a.dw;
      if (iw < 0 || iw >= a.W) continue;
      const float v = x[ih * a.W + iw];
      if (first || v > best) best = v, first = false;
    }
  }
  return best;
}

}  // namespace
}  // namespace onnxrt::kernels::ukernels
