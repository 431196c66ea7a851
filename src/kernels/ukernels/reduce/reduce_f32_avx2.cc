// AVX2 float32 reduction microkernels (8 lanes).
#include <immintrin.h>

#include <cstdint>

#include "kernels/ukernels/reduce/ukernels.h"

namespace onnxrt::kernels::red {
namespace {

struct V8 {
  using reg = __m256;
  static constexpr int64_t kLanes = 8;
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg zero() { return _mm256_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static reg abs(reg a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static reg nan_mask(reg a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
  static reg bit_or(reg a, reg b) { return _mm256_or_ps(a, b); }
  static bool any(reg m) { return !_mm256_testz_ps(m, m); }
};

#include "kernels/ukernels/reduce/reduce_f32.inl"

}  // namespace

float row_f32_avx2(RowOp op, const float* x, int64_t n) { return row_impl<V8>(op, x, n); }
void col_f32_avx2(RowOp op, float* acc, const float* x, int64_t n) { col_impl<V8>(op, acc, x, n); }
void cols_f32_avx2(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  cols_impl<V8>(op, acc, x, off, rows, n);
}

}  // namespace onnxrt::kernels::red
