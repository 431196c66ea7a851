// Portable 16-bit float conversions: the reference for the AVX2 versions and the path of CPUs
// without AVX2 and F16C.
#include "base/cpu_features.h"
#include "base/half.h"
#include "kernels/ukernels/elementwise/convert_16bit.h"

namespace onnxrt::kernels::ew {

void widen_f16_scalar(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = half_to_float(x[i]);
}

void narrow_f16_scalar(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float_to_half(x[i]);
}

void widen_bf16_scalar(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = bfloat16_to_float(x[i]);
}

void narrow_bf16_scalar(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = float_to_bfloat16(x[i]);
}

const Convert16Fns& convert_16bit_ukernels() {
  static const Convert16Fns fns = [] {
    const CpuFeatures& f = cpu_features();
    if (f.has_avx2_fma() && f.f16c)
      return Convert16Fns{&widen_f16_avx2, &narrow_f16_avx2, &widen_bf16_avx2, &narrow_bf16_avx2};
    return Convert16Fns{&widen_f16_scalar, &narrow_f16_scalar, &widen_bf16_scalar, &narrow_bf16_scalar};
  }();
  return fns;
}

}  // namespace onnxrt::kernels::ew
