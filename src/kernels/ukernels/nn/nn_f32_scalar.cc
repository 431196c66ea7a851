// Portable versions of the nn microkernels (ukernels.h), and the per-CPU choice.
#include <algorithm>
#include <cmath>

#include "base/cpu_features.h"
#include "kernels/ukernels/nn/plane_helpers.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

namespace {

// Same NaN behaviour as the x86 min/max of the vector path: a NaN in y comes out as the bound,
// which matches max(y, lo) with y as the first operand there. Kept simple: activations on NaN
// are not something a model relies on.
inline float act(const EpilogueArgs& a, float v) {
  switch (a.act) {
    case EpiAct::kNone: return v;
    case EpiAct::kRelu: return std::max(v, 0.f);
    case EpiAct::kClamp: return std::min(std::max(v, a.p0), a.p1);
    case EpiAct::kLeakyRelu: return v >= 0.f ? v : a.p0 * v;
    case EpiAct::kHardSigmoid: return std::min(std::max(a.p0 * v + a.p1, 0.f), 1.f);
    case EpiAct::kHardSwish: return v * std::min(std::max(v * (1.f / 6.f) + 0.5f, 0.f), 1.f);
  }
  return v;
}

}  // namespace

void epilogue_f32_scalar(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * ldy;
    const float rb = a.row_bias ? a.row_bias[r] : 0.f;
    const float* zr = a.z ? a.z + r * a.ldz : nullptr;
    for (int64_t c = 0; c < cols; ++c) {
      float v = yr[c] + rb;
      if (a.col_bias) v += a.col_bias[c];
      if (zr) v += zr[c];
      yr[c] = act(a, v);
    }
  }
}

void dwconv2d_f32_scalar(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y) {
  for (int64_t oh = 0; oh < a.OH; ++oh) {
    float* out = y + oh * a.OW;
    std::fill(out, out + a.OW, bias);
    for (int64_t kh = 0; kh < a.KH; ++kh) {
      const int64_t ih = oh * a.sh - a.ph + kh * a.dh;
      if (ih < 0 || ih >= a.H) continue;
      const float* row = x + ih * a.W;
      for (int64_t kw = 0; kw < a.KW; ++kw) {
        const float wv = w[kh * a.KW + kw];
        const int64_t i0 = kw * a.dw - a.pw;
        // Valid t: 0 <= i0 + t*sw < W.
        int64_t lo = i0 >= 0 ? 0 : (-i0 + a.sw - 1) / a.sw;
        int64_t hi = i0 < a.W ? (a.W - 1 - i0) / a.sw + 1 : 0;
        lo = std::min(lo, a.OW);
        hi = std::clamp(hi, lo, a.OW);
        for (int64_t t = lo; t < hi; ++t) out[t] += wv * row[i0 + t * a.sw];
      }
    }
    if (a.clamp)
      for (int64_t t = 0; t < a.OW; ++t) out[t] = std::min(std::max(out[t], a.lo), a.hi);
  }
}

void maxpool2d_f32_scalar(const DwConv2dArgs& a, const float* x, float* y) {
  for (int64_t oh = 0; oh < a.OH; ++oh)
    for (int64_t ow = 0; ow < a.OW; ++ow) y[oh * a.OW + ow] = max_window(a, x, oh, ow);
}

EpilogueF32Fn epilogue_f32_ukernel() {
  static const EpilogueF32Fn fn = cpu_features().has_avx512()     ? &epilogue_f32_avx512
                                  : cpu_features().has_avx2_fma() ? &epilogue_f32_avx2
                                                                  : &epilogue_f32_scalar;
  return fn;
}

// These two here, not in an ISA file: every CPU calls them, and an ISA file's flags could let the
// compiler use instructions this CPU lacks.
bool dwconv2d_3x3_applies(const DwConv2dArgs& a) {
  return a.KH == 3 && a.KW == 3 && a.dh == 1 && a.dw == 1 && a.sh == a.sw && (a.sw == 1 || a.sw == 2);
}

bool dwconv2d_kxk_applies(const DwConv2dArgs& a) {
  return a.KH == a.KW && (a.KH == 3 || a.KH == 5 || a.KH == 7) && a.dh == 1 && a.dw == 1 && a.sh == a.sw &&
         (a.sw == 1 || a.sw == 2);
}

bool maxpool2d_rows_applies(const DwConv2dArgs& a) {
  return a.KH > 0 && a.KH <= kMaxPoolWindowRows && a.KW > 0 && a.dw == 1 && (a.sw == 1 || a.sw == 2) &&
         a.sh > 0 && a.dh > 0;
}

DwConv2dF32Fn dwconv2d_3x3_f32_ukernel() {
  static const DwConv2dF32Fn fn = cpu_features().has_avx512()     ? &dwconv2d_3x3_f32_avx512
                                  : cpu_features().has_avx2_fma() ? &dwconv2d_3x3_f32_avx2
                                                                  : nullptr;
  return fn;
}

ConvDirectUkernel conv_direct_f32_ukernel() {
  static const ConvDirectUkernel uk = cpu_features().has_avx512()     ? ConvDirectUkernel{&conv_direct_f32_avx512, 16, 12, 8}
                                      : cpu_features().has_avx2_fma() ? ConvDirectUkernel{&conv_direct_f32_avx2, 8, 6, 4}
                                                                      : ConvDirectUkernel{nullptr, 0, 0, 0};
  return uk;
}

DwConv2dF32Fn dwconv2d_f32_ukernel() {
  static const DwConv2dF32Fn fn = cpu_features().has_avx512()     ? &dwconv2d_f32_avx512
                                  : cpu_features().has_avx2_fma() ? &dwconv2d_f32_avx2
                                                                  : &dwconv2d_f32_scalar;
  return fn;
}

}  // namespace onnxrt::kernels::ukernels

namespace onnxrt::kernels::ukernels {

LanePool8F32Fn lane_pool8_f32_ukernel() {
  static const LanePool8F32Fn fn = cpu_features().has_avx2_fma() ? &lane_pool8_f32_avx2 : nullptr;
  return fn;
}

MaxPool2dF32Fn maxpool2d_f32_ukernel() {
  static const MaxPool2dF32Fn fn = cpu_features().has_avx512()     ? &maxpool2d_f32_avx512
                                   : cpu_features().has_avx2_fma() ? &maxpool2d_f32_avx2
                                                                   : &maxpool2d_f32_scalar;
  return fn;
}

}  // namespace onnxrt::kernels::ukernels
