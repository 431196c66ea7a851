// Shared pieces of the image-family kernels (CPU and reference): element conversion for the
// float types the ops accept, a dtype dispatcher, and the factories of both backends.
//
// The sampling ops (Resize, GridSample, RoiAlign, ...) compute in double and store in the
// element type: the weights are products of several factors, and double keeps the CPU kernel,
// the reference kernel and onnx's numpy reference within float32 rounding of each other.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "base/half.h"
#include "base/saturate.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::image {

template <typename T>
inline double load(const T& v) {
  if constexpr (std::is_same_v<T, Float16>) return half_to_float(v.bits);
  else if constexpr (std::is_same_v<T, BFloat16>) return bfloat16_to_float(v.bits);
  else return static_cast<double>(v);
}

template <typename T>
inline T store(double v) {
  if constexpr (std::is_same_v<T, Float16>) return Float16{float_to_half(static_cast<float>(v))};
  else if constexpr (std::is_same_v<T, BFloat16>) return BFloat16{float_to_bfloat16(static_cast<float>(v))};
  else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(v);
  else {
    // Integers: round half to even and saturate (NaN becomes 0).
    return saturate_to_int<T>(std::nearbyint(v));
  }
}

// Calls fn(T{}) with T the C++ type of `dt` among the float types; false when dt is not one.
template <typename Fn>
bool dispatch_float(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kFloat32: fn(float{}); return true;
    case DType::kFloat64: fn(double{}); return true;
    case DType::kFloat16: fn(Float16{}); return true;
    case DType::kBFloat16: fn(BFloat16{}); return true;
    default: return false;
  }
}

// Float types plus the integer types Resize accepts.
template <typename Fn>
bool dispatch_numeric(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::kInt8: fn(int8_t{}); return true;
    case DType::kUInt8: fn(uint8_t{}); return true;
    case DType::kInt16: fn(int16_t{}); return true;
    case DType::kUInt16: fn(uint16_t{}); return true;
    case DType::kInt32: fn(int32_t{}); return true;
    case DType::kUInt32: fn(uint32_t{}); return true;
    case DType::kInt64: fn(int64_t{}); return true;
    case DType::kUInt64: fn(uint64_t{}); return true;
    default: return dispatch_float(dt, fn);
  }
}

// Reads element i of a float tensor (any float dtype) as double.
double load_any(const Tensor& t, int64_t i);

// A coordinate computed from data (grids, ROIs, scales) as an integer index. NaN, infinities and
// values beyond +-2^62 have no int64 value (converting them is undefined): they become +-2^62, an
// index outside any image that sampling treats as padding, and +-a few taps cannot overflow.
inline int64_t coord_to_index(double c) {
  constexpr double kFar = 4611686018427387904.0;  // 2^62
  if (c >= -kFar && c <= kFar) return static_cast<int64_t>(c);
  return c > 0 ? static_cast<int64_t>(kFar) : -static_cast<int64_t>(kFar);  // NaN: far negative
}

}  // namespace onnxrt::kernels::image

namespace onnxrt::kernels {

// CPU-only kernels (kernels/cpu/image_*.cc).
Expected<std::unique_ptr<Kernel>> make_cpu_convtranspose(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_resize(const KernelInit& init);  // + Upsample; float32 bilinear

// Reference kernels (kernels/reference/image_*.cc). The CPU table also uses those of ops where
// an optimized kernel would add nothing (the sampling and ROI ops are bound by gathers).
Expected<std::unique_ptr<Kernel>> make_ref_convtranspose(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_resize(const KernelInit& init);  // + Upsample
Expected<std::unique_ptr<Kernel>> make_ref_grid_sample(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_affine_grid(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_deform_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_roi_align(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_max_roi_pool(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_max_unpool(const KernelInit& init);

}  // namespace onnxrt::kernels
