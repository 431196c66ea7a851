// Portable dynamic-quantization loops: the reference for the AVX2 versions and the path of CPUs
// without AVX2.
#include <algorithm>
#include <climits>
#include <cmath>

#include "base/cpu_features.h"
#include "base/quantize_dequantize.h"
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

void quantize_8bit_scalar(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                          bool is_signed, uint8_t* y) {
  (void)is_signed;  // the byte of a clamped int32 is its int8 or uint8 code either way
  for (int64_t i = 0; i < n; ++i) {
    const float r = std::nearbyint(x[i] / scale);
    const int32_t v = r >= -2147483648.0f && r < 2147483648.0f ? static_cast<int32_t>(r) : INT32_MIN;
    const auto z = static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(zero_point));
    y[i] = static_cast<uint8_t>(std::clamp(z, lo, hi));
  }
}

void quantize_dequantize_f32_scalar(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo,
                                    int32_t hi, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = quantize_dequantize(x[i], scale, zero_point, lo, hi);
}

void requantize_8bit_scalar(const int32_t* acc, int64_t n, const double* mult, int64_t mult_stride, double zero,
                            int32_t lo, int32_t hi, uint8_t* y) {
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(acc[i]) * mult[i * mult_stride] + zero;
    y[i] = static_cast<uint8_t>(std::isnan(d) ? lo : static_cast<int32_t>(std::clamp(std::nearbyint(d), static_cast<double>(lo), static_cast<double>(hi))));
  }
}

MinMaxF32Fn minmax_f32_ukernel() {
  return cpu_features().has_avx2_fma() ? &minmax_f32_avx2 : &minmax_f32_scalar;
}

QuantizeU8Fn quantize_u8_ukernel() {
  return cpu_features().has_avx2_fma() ? &quantize_u8_avx2 : &quantize_u8_scalar;
}

Requantize8BitFn requantize_8bit_ukernel() {
  return cpu_features().has_avx2_fma() ? &requantize_8bit_avx2 : &requantize_8bit_scalar;
}

QuantizeDequantizeF32Fn quantize_dequantize_f32_ukernel() {
  return cpu_features().has_avx2_fma() ? &quantize_dequantize_f32_avx2 : &quantize_dequantize_f32_scalar;
}

Quantize8BitFn quantize_8bit_ukernel() {
  return cpu_features().has_avx2_fma() ? &quantize_8bit_avx2 : &quantize_8bit_scalar;
}

}  // namespace onnxrt::kernels::ew
