// Microkernels on the channel-blocked layout [N, C/8, H, W, 8] (com.onnxrt BlockedConv,
// passes/block_channels.cc): each pixel's 8 channels of a block are one AVX2 vector, so a
// pointwise conv is a GEMM whose rows are pixels (broadcast inputs, weight vectors of 8 output
// channels) reading C/8 input streams instead of C channel planes, and a depthwise conv is one
// FMA per tap and pixel for 8 channels at once, at any stride, with no shuffles.
// Scalar versions for CPUs without AVX2 (and for checking the vector ones).
#pragma once

#include <cstdint>

#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::ukernels {

inline constexpr int64_t kBlock = 8;  // channels per block

// One tile of a pointwise (1x1) conv: `ob` blocks of output channels (1..3) x `pixels` consecutive
// output pixels (1..blocked_pointwise_tile_pixels(ob)), whose inputs are x_pixel_step (1 or 2)
// pixels apart (s = x_pixel_step):
//   y[b][p][j] = clamp(bias[b*8 + j] + z[b][p][j] + sum_k x[k/8][s*p][k%8] * w[k*ob*8 + b*8 + j])
// where block b of y (z) is at y + b*y_block_stride, and input block i at x + i*x_block_stride.
// A dense conv (kernels/cpu/fused_blocked.cc) is the same tile summed over `taps` window taps: tap
// t reads its inputs at x + tap_off[t] and its weights at w + t*w_tap_stride, all in registers.
// (Or one tap per call, the calls accumulating through y.)
// A deep K runs in slices (the caller's K blocking): `accumulate` starts the sums from y instead
// of 0, and only with `finish` are bias, z and the clamp applied; otherwise y gets the raw sums.
struct BlockedPointwiseArgs {
  int64_t in_blocks;  // K / 8
  const float* x;
  int64_t x_block_stride;
  const float* w;     // [in_blocks*8][ob*8]
  const float* bias;  // ob*8 values, or null
  float* y;
  const float* z;     // null: no residual; else at y's offsets
  int64_t y_block_stride;
  int64_t pixels;
  int64_t x_pixel_step = 1;
  int64_t taps = 1;
  const int64_t* tap_off = nullptr;  // null: one tap at offset 0
  int64_t w_tap_stride = 0;          // floats between the taps' weights
  bool accumulate = false;
  bool finish = true;
  bool clamp;
  float lo, hi;
};
// Pixels per tile for `ob` output blocks: 12 accumulators (8 for one block).
int blocked_pointwise_tile_pixels(int ob);
void blocked_pointwise_f32_scalar(const BlockedPointwiseArgs& a, int ob);
void blocked_pointwise_f32_avx2(const BlockedPointwiseArgs& a, int ob);

// One tile of a conv whose input is NCHW with few channels (a network's stem on an RGB image),
// writing blocked output: `ob` blocks of output channels (1..3) x `pixels` consecutive output
// pixels of one row (1..blocked_pointwise_tile_pixels(ob)), over `taps` (channel, kh, kw) taps:
//   y[b][p][j] = clamp(bias[b*8 + j] + sum_t x[tap_off[t] + p*s] * w[t*ob*8 + b*8 + j])
// where x is a zero-padded input at the tile's first tap, s = x_pixel_step (1 or 2), and block b
// of y is at y + b*y_block_stride. The pointwise tile with scalar inputs found through a tap table
// instead of 8-channel input vectors.
struct BlockedStemArgs {
  int64_t taps;
  const int64_t* tap_off;
  const float* x;
  int64_t x_pixel_step = 1;
  const float* w;     // [taps][ob*8]
  const float* bias;  // ob*8 values, or null
  float* y;
  int64_t y_block_stride;
  int64_t pixels;
  bool clamp;
  float lo, hi;
};
void blocked_stem_f32_scalar(const BlockedStemArgs& a, int ob);
void blocked_stem_f32_avx2(const BlockedStemArgs& a, int ob);

// Output rows [oh0, oh1) of a depthwise conv on one channel block, geometry as for dwconv2d
// (zero padding, strides, dilations), with bias, residual z and clamp:
//   y[oh][ow][j] = clamp(bias[j] + z[oh][ow][j] + sum_{kh,kw} w[kh*KW + kw][j] * x[ih][iw][j])
struct BlockedDepthwiseArgs {
  DwConv2dArgs geom;
  const float* x;     // [H][W][8]
  const float* w;     // [KH*KW][8]
  const float* bias;  // 8 values, or null
  const float* z;     // [OH][OW][8], or null
  float* y;           // [OH][OW][8]
  int64_t oh0, oh1;
};
void blocked_depthwise_f32_scalar(const BlockedDepthwiseArgs& a);
void blocked_depthwise_f32_avx2(const BlockedDepthwiseArgs& a);

// Layout changes of one block of 8 channel planes, pixels [p0, p1): to_blocked reads plane j at
// x + j*plane and writes y[p][j]; from_blocked is the inverse.
void to_blocked_f32_scalar(const float* x, int64_t plane, int64_t p0, int64_t p1, float* y);
void to_blocked_f32_avx2(const float* x, int64_t plane, int64_t p0, int64_t p1, float* y);
void from_blocked_f32_scalar(const float* x, int64_t p0, int64_t p1, float* y, int64_t plane);
void from_blocked_f32_avx2(const float* x, int64_t p0, int64_t p1, float* y, int64_t plane);

// The best of each for this CPU.
struct BlockedUkernels {
  void (*pointwise)(const BlockedPointwiseArgs&, int);
  void (*stem)(const BlockedStemArgs&, int);
  void (*depthwise)(const BlockedDepthwiseArgs&);
  void (*to_blocked)(const float*, int64_t, int64_t, int64_t, float*);
  void (*from_blocked)(const float*, int64_t, int64_t, float*, int64_t);
};
const BlockedUkernels& blocked_ukernels();

}  // namespace onnxrt::kernels::ukernels
