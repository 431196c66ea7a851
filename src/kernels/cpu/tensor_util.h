// Shared helpers for the tensor-family kernels (CPU and reference): element copies that work for
// every dtype (strings are std::string objects and must be assigned, not memcpy'd), a strided
// gather-copy used by Transpose/Slice/Expand/Tile, and numeric dtype dispatch.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "base/half.h"
#include "kernels/kernel.h"
#include "onnxrt/tensor.h"

namespace onnxrt::kernels::tensor_ops {

// Bytes per element; 0 for types that are not whole bytes (int4, float4...) or undefined.
inline size_t elem_bytes(DType t) {
  if (t == DType::kString) return sizeof(std::string);
  const int bits = dtype_bits(t);
  return bits >= 8 && bits % 8 == 0 ? static_cast<size_t>(bits / 8) : 0;
}

// NotImplemented for sub-byte element types, which the data-movement kernels do not handle yet.
inline Status check_movable(DType t, const KernelInit& init) {
  if (elem_bytes(t) == 0)
    return init.error("element type " + std::string(dtype_name(t)) +
                      " is not supported by this kernel yet");
  return Status::ok();
}

// Copies n elements (std::string assignment for strings, memcpy otherwise).
inline void copy_elements(DType t, const void* src, void* dst, int64_t n) {
  if (n <= 0) return;
  if (t == DType::kString) {
    const auto* s = static_cast<const std::string*>(src);
    auto* d = static_cast<std::string*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    std::memcpy(dst, src, static_cast<size_t>(n) * elem_bytes(t));
  }
}

// Row-major strides (in elements).
inline std::vector<int64_t> contiguous_strides(std::span<const int64_t> shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

// dst (contiguous, `shape`) [i0..in] = src[sum ik * src_strides[k]] (strides in elements, may be
// 0 for broadcast or negative for reversed slices; `src` points at the element of index 0).
// Merges dims, memcpy's contiguous runs, uses a blocked transpose when the innermost output dim
// walks the source with a stride, and splits the work over `pool` when it is large.
void strided_copy(DType t, const void* src, void* dst, std::span<const int64_t> shape,
                  std::span<const int64_t> src_strides, ThreadPool* pool);

// Calls f.template operator()<T>() for the storage type T of numeric dtype t (Float16/BFloat16
// for the 16-bit floats); returns false for other dtypes.
template <typename F>
bool dispatch_numeric(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f.template operator()<float>(); return true;
    case DType::kFloat64: f.template operator()<double>(); return true;
    case DType::kFloat16: f.template operator()<Float16>(); return true;
    case DType::kBFloat16: f.template operator()<BFloat16>(); return true;
    case DType::kInt8: f.template operator()<int8_t>(); return true;
    case DType::kUInt8: f.template operator()<uint8_t>(); return true;
    case DType::kInt16: f.template operator()<int16_t>(); return true;
    case DType::kUInt16: f.template operator()<uint16_t>(); return true;
    case DType::kInt32: f.template operator()<int32_t>(); return true;
    case DType::kUInt32: f.template operator()<uint32_t>(); return true;
    case DType::kInt64: f.template operator()<int64_t>(); return true;
    case DType::kUInt64: f.template operator()<uint64_t>(); return true;
    default: return false;
  }
}

// Arithmetic type for a storage type: float for the 16-bit floats, T otherwise.
template <typename T>
struct Arith {
  using type = T;
  static T load(T v) { return v; }
  static T store(T v) { return v; }
};
template <>
struct Arith<Float16> {
  using type = float;
  static float load(Float16 v) { return half_to_float(v.bits); }
  static Float16 store(float v) { return Float16{float_to_half(v)}; }
};
template <>
struct Arith<BFloat16> {
  using type = float;
  static float load(BFloat16 v) { return bfloat16_to_float(v.bits); }
  static BFloat16 store(float v) { return BFloat16{float_to_bfloat16(v)}; }
};

// Reads an integer index tensor element (int32 or int64).
inline int64_t index_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
}
inline std::vector<int64_t> index_values(const Tensor* t) {
  std::vector<int64_t> v;
  if (!t) return v;
  for (int64_t i = 0; i < t->size(); ++i) v.push_back(index_at(*t, i));
  return v;
}

}  // namespace onnxrt::kernels::tensor_ops
