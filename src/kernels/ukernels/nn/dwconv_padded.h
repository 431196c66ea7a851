// The zero-padded copy of one input plane that the per-plane depthwise kernels read, so that
// their loops have no border cases: with 3x3 windows on 7x7..14x14 planes the border columns were
// a large share of the work when done one by one. The copy is one read of the plane per KH*KW
// multiply-adds. Internal linkage on purpose: each ISA's file compiles its own copy with its own
// flags, so the linker can never hand an AVX2 CPU the AVX-512 build of it.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {
namespace {

// The plane to read (x itself when no tap falls outside it, else a padded copy in `buf`) and its
// row stride in `ld`. Taps of output (oh, t) are at rows oh*sh + kh*dh, columns t*sw + kw*dw.
inline const float* padded_plane(const DwConv2dArgs& a, const float* x, std::vector<float>& buf, int64_t* ld) {
  const int64_t Hp = (a.OH - 1) * a.sh + (a.KH - 1) * a.dh + 1;
  const int64_t Wp = (a.OW - 1) * a.sw + (a.KW - 1) * a.dw + 1;
  *ld = a.W;
  if (!(a.ph != 0 || a.pw != 0 || Hp > a.H || Wp > a.W)) return x;
  // Only the border is zeroed: clearing the whole plane first was one more pass over it.
  if (buf.size() < static_cast<size_t>(Hp * Wp)) buf.resize(static_cast<size_t>(Hp * Wp));
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

}  // namespace
}  // namespace onnxrt::kernels::ukernels
