// Winograd convolution for 2-D 3x3 convs with stride 1, dilation 1 and one group (the body of
// ResNet), used by ConvKernel (nn_conv.cc) when it measures faster than im2col + GEMM.
//
// F(m x m, 3x3) computes an m x m output tile from an (m+2) x (m+2) input tile with (m+2)^2
// multiplies per (input, output) channel pair instead of 9 m^2: 2.25x fewer for m = 2, 4x for
// m = 4. The multiplies of all tiles form (m+2)^2 independent GEMMs
//   Mxi[tile, M] = V[xi][tile, C] * U[xi][C, M]
// where U = G g G^T is the transformed weight (packed once for sgemm_packed), V = B^T d B the
// transformed input tile and the output tile is A^T m A.
//
// Numerics (tests/kernels/test_nn_conv_winograd.cc against a float64 direct conv, x and w
// uniform in [-1, 1], C from 1 to 256): max |err| / sum(|w||x|) over the 3x3xC window measured
// 2.6e-6 for F(4x4,3x3) and 2.3e-7 for F(2x2,3x3); the test holds them to 5e-6 and 5e-7. The
// error is the transforms' (points +-2 and the 1/6, 1/12, 1/24 of G for F(4x4)), not the
// GEMM's, so it does not grow with C beyond the usual float32 summation error.
#pragma once

#include <cstdint>
#include <vector>

#include "base/thread_pool.h"
#include "ir/infer_fused.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/nn_common.h"

namespace onnxrt::kernels::winograd {

// W [M, C, 3, 3] transformed and packed for one tile size.
class Weights {
 public:
  // tile: 2 for F(2x2,3x3), 4 for F(4x4,3x3).
  static Weights make(const float* w, int64_t M, int64_t C, int tile);
  bool empty() const { return u_.empty(); }
  int tile() const { return tile_; }
  int64_t M() const { return M_; }
  int64_t C() const { return C_; }
  const PackedB& u(int64_t xi) const { return u_[static_cast<size_t>(xi)]; }

 private:
  int tile_ = 0;
  int64_t M_ = 0, C_ = 0;
  std::vector<PackedB> u_;  // (tile+2)^2 matrices [C, M]
};

// 2-D, 3x3 kernel, stride 1, dilation 1, one group: the convs Winograd can compute.
bool applies(const nn::ConvGeom& g);

// The tile size that measured fastest for this conv (2 or 4), or 0 when im2col + GEMM is faster
// (few channels, small planes). Only meaningful when applies(g).
int pick_tile(const nn::ConvGeom& g);

// Scratch floats conv() needs for g with this tile size on a pool of `threads` threads.
int64_t scratch_floats(const nn::ConvGeom& g, int tile, int threads);

// 3-D convs whose H x W window is 3x3 at stride 1 and dilation 1 (C3D's and 3-D UNets' 3x3x3,
// R(2+1)D's 1x3x3), with one group, run as a 2-D Winograd conv over stacked depth slices: output
// depth od of image n is image n * OD + od of a 2-D conv whose input channel c * KD + kd is X's
// depth slice od * stride - pad + kd * dilation of channel c (a zero plane outside X). W
// [M, C, KD, 3, 3] is, as laid out, the 2-D weight [M, C * KD, 3, 3] of that conv, so
// Weights::make takes it unchanged; the slices are read in place (no stacked copy of X).
// im2col for a 3x3x3 window wrote 27 C floats per output pixel; this does 36 / 16 multiplies
// per output instead of 27 for F(4x4) and reads each input slice once per output depth.
struct DepthStack {
  int64_t D = 1, OD = 1, KD = 1, stride = 1, dil = 1, pad = 0;  // X's depth, Y's, W's; the depth window
};
bool applies_3d(const nn::ConvGeom& g);
// The 2-D geometry of the stacked conv (applies_3d(g) must hold) and, in `ds`, its depth stack.
nn::ConvGeom stacked_geometry(const nn::ConvGeom& g, DepthStack* ds);

// y = act(conv(x, w) + bias + z) for all images; bias, z may be null. `w` must match g's M and C
// (and applies(g) must hold). `scratch` holds scratch_floats(g, w.tile(), pool.num_threads()) floats.
// `blocked`: x, z and y are in the channel-blocked layout [N, C/8, H, W, 8] (ir/infer_fused.h; C and
// M multiples of 8), read and written as whole 8-channel runs (com.onnxrt BlockedConv).
void conv(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool, bool blocked = false);
// The same for a 3-D conv (applies_3d(g)): `g` is its 3-D geometry, `scratch` holds
// scratch_floats(stacked_geometry(g), w.tile(), threads) floats, and w was made for C * KD channels.
void conv_3d(const Weights& w, const nn::ConvGeom& g, const float* x, const float* bias, const float* z,
             const ir::FusedActivation& act, float* y, float* scratch, ThreadPool& pool);

}  // namespace onnxrt::kernels::winograd
