// Winograd F(2x2,3x3) / F(4x4,3x3) transform microkernels (kernels/cpu/nn_conv_winograd.cc drives
// them). Each works on 16 channel lanes at once: the caller lays a strip of input rows out as
// [row][column][16 channels] and gets the transformed tiles scattered into the GEMM operand, and
// the reverse for the output. Raw pointers and strides only.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ukernels {

constexpr int64_t kWinogradLanes = 16;

// One strip of `tiles` input tiles along a row. buf holds alpha = tile + 2 rows of
// (tiles * tile + 2) columns, 16 floats each (rows buf_row_stride floats apart). Tile tx position
// (i, j) of alpha x alpha goes to v[(i*alpha + j) * v_xi_stride + tx * v_tile_stride + lane] for
// lane < lanes (the other lanes are not written).
struct WinogradInputArgs {
  int64_t tile;  // 2 or 4 output pixels per side
  const float* buf;
  int64_t buf_row_stride;
  int64_t tiles;
  float* v;
  int64_t v_xi_stride, v_tile_stride;
  int64_t lanes;
};

// The reverse: tile tx reads 16 floats at m[(i*alpha + j) * m_xi_stride + tx * m_tile_stride]
// (all 16 are read: the caller keeps them in bounds) and writes tile x tile outputs plus bias[lane]
// (bias may be null; else 16 floats) to out[r * out_row_stride + (tx*tile + c) * 16 + lane].
struct WinogradOutputArgs {
  int64_t tile;
  const float* m;
  int64_t m_xi_stride, m_tile_stride;
  int64_t tiles;
  const float* bias;
  float* out;
  int64_t out_row_stride;
};

using WinogradInputFn = void (*)(const WinogradInputArgs& a);
using WinogradOutputFn = void (*)(const WinogradOutputArgs& a);
void winograd_input_f32_scalar(const WinogradInputArgs& a);
void winograd_input_f32_avx2(const WinogradInputArgs& a);
void winograd_input_f32_avx512(const WinogradInputArgs& a);
void winograd_output_f32_scalar(const WinogradOutputArgs& a);
void winograd_output_f32_avx2(const WinogradOutputArgs& a);
void winograd_output_f32_avx512(const WinogradOutputArgs& a);
// The best for this CPU (chosen once).
WinogradInputFn winograd_input_f32_ukernel();
WinogradOutputFn winograd_output_f32_ukernel();

}  // namespace onnxrt::kernels::ukernels
