// 2-D transposes of 32-bit elements (Transpose, and every strided copy that is one:
// kernels/cpu/tensor_copy.cc): b[i*ldb + j] = a[j*lda + i] for i < m, j < n. The AVX2 version
// moves 8x8 blocks through registers (8 row loads, 24 shuffles, 8 row stores) instead of one
// element at a time; edges go element by element.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ew {

using Transpose32Fn = void (*)(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb, int64_t m, int64_t n);

void transpose_32bit_scalar(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb, int64_t m, int64_t n);
void transpose_32bit_avx2(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb, int64_t m, int64_t n);

// The variant for this CPU (cpu_features honours ONNXRT_ISA).
Transpose32Fn transpose_32bit_ukernel();

// Every other 32-bit element, b[i] = a[2 i] for i < n (a strided copy's stride-2 rows: Slice with
// step 2, SpaceToDepth): the AVX2 version takes 16 elements per two loads and keeps the even ones.
// Reads a[0 .. 2n - 2] only.
using GatherStride2Fn = void (*)(const uint32_t* a, uint32_t* b, int64_t n);

void gather_stride2_32bit_scalar(const uint32_t* a, uint32_t* b, int64_t n);
void gather_stride2_32bit_avx2(const uint32_t* a, uint32_t* b, int64_t n);
GatherStride2Fn gather_stride2_32bit_ukernel();

// A gather along one row by int64 indices (GatherElements on the innermost axis, as DeBERTa's
// relative-position attention does): b[t] = a[i] for t < count with i = idx[t], or i + n when
// idx[t] is negative. An index outside [-n, n) reads a[0] and makes the result true (the caller
// reports it); n >= 1. The AVX2 version takes 4 indices at a time with one hardware gather.
using GatherIndexedFn = bool (*)(const uint32_t* a, int64_t n, const int64_t* idx, uint32_t* b, int64_t count);

bool gather_indexed_32bit_scalar(const uint32_t* a, int64_t n, const int64_t* idx, uint32_t* b, int64_t count);
bool gather_indexed_32bit_avx2(const uint32_t* a, int64_t n, const int64_t* idx, uint32_t* b, int64_t count);
GatherIndexedFn gather_indexed_32bit_ukernel();

}  // namespace onnxrt::kernels::ew
