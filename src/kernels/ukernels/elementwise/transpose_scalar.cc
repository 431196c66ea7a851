// The portable 2-D transpose (transpose.h): the fallback without AVX2 and the AVX2 version's edges.
#include "base/cpu_features.h"
#include "kernels/ukernels/elementwise/transpose.h"

namespace onnxrt::kernels::ew {

void transpose_32bit_scalar(const uint32_t* a, int64_t lda, uint32_t* b, int64_t ldb, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) b[i * ldb + j] = a[j * lda + i];
}

Transpose32Fn transpose_32bit_ukernel() {
  return cpu_features().has_avx2_fma() ? &transpose_32bit_avx2 : &transpose_32bit_scalar;
}

void gather_stride2_32bit_scalar(const uint32_t* a, uint32_t* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) b[i] = a[2 * i];
}

GatherStride2Fn gather_stride2_32bit_ukernel() {
  return cpu_features().has_avx2_fma() ? &gather_stride2_32bit_avx2 : &gather_stride2_32bit_scalar;
}

bool gather_indexed_32bit_scalar(const uint32_t* a, int64_t n, const int64_t* idx, uint32_t* b, int64_t count) {
  const auto un = static_cast<uint64_t>(n);
  uint64_t bad = 0;
  for (int64_t t = 0; t < count; ++t) {
    const int64_t i = idx[t];
    // Negative indices count from the end; branch-free, since mixed signs mispredict.
    const auto v = static_cast<uint64_t>(i + (n & (i >> 63)));
    bad |= static_cast<uint64_t>(v >= un);
    b[t] = a[v < un ? v : 0];
  }
  return bad != 0;
}

GatherIndexedFn gather_indexed_32bit_ukernel() {
  return cpu_features().has_avx2_fma() ? &gather_indexed_32bit_avx2 : &gather_indexed_32bit_scalar;
}

}  // namespace onnxrt::kernels::ew
