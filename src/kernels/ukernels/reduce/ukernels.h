// Float32 reduction microkernels: raw pointers and element counts only. A row kernel reduces one
// contiguous run to a scalar; a column kernel folds one contiguous run into an accumulator row
// (acc[j] = combine(acc[j], map(x[j]))), which is how a reduction over a non-innermost axis
// vectorizes: across the kept inner elements, not along the reduced axis.
//
// Sum-like row kernels (kSum, kSumSq, kAbsSum) use pairwise summation over blocks of 512 floats,
// each block summed in 4 x lanes independent float accumulators. Pairwise keeps the rounding
// error at O(eps * log n) rather than the O(eps * n) of one running sum, so float32 accumulation
// stays within the reference (which sums in double) for rows of millions of elements; the
// recursion costs one call per 512 elements, nothing next to the loads. Max/Min propagate NaN,
// as the reference (numpy semantics) does.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::red {

enum class RowOp : int32_t { kSum, kSumSq, kAbsSum, kMax, kMin };

using RowF32Fn = float (*)(RowOp op, const float* x, int64_t n);
using ColF32Fn = void (*)(RowOp op, float* acc, const float* x, int64_t n);
// acc[0, n) = the fold over t < rows of run t, x + off[t] (x + t * n when off is null), for runs of
// n = kLanes, 2, 4 or 8 kLanes floats (cols_takes): the partial results stay in registers for the
// whole fold, where col() loads and stores them once per run. A channel-blocked tensor's
// [N, C/8, H*W, 8] reduced over H*W (squeeze-excite's pooling) is 8-float runs: one col() call
// per run cost more than its add. Sums run in blocks of 128 runs, as the column path's.
using ColsF32Fn = void (*)(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n);

float row_f32_scalar(RowOp op, const float* x, int64_t n);
float row_f32_avx2(RowOp op, const float* x, int64_t n);
float row_f32_avx512(RowOp op, const float* x, int64_t n);
void col_f32_scalar(RowOp op, float* acc, const float* x, int64_t n);
void col_f32_avx2(RowOp op, float* acc, const float* x, int64_t n);
void col_f32_avx512(RowOp op, float* acc, const float* x, int64_t n);
void cols_f32_scalar(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n);
void cols_f32_avx2(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n);
void cols_f32_avx512(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n);

struct F32Ukernels {
  RowF32Fn row;
  ColF32Fn col;
  ColsF32Fn cols;
  int64_t lanes;
  const char* isa;
};

// Whether cols() takes runs of n floats.
inline bool cols_takes(const F32Ukernels& k, int64_t n) {
  return n > 0 && n % k.lanes == 0 && (n / k.lanes == 1 || n / k.lanes == 2 || n / k.lanes == 4 || n / k.lanes == 8);
}
// The best variant for this CPU (honours ONNXRT_ISA through cpu_features()), chosen once.
const F32Ukernels& f32_ukernels();

}  // namespace onnxrt::kernels::red
