// SGEMM microkernels: C[m,n] = alpha * sum_k a[k*m + i] * b[k*ldb + j] (+ beta * C).
//   a    packed A micro-panel: for each k, the m (<= mr) values of column k, contiguous.
//   b    B rows, k-th row at b + k*ldb; only the first n (<= nr) columns are read, so b may be a
//        zero-padded packed panel (ldb == nr) or the caller's unpacked B (ldb == its stride).
//   beta 0 means C is not read (it may hold NaN).
// Raw pointers and strides only; the driver in kernels/cpu/gemm.cc does blocking and packing.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ukernels {

using SgemmUkernelFn = void (*)(int64_t m, int64_t n, int64_t k, const float* a, const float* b,
                                int64_t ldb, float* c, int64_t ldc, float alpha, float beta);

// The same product with B given as float16 (or bfloat16) panels, widened as they load (for 16-bit
// weights kept in 16 bits: half the memory traffic of a GEMV, half the weight memory). b is always
// a packed, zero-padded panel (ldb == nr), so every one of its nr columns may be read.
using SgemmHalfBUkernelFn = void (*)(int64_t m, int64_t n, int64_t k, const float* a, const uint16_t* b,
                                     int64_t ldb, float* c, int64_t ldc, float alpha, float beta);

struct SgemmUkernel {
  int mr;  // rows per register tile
  int nr;  // columns per register tile
  SgemmUkernelFn fn;
  const char* name;
  SgemmHalfBUkernelFn half_fn = nullptr;  // float16 B; null: this family keeps float16 weights as float32
  SgemmHalfBUkernelFn bf16_fn = nullptr;  // bfloat16 B; likewise
};

SgemmUkernel sgemm_ukernel_scalar();
SgemmUkernel sgemm_ukernel_avx2();
SgemmUkernel sgemm_ukernel_avx512();

// Few-row products against narrow panels, for the LSTM recurrence (a [B, H] x [H, 4H] product per
// time step, B small): C[m, n] = A[m, K] * P[K, n], beta 0, for any m and n <= kRowPanelWidth.
//   a  rows of A at a + i*lda, read in place (no packing: a step's h is a few KB);
//   p  the panel: K rows of width round_up(n, 8), contiguous, zero-padded past n.
// At m = 4 the 6x16 tile above holds 8 accumulators, exactly what two FMA pipes of latency 4 need
// in flight; rows of 4 x 24 columns hold 12. benchmarks/kernels/recurrent_bench on Zen 3 (weights
// from L3, as in a model): the LSTM step 4 x 1024 x 256 91-93 -> 92-95 GFLOP/s, the projection
// 128 x 1024 x 128 94-95 -> 97.5-98 (FMA peak ~97-100).
constexpr int64_t kRowPanelWidth = 24;
constexpr int64_t kRowPanelStep = 8;  // panel widths are multiples of this
using SgemmRowsFn = void (*)(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p,
                             float* c, int64_t ldc);
void sgemm_rows_scalar(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p,
                       float* c, int64_t ldc);
void sgemm_rows_avx2(int64_t m, int64_t n, int64_t K, const float* a, int64_t lda, const float* p,
                     float* c, int64_t ldc);

// One vector against a few rows read in place, for attention with one query row (a decode step
// against its KV cache), where the packed GEMM would pack K^T and V for one row of arithmetic:
//   dot_rows:  out[j] = alpha * sum_k x[k] * r[j * ld + k]   for j < n   (scores = q K^T)
//   axpy_rows: out[k] = sum_j w[j] * r[j * ld + k]           for k < d   (y = p V; out is written)
// (rows_f32_avx2.cc; the scalar versions in sgemm_4x8_scalar.cc are the reference.)
using DotRowsFn = void (*)(const float* x, const float* r, int64_t ld, int64_t n, int64_t d, float alpha,
                           float* out);
using AxpyRowsFn = void (*)(const float* w, const float* r, int64_t ld, int64_t n, int64_t d, float* out);
void dot_rows_scalar(const float* x, const float* r, int64_t ld, int64_t n, int64_t d, float alpha, float* out);
void dot_rows_avx2(const float* x, const float* r, int64_t ld, int64_t n, int64_t d, float alpha, float* out);
void axpy_rows_scalar(const float* w, const float* r, int64_t ld, int64_t n, int64_t d, float* out);
void axpy_rows_avx2(const float* w, const float* r, int64_t ld, int64_t n, int64_t d, float* out);

// Small problems without packing (sgemm_small_avx512.cc): C[M,N] = alpha * op(A) * B + beta * C,
// B row-major with leading dimension ldb (an unpacked B, or a packed one with a single panel and
// K block, whose layout is the same). Requires N <= kSmallMaxN; beta 0 means C is not read. With
// `bias` (N values) the result is alpha * op(A) * B + beta * bias on every row, and C is not read.
constexpr int64_t kSmallMaxN = 64;
constexpr int64_t kSmallMaxK = 256;
void sgemm_small_avx512(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                        bool trans_a, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                        const float* bias = nullptr);

}  // namespace onnxrt::kernels::ukernels
