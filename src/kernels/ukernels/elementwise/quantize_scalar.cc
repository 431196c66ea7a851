// Portable dynamic-quantization loops: the reference for the AVX2 versions and the path of CPUs
// without AVX2.
#include <algorithm>
#include <cmath>

#include "base/cpu_features.h"
#include "kernels/ukernels/elementwise/quantize.h"

namespace onnxrt::kernels::ew {

void minmax_f32_scalar(const float* x, int64_t n, float* lo, float* hi) {
  float mn = 0, mx = 0;
  for (int64_t i = 0; i < n; ++i) {
    mx = std::max(mx, x[i]);
    mn = std::min(mn, x[i]);
  }
  *lo = mn;
  *hi = mx;
}

void quantize_u8_scalar(const float* x, int64_t n, float scale, float zero_point, uint8_t* y) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::nearbyint(x[i] / scale) + zero_point;
    y[i] = std::isnan(v) ? 0 : static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
  }
}

MinMaxF32Fn minmax_f32_ukernel() {
  return cpu_features().has_avx2_fma() ? &minmax_f32_avx2 : &minmax_f32_scalar;
}

QuantizeU8Fn quantize_u8_ukernel() {
  return cpu_features().has_avx2_fma() ? &quantize_u8_avx2 : &quantize_u8_scalar;
}

}  // namespace onnxrt::kernels::ew
