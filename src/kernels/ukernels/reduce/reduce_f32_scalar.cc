// Portable float32 reduction microkernels (one lane; the compiler may still vectorize for SSE2),
// and the run-time choice among the ISA variants.
#include <bit>
#include <cstdint>

#include "base/cpu_features.h"
#include "kernels/ukernels/reduce/ukernels.h"

namespace onnxrt::kernels::red {
namespace {

struct V1 {
  using reg = float;
  static constexpr int64_t kLanes = 1;
  static reg load(const float* p) { return *p; }
  static void store(float* p, reg v) { *p = v; }
  static reg zero() { return 0.0f; }
  static reg add(reg a, reg b) { return a + b; }
  static reg mul(reg a, reg b) { return a * b; }
  // Same NaN behaviour as the x86 max/min instructions: the second operand when either is NaN.
  static reg max(reg a, reg b) { return a > b ? a : b; }
  static reg min(reg a, reg b) { return a < b ? a : b; }
  static reg abs(reg a) { return a < 0 ? -a : a; }
  static reg nan_mask(reg a) { return a != a ? std::bit_cast<float>(0xffffffffu) : 0.0f; }
  static reg bit_or(reg a, reg b) {
    return std::bit_cast<float>(std::bit_cast<uint32_t>(a) | std::bit_cast<uint32_t>(b));
  }
  static bool any(reg m) { return std::bit_cast<uint32_t>(m) != 0; }
};

#include "kernels/ukernels/reduce/reduce_f32.inl"

}  // namespace

float row_f32_scalar(RowOp op, const float* x, int64_t n) { return row_impl<V1>(op, x, n); }
void col_f32_scalar(RowOp op, float* acc, const float* x, int64_t n) { col_impl<V1>(op, acc, x, n); }
void cols_f32_scalar(RowOp op, float* acc, const float* x, const int64_t* off, int64_t rows, int64_t n) {
  cols_impl<V1>(op, acc, x, off, rows, n);
}

const F32Ukernels& f32_ukernels() {
  static const F32Ukernels k = [] {
    const CpuFeatures& f = cpu_features();
    if (f.has_avx512()) return F32Ukernels{&row_f32_avx512, &col_f32_avx512, &cols_f32_avx512, 16, "avx512"};
    if (f.has_avx2_fma()) return F32Ukernels{&row_f32_avx2, &col_f32_avx2, &cols_f32_avx2, 8, "avx2"};
    return F32Ukernels{&row_f32_scalar, &col_f32_scalar, &cols_f32_scalar, 1, "scalar"};
  }();
  return k;
}

}  // namespace onnxrt::kernels::red
