// Microkernels for the nn family and the fused ops: raw pointers and strides only.
//   epilogue:   y[r*ldy + c] = act(y + row_bias[r] + col_bias[c] + z[r*ldz + c]) over a block,
//               applied to a GEMM tile while it is still in L1 (null bias/z pointers are skipped);
//   dwconv2d:   one channel plane of a depthwise 2-D convolution with its bias and a clamp.
// One entry point per ISA; the *_ukernel() functions pick the best for this CPU once.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ukernels {

// The activations cheap enough to run inside the epilogue loop (min/max/fma only). The others
// (sigmoid, tanh, gelu) run as a second pass over the tile with the element-wise ukernels.
enum class EpiAct : int32_t { kNone, kRelu, kClamp, kLeakyRelu, kHardSigmoid, kHardSwish };

struct EpilogueArgs {
  EpiAct act = EpiAct::kNone;
  float p0 = 0.f;  // clamp lo, leaky alpha, hard-sigmoid alpha
  float p1 = 0.f;  // clamp hi, hard-sigmoid beta
  const float* row_bias = nullptr;
  const float* col_bias = nullptr;
  const float* z = nullptr;
  int64_t ldz = 0;
};

using EpilogueF32Fn = void (*)(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows,
                               int64_t cols);
void epilogue_f32_scalar(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols);
void epilogue_f32_avx512(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols);
EpilogueF32Fn epilogue_f32_ukernel();

struct DwConv2dArgs {
  int64_t H, W, OH, OW, KH, KW;
  int64_t sh, sw, dh, dw, ph, pw;
  bool clamp;  // y = min(max(y, lo), hi) after the bias
  float lo, hi;
};

// y[OH, OW] = bias + sum_{kh,kw} w[kh*KW + kw] * x[oh*sh - ph + kh*dh, ow*sw - pw + kw*dw] (zero
// padding), then the clamp.
using DwConv2dF32Fn = void (*)(const DwConv2dArgs& a, const float* x, const float* w, float bias,
                               float* y);
void dwconv2d_f32_scalar(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
void dwconv2d_f32_avx512(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
DwConv2dF32Fn dwconv2d_f32_ukernel();

// y[OH, OW] = max over the window taps that fall inside x (0 when none do), with `a`'s window
// geometry (its clamp fields are unused). NaN follows the reference loop: a NaN in the first tap
// read stays, a later NaN is skipped.
using MaxPool2dF32Fn = void (*)(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_f32_scalar(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_f32_avx512(const DwConv2dArgs& a, const float* x, float* y);
MaxPool2dF32Fn maxpool2d_f32_ukernel();

}  // namespace onnxrt::kernels::ukernels
