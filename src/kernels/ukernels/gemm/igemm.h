// Integer GEMM microkernels for the quantized products (MatMulInteger, QLinearMatMul):
//   C[i, j] (+)= sum_p a[p][i] . b[p][j]       (int32, wrapping like the spec's int32 result)
// where every operand is an int16 pair: the caller has already subtracted the zero points, so a
// uint8 or int8 value minus its zero point lies in [-255, 255] and the pair's two products sum to
// at most 2 * 255 * 255 (vpmaddwd never saturates there). Products of exact integers in exact
// integer sums: every path, scalar or vector, gives the same bits.
//   a   packed A micro-panel: for each k pair p, the m (<= kIgemmRows) pairs (a[i][2p], a[i][2p+1]),
//       contiguous (m * 2 int16 per pair);
//   b   packed B panel: for each k pair p, kIgemmCols columns of (b[2p][j], b[2p+1][j]), the
//       columns past the matrix zero (kIgemmCols * 2 int16 per pair);
//   c   rows at c + i * ldc; only the first n (<= kIgemmCols) columns are written;
//   accumulate: add to C instead of storing (later K blocks).
// The driver (kernels/cpu/qgemm.cc) packs and blocks.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ukernels {

constexpr int kIgemmRows = 6;
constexpr int kIgemmCols = 16;

using IgemmTileFn = void (*)(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int16_t* b, int32_t* c,
                             int64_t ldc, bool accumulate);

void igemm_tile_scalar(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int16_t* b, int32_t* c,
                       int64_t ldc, bool accumulate);
// AVX2: a 6 x 16 tile is 12 ymm accumulators of int32; each k pair is one vpmaddwd + vpaddd per
// accumulator (16 multiply-adds per vpmaddwd, against 8 per fp32 FMA).
void igemm_tile_avx2(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int16_t* b, int32_t* c,
                     int64_t ldc, bool accumulate);

// Packs one panel: columns [0, nc) (nc <= kIgemmCols) of rows [0, K) of an 8-bit B (row r at
// b + r * ld, int8 when is_signed) minus the columns' zero points z[j], into kIgemmCols * 2 *
// ceil(K / 2) int16 (the layout above); rows past K and columns past nc are zero.
void igemm_pack_panel_scalar(const uint8_t* b, bool is_signed, int64_t ld, int64_t K, int64_t nc, const int16_t* z,
                             int16_t* panel);
void igemm_pack_panel_avx2(const uint8_t* b, bool is_signed, int64_t ld, int64_t K, int64_t nc, const int16_t* z,
                           int16_t* panel);

// The AVX2 tile on a narrow (int8) B panel, sign-extended as it is loaded: for row groups of one
// or two tiles (decode steps), where widening a K block first would not pay for itself.
void igemm_tile_narrow_avx2(int64_t m, int64_t n, int64_t pairs, const int16_t* a, const int8_t* b, int32_t* c,
                            int64_t ldc, bool accumulate);

// Float vector times int8 matrix, for MatMulInt8Weight's few-row products (decode steps):
//   acc[j] = sum_k x[k] * q[k * ldq + j]   for j < n, in float32 (int8 values are exact there).
void gemv_int8w_scalar(const float* x, int64_t K, const int8_t* q, int64_t ldq, int64_t n, float* acc);
void gemv_int8w_avx2(const float* x, int64_t K, const int8_t* q, int64_t ldq, int64_t n, float* acc);

// Sign-extends n int8 to int16: a panel packed narrow (int8, same layout) back to the tiles' int16,
// one K block at a time.
void igemm_widen_scalar(const int8_t* src, int64_t n, int16_t* dst);
void igemm_widen_avx2(const int8_t* src, int64_t n, int16_t* dst);

}  // namespace onnxrt::kernels::ukernels
