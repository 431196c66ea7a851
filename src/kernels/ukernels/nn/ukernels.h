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
void epilogue_f32_avx2(const EpilogueArgs& a, float* y, int64_t ldy, int64_t rows, int64_t cols);
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
void dwconv2d_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
void dwconv2d_f32_avx512(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
DwConv2dF32Fn dwconv2d_f32_ukernel();
// The same for 3x3 windows, dilation 1, stride 1 or 2 in both dims (dwconv2d_3x3_applies): the
// nine weights in registers, several output rows per pass, padding by load masks (no copy).
// dwconv2d_3x3_f32_ukernel() is null on CPUs without AVX2 and FMA.
bool dwconv2d_3x3_applies(const DwConv2dArgs& a);
void dwconv2d_3x3_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
void dwconv2d_3x3_f32_avx512(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);
DwConv2dF32Fn dwconv2d_3x3_f32_ukernel();
// The AVX2 kernel of the 3x3 one for square 3x3, 5x5 and 7x7 windows under the same conditions
// (dwconv2d_kxk_applies); dwconv2d_f32_avx2 hands such planes to it.
bool dwconv2d_kxk_applies(const DwConv2dArgs& a);
void dwconv2d_kxk_f32_avx2(const DwConv2dArgs& a, const float* x, const float* w, float bias, float* y);

// Depthwise 2-D conv on a block of up to 16 channels at once, in a channel-interleaved layout:
// output rows [oh0, oh1) of `channels` planes (channel c: x + c*x_cstride, w + c*KH*KW, bias[c],
// y + c*y_cstride) are computed by transposing the input rows they need into a zero-padded
// [row][column][16 channels] strip, running every tap as one 16-lane FMA per output pixel, and
// transposing the results back. Unlike the per-plane kernel above it wastes no lanes on narrow
// planes (7x7, 14x14) and reads strided taps as whole vectors, so stride 2 needs no permutes.
struct DwConvC16Args {
  DwConv2dArgs geom;
  int64_t channels;  // 1..16
  const float* x;
  int64_t x_cstride;
  const float* w;
  const float* bias;  // null: no bias
  float* y;
  int64_t y_cstride;
  int64_t oh0, oh1;
  float* scratch;  // dwconv2d_c16_scratch_floats(geom, oh1 - oh0) floats
};
int64_t dwconv2d_c16_scratch_floats(const DwConv2dArgs& g, int64_t rows);
void dwconv2d_c16_f32_avx512(const DwConvC16Args& a);

// Direct convolution without im2col ("implicit GEMM"): MR output channels x up to 2 vectors of
// 16 output pixels, summed over K taps. Tap k of a pixel vector is the 16 floats at
// x_j + tap[k] (an input prepared so that every tap of a row of outputs is contiguous: padded,
// and split into column phases for strides > 1); its weights are w[k*MR .. k*MR+MR). Output
// row i (i < rows) of vector j goes to y_j + i*ldy, its first n_j pixels; bias (per row, may be
// null) is added, then the residual row z_j + i*ldz (z0 null: none), and with clamp
// min(max(., lo), hi) is applied before the store: FusedConv's Conv+Add+Relu writes each output
// once, where a second pass over Y and Z cost ~0.5 ms on ResNet's 64->256 @56 (Z read as 256
// short rows per pixel pair, which the prefetchers do not follow).
struct ConvDirectArgs {
  int64_t K;
  const int64_t* tap;
  const float* w;
  int64_t rows;  // 1..MR
  const float* bias;
  const float* x0;
  const float* x1;  // null: one vector
  int64_t n0, n1;   // 1..lanes (ConvDirectUkernel)
  float* y0;
  float* y1;
  int64_t ldy;
  const float* z0;  // null: no residual
  const float* z1;
  int64_t ldz;
  bool clamp;
  float lo, hi;
};
// AVX-512: vectors of 16 pixels, MR = 12 or 8; AVX2: vectors of 8 pixels, MR = 6 or 4.
void conv_direct_f32_avx2(const ConvDirectArgs& a, int mr);
void conv_direct_f32_avx512(const ConvDirectArgs& a, int mr);
using ConvDirectF32Fn = void (*)(const ConvDirectArgs& a, int mr);
struct ConvDirectUkernel {
  ConvDirectF32Fn fn;  // null: no direct kernel on this CPU
  int lanes;           // pixels per vector (n0, n1 <= lanes)
  int mr_wide, mr_narrow;  // the two MR values fn takes
};
ConvDirectUkernel conv_direct_f32_ukernel();

// Pools over rows of 8 floats (nn_pool.cc lane_pool: the pools of channel-blocked chains, x one
// plane [in0][in1][8]): for each output (o0, o1), o0 in [o0_begin, o0_end) and o1 < n1, the
// window's valid taps along dim 0 (w0[o0]) and dim 1 (w1[o1]) reduced into y's row
// (o0 - o0_begin) * n1 + o1: the max (v > best replaces best, so a NaN in the first tap stays and a
// later one is skipped; 0 when no tap is valid) or the sum times 1 / (w0.count * w1.count) (NaN
// for a count of 0).
struct LaneWindow {
  int64_t first, taps, step, count;  // first valid input index, valid taps, step, taps counted
};
struct LanePool8Args {
  const float* x;
  float* y;
  int64_t in1;
  const LaneWindow* w0;
  int64_t o0_begin, o0_end;
  const LaneWindow* w1;
  int64_t n1;
  bool max;
};
using LanePool8F32Fn = void (*)(const LanePool8Args& a);
void lane_pool8_f32_avx2(const LanePool8Args& a);
LanePool8F32Fn lane_pool8_f32_ukernel();  // null without AVX2

// y[OH, OW] = max over the window taps that fall inside x (0 when none do), with `a`'s window
// geometry (its clamp fields are unused). NaN follows the reference loop: a NaN in the first tap
// read stays, a later NaN is skipped.
using MaxPool2dF32Fn = void (*)(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_f32_scalar(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_f32_avx2(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_f32_avx512(const DwConv2dArgs& a, const float* x, float* y);
MaxPool2dF32Fn maxpool2d_f32_ukernel();
// The same for windows of dilation 1 and stride 1 or 2 along W (maxpool2d_rows_applies): a row
// pass takes the max over kw once per input row, a column pass the max over kh, so an input row
// read by several windows is loaded once; same results, NaN included. maxpool2d_f32_avx512 and
// maxpool2d_f32_avx2 call their ISA's version when it applies.
constexpr int64_t kMaxPoolWindowRows = 32;  // KH limit of the row-split kernels
bool maxpool2d_rows_applies(const DwConv2dArgs& a);
void maxpool2d_rows_f32_avx2(const DwConv2dArgs& a, const float* x, float* y);
void maxpool2d_rows_f32_avx512(const DwConv2dArgs& a, const float* x, float* y);

// One output row of an AveragePool with dilation 1 (nn_pool.cc avgpool_rows): the window's nrows
// input rows (W floats each) summed into buf[L, L + W), whose other floats are zero (the W
// padding; buf holds at least max(L + W, phase_len * sw) + 1 floats), then for ow < OW
//   y[ow] = (sum of buf[ow * sw + t], t < kw) * inv_rows * inv_cols[ow]
// (1 / the window's count as rows x columns; NaN for an empty window). acc holds OW floats;
// phases sw * phase_len floats (phase_len = OW + (kw - 1) / sw), used for strides above 2.
struct AvgPoolRowArgs {
  const float* const* rows;
  int64_t nrows, W;
  float* buf;
  int64_t L;
  float* acc;
  float* phases;
  int64_t phase_len, OW, kw, sw;
  float inv_rows;
  const float* inv_cols;
  float* y;
};
using AvgPoolRowF32Fn = void (*)(const AvgPoolRowArgs& a);
void avgpool_row_f32_scalar(const AvgPoolRowArgs& a);
void avgpool_row_f32_avx2(const AvgPoolRowArgs& a);
AvgPoolRowF32Fn avgpool_row_f32_ukernel();

// Layout moves around the convolution GEMMs (nn_conv.cc, nn_conv_pixel_gemm.cc).
// dst[t] = src[2*t] for t < n, reading nothing past src[2*(n-1)] (an im2col row of a stride-2
// conv).
void copy_stride2_f32_avx2(const float* src, float* dst, int64_t n);
void copy_stride2_f32_avx512(const float* src, float* dst, int64_t n);

// im2col rows written straight into the GEMM's B panels (nn_conv.cc, convs whose every tap is
// inside X, stride 1 or 2 along the last dim). A block's output columns are cut into runs that
// lie in one output row and one NR-wide panel; runs [panel_runs[p], panel_runs[p+1]) fill panel
// p, in increasing column order. For every row r < kc and run u:
//   out[u.dst + r * nr + t] = rows[r][u.src + t * stride] for t < u.len (u.len <= nr).
// Runs are copied in whole 8-float stores, so up to 7 floats past a run's end may be overwritten
// by garbage (later runs and rows write over it; the last row's tails are stored masked), and
// `out` needs 8 floats of slack past the block. Reads stop at the run's last float (masked
// loads), so the rows may end at a page end.
struct Im2colRun {
  int64_t dst, src, len;
};
struct Im2colPanelsArgs {
  const float* const* rows;
  int64_t kc, nr, stride;
  const Im2colRun* runs;
  const int64_t* panel_runs;
  int64_t panels;
  float* out;
};
void im2col_panels_f32_avx2(const Im2colPanelsArgs& a);

// A pixel-row GEMM's result tile c[m][ldc] (pixels in rows, channels in the lanes) stored
// transposed into Y's channel rows: for channel j < channels and pixel i < m,
// y[j*ldy + i] = v, v = c[i*ldc + j] + bias[j] (null: 0) + z[j*ldz + i] (null: 0), then
// min(max(v, lo), hi) with clamp. Transposed in registers: the scalar loop read the tile with a
// stride of ldc floats and cost ~7 cycles per output. AVX-512: m <= 16, channels <= 32,
// ldc 32; AVX2: m <= 8, channels <= 16, ldc 16.
struct TransposedStoreArgs {
  const float* c;
  int m, channels;
  const float* bias;
  const float* z;
  int64_t ldz;
  float* y;
  int64_t ldy;
  bool clamp;
  float lo, hi;
};
void store_transposed_f32_avx2(const TransposedStoreArgs& a);
void store_transposed_f32_avx512(const TransposedStoreArgs& a);

}  // namespace onnxrt::kernels::ukernels
