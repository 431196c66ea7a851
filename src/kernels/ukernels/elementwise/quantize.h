// Microkernels of dynamic quantization (DynamicQuantizeLinear), float32 to uint8:
//   minmax:      *lo = min(0, x...), *hi = max(0, x...), NaN ignored (as std::min / std::max
//                with the running value first ignore it);
//   quantize_u8: y[i] = clamp(rint(x[i] / scale) + zero_point, 0, 255), half to even, NaN -> 0.
// The division is a true IEEE division, as the spec's formula says (not a multiplication by the
// reciprocal, which rounds differently), so every variant gives the same bits.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ew {

using MinMaxF32Fn = void (*)(const float* x, int64_t n, float* lo, float* hi);
using QuantizeU8Fn = void (*)(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);

void minmax_f32_scalar(const float* x, int64_t n, float* lo, float* hi);
void minmax_f32_avx2(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8_scalar(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);
void quantize_u8_avx2(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);

// The variants for this CPU (cpu_features honours ONNXRT_ISA).
MinMaxF32Fn minmax_f32_ukernel();
QuantizeU8Fn quantize_u8_ukernel();

}  // namespace onnxrt::kernels::ew
