// Element types. Values equal ONNX TensorProto.DataType so that the wire format, the IR and the
// API share one numbering.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace onnxrt {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUInt2 = 25,
  kInt2 = 26,
  kFloat6E2M3 = 27,
  kFloat6E3M2 = 28,
};

constexpr int32_t kMaxDType = 28;

// True for the numbers above that name a type (the wire format may carry any int32).
bool dtype_is_valid(int32_t value);
// Bits per element: 1..128; 0 for kUndefined; sizeof(std::string)*8 for kString.
int dtype_bits(DType t);
// Bytes needed for `count` elements, rounding sub-byte types (int4, float4) up to whole bytes.
size_t dtype_storage_bytes(DType t, size_t count);
// The ONNX spelling used in type strings: "float", "int64", "float16", "string", ...
std::string_view dtype_name(DType t);
// Parses dtype_name()'s spelling; kUndefined when unknown.
DType dtype_from_name(std::string_view name);
bool dtype_is_float(DType t);    // float16/32/64, bfloat16, float8*, float4
bool dtype_is_integer(DType t);  // signed and unsigned, including 2- and 4-bit
bool dtype_is_signed(DType t);

}  // namespace onnxrt
