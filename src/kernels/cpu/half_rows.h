// Rows of float16 / bfloat16 widened into float32 buffers and narrowed back, for the kernels that
// run 16-bit tensors natively by computing a row, plane or band at a time in float32 (Conv and
// the normalizations): each element is converted once on the way in and once on the way out,
// with the rounding of base/half.h (the spec's Cast), and no whole-tensor float32 copy exists.
#pragma once

#include <cstdint>

#include "base/half.h"
#include "kernels/ukernels/elementwise/convert_16bit.h"
#include "onnxrt/dtype.h"
#include "onnxrt/tensor.h"

namespace onnxrt::kernels {

inline bool is_16bit_float(DType t) { return t == DType::kFloat16 || t == DType::kBFloat16; }

// dst[i] = float(src[i * stride]) for i < n; `t` is kFloat16 or kBFloat16.
inline void widen_16bit(DType t, const uint16_t* src, float* dst, int64_t n, int64_t stride = 1) {
  if (stride == 1) {
    const ew::Convert16Fns& f = ew::convert_16bit_ukernels();
    (t == DType::kFloat16 ? f.widen_f16 : f.widen_bf16)(src, dst, n);
  } else if (t == DType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i * stride]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_to_float(src[i * stride]);
  }
}

// dst[i * stride] = t(src[i]) for i < n, rounded to nearest even.
inline void narrow_16bit(DType t, const float* src, uint16_t* dst, int64_t n, int64_t stride = 1) {
  if (stride == 1) {
    const ew::Convert16Fns& f = ew::convert_16bit_ukernels();
    (t == DType::kFloat16 ? f.narrow_f16 : f.narrow_bf16)(src, dst, n);
  } else if (t == DType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) dst[i * stride] = float_to_half(src[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i * stride] = float_to_bfloat16(src[i]);
  }
}

// All of a float16 / bfloat16 tensor widened into dst (t.size() floats).
inline void widen_tensor(const Tensor& t, float* dst) {
  widen_16bit(t.dtype(), t.data<uint16_t>(), dst, t.size());
}

}  // namespace onnxrt::kernels
