// AVX-512 float32 reduction microkernels (16 lanes).
// GCC 12 flags _mm512_undefined_ps() inside the max/min intrinsics as maybe-uninitialized; it is
// the masked-off passthrough operand and never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdint>

#include "kernels/ukernels/reduce/ukernels.h"

namespace onnxrt::kernels::red {
namespace {

struct V16 {
  using reg = __m512;
  static constexpr int64_t kLanes = 16;
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg zero() { return _mm512_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static reg abs(reg a) { return _mm512_abs_ps(a); }
  static reg nan_mask(reg a) {
    return _mm512_castsi512_ps(_mm512_maskz_set1_epi32(_mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q), -1));
  }
  static reg bit_or(reg a, reg b) { return _mm512_or_ps(a, b); }
  static bool any(reg m) { return _mm512_test_epi32_mask(_mm512_castps_si512(m), _mm512_castps_si512(m)) != 0; }
};

#include "kernels/ukernels/reduce/reduce_f32.inl"

}  // namespace

float row_f32_avx512(RowOp op, const float* x, int64_t n) { return row_impl<V16>(op, x, n); }
void col_f32_avx512(RowOp op, float* acc, const float* x, int64_t n) { col_impl<V16>(op, acc, x, n); }
void cols_f32_avx512(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  cols_impl<V16>(op, acc, x, off, rows, n);
}

}  // namespace onnxrt::kernels::red
