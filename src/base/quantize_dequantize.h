// QuantizeLinear and then DequantizeLinear with the same per-tensor scale and integer zero point,
// on one float32 value: the step-by-step definition that the fused kernels (the com.onnxrt
// QuantizeDequantize op and the "QuantizeDequantize" activation of FusedConv / FusedMatMul /
// BlockedConv, passes/fuse_quantize_dequantize.cc) must reproduce bit for bit.
//   q = int32(rint(x / scale))   true IEEE division, half to even; NaN and values outside int32
//                                give INT32_MIN, as x86's conversion and so numpy's reference do
//                                (ukernels/elementwise/quantize.h)
//   q = clamp(q + zero_point, lo, hi)   the add wraps, as onnxrt's QuantizeLinear does
//   y = float(q - zero_point) * scale   exact difference, one rounding, as DequantizeLinear
#pragma once

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "onnxrt/dtype.h"

namespace onnxrt {

// The integer types a QuantizeDequantize pair may quantize to, with their value range: false for
// any other type.
inline bool quantized_range(DType t, int32_t* lo, int32_t* hi) {
  switch (t) {
    case DType::kInt8: *lo = -128, *hi = 127; return true;
    case DType::kUInt8: *lo = 0, *hi = 255; return true;
    case DType::kInt16: *lo = -32768, *hi = 32767; return true;
    case DType::kUInt16: *lo = 0, *hi = 65535; return true;
    default: return false;
  }
}

// The first value of a zero point of one of those types, stored at `data`.
inline int32_t zero_point_at(DType t, const void* data) {
  switch (t) {
    case DType::kInt8: { int8_t v; std::memcpy(&v, data, 1); return v; }
    case DType::kUInt8: { uint8_t v; std::memcpy(&v, data, 1); return v; }
    case DType::kInt16: { int16_t v; std::memcpy(&v, data, 2); return v; }
    case DType::kUInt16: { uint16_t v; std::memcpy(&v, data, 2); return v; }
    default: return 0;
  }
}

inline float quantize_dequantize(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
  const float r = std::nearbyint(x / scale);
  const int32_t v = r >= -2147483648.0f && r < 2147483648.0f ? static_cast<int32_t>(r) : INT32_MIN;
  const auto z = static_cast<int32_t>(static_cast<uint32_t>(v) + static_cast<uint32_t>(zero_point));
  return static_cast<float>(std::clamp(z, lo, hi) - zero_point) * scale;
}

}  // namespace onnxrt
