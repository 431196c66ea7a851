// Rows of float16 / bfloat16 widened to float32 and float32 rounded back, for the kernels that
// compute 16-bit tensors in float32 (Cast, MatMul, Gemm, Conv, the normalizations). Every variant
// gives the bits of base/half.h: round to nearest even, subnormals kept, infinities kept, NaN
// stays NaN (quiet, with the high payload bits kept, as F16C's vcvtps2ph does).
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ew {

using Widen16Fn = void (*)(const uint16_t* x, float* y, int64_t n);
using Narrow16Fn = void (*)(const float* x, uint16_t* y, int64_t n);

struct Convert16Fns {
  Widen16Fn widen_f16;
  Narrow16Fn narrow_f16;
  Widen16Fn widen_bf16;
  Narrow16Fn narrow_bf16;
};

void widen_f16_scalar(const uint16_t* x, float* y, int64_t n);
void narrow_f16_scalar(const float* x, uint16_t* y, int64_t n);
void widen_bf16_scalar(const uint16_t* x, float* y, int64_t n);
void narrow_bf16_scalar(const float* x, uint16_t* y, int64_t n);
void widen_f16_avx2(const uint16_t* x, float* y, int64_t n);  // AVX2 + F16C
void narrow_f16_avx2(const float* x, uint16_t* y, int64_t n);
void widen_bf16_avx2(const uint16_t* x, float* y, int64_t n);
void narrow_bf16_avx2(const float* x, uint16_t* y, int64_t n);

// The variants for this CPU (cpu_features honours ONNXRT_ISA), chosen once.
const Convert16Fns& convert_16bit_ukernels();

}  // namespace onnxrt::kernels::ew
