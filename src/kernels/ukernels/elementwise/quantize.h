// Microkernels of quantization, float32 to 8 bits. DynamicQuantizeLinear:
//   minmax:      *lo = min(0, x...), *hi = max(0, x...), NaN ignored (as std::min / std::max
//                with the running value first ignore it);
//   quantize_u8: y[i] = clamp(rint(x[i] / scale) + zero_point, 0, 255), half to even, NaN -> 0.
// QuantizeLinear per tensor (quantize_8bit):
//   y[i] = clamp(int32(rint(x[i] / scale)) + zero_point, lo, hi) as int8 or uint8 bytes, where
//   int32() of NaN or of a value outside int32 is INT32_MIN (x86's conversion, which the numpy
//   reference inherits: so a huge x gives lo, not hi) and the zero-point add wraps.
// Requantization of QLinearMatMul / QLinearConv (requantize_8bit):
//   y[i] = clamp(rint(double(acc[i]) * mult[i * mult_stride] + zero), lo, hi), NaN -> lo,
//   in float64 with the product rounded before the add (no fused multiply-add), as numpy does.
// QuantizeLinear then DequantizeLinear with the same per-tensor scale and zero point
// (quantize_dequantize_f32): y[i] = onnxrt::quantize_dequantize(x[i], ...) of base/
// quantize_dequantize.h; y may be x.
// The division is a true IEEE division, as the spec's formula says (not a multiplication by the
// reciprocal, which rounds differently), so every variant gives the same bits.
#pragma once

#include <cstdint>

namespace onnxrt::kernels::ew {

using MinMaxF32Fn = void (*)(const float* x, int64_t n, float* lo, float* hi);
using QuantizeU8Fn = void (*)(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);

using Quantize8BitFn = void (*)(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                                bool is_signed, uint8_t* y);

using QuantizeDequantizeF32Fn = void (*)(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo,
                                         int32_t hi, float* y);

using Requantize8BitFn = void (*)(const int32_t* acc, int64_t n, const double* mult, int64_t mult_stride, double zero,
                                  int32_t lo, int32_t hi, uint8_t* y);

void minmax_f32_scalar(const float* x, int64_t n, float* lo, float* hi);
void minmax_f32_avx2(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8_scalar(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);
void quantize_u8_avx2(const float* x, int64_t n, float scale, float zero_point, uint8_t* y);
void quantize_8bit_scalar(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                          bool is_signed, uint8_t* y);
void quantize_8bit_avx2(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                        bool is_signed, uint8_t* y);

void quantize_dequantize_f32_scalar(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo,
                                    int32_t hi, float* y);
void quantize_dequantize_f32_avx2(const float* x, int64_t n, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                                  float* y);

void requantize_8bit_scalar(const int32_t* acc, int64_t n, const double* mult, int64_t mult_stride, double zero,
                            int32_t lo, int32_t hi, uint8_t* y);
void requantize_8bit_avx2(const int32_t* acc, int64_t n, const double* mult, int64_t mult_stride, double zero,
                          int32_t lo, int32_t hi, uint8_t* y);

// The variants for this CPU (cpu_features honours ONNXRT_ISA).
MinMaxF32Fn minmax_f32_ukernel();
QuantizeU8Fn quantize_u8_ukernel();
Quantize8BitFn quantize_8bit_ukernel();
Requantize8BitFn requantize_8bit_ukernel();
QuantizeDequantizeF32Fn quantize_dequantize_f32_ukernel();

}  // namespace onnxrt::kernels::ew
