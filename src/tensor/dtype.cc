#include <array>
#include <complex>
#include <string>

#include "onnxrt/dtype.h"

namespace onnxrt {
namespace {

struct DTypeInfo {
  std::string_view name;
  int bits;
};

// Indexed by the DType value.
constexpr std::array<DTypeInfo, kMaxDType + 1> kInfo = {{
    {"undefined", 0},     {"float", 32},        {"uint8", 8},          {"int8", 8},
    {"uint16", 16},       {"int16", 16},        {"int32", 32},         {"int64", 64},
    {"string", 8 * static_cast<int>(sizeof(std::string))},
    {"bool", 8},          {"float16", 16},      {"double", 64},        {"uint32", 32},
    {"uint64", 64},       {"complex64", 64},    {"complex128", 128},   {"bfloat16", 16},
    {"float8e4m3fn", 8},  {"float8e4m3fnuz", 8}, {"float8e5m2", 8},    {"float8e5m2fnuz", 8},
    {"uint4", 4},         {"int4", 4},          {"float4e2m1", 4},     {"float8e8m0", 8},
    {"uint2", 2},         {"int2", 2},          {"float6e2m3", 6},     {"float6e3m2", 6},
}};

}  // namespace

bool dtype_is_valid(int32_t value) { return value > 0 && value <= kMaxDType; }

int dtype_bits(DType t) {
  const auto i = static_cast<size_t>(t);
  return i < kInfo.size() ? kInfo[i].bits : 0;
}

size_t dtype_storage_bytes(DType t, size_t count) {
  const int bits = dtype_bits(t);
  if (bits % 8 == 0) return count * static_cast<size_t>(bits / 8);
  // Sub-byte types pack elements densely and round up to a whole byte, as raw_data does.
  return (count * static_cast<size_t>(bits) + 7) / 8;
}

std::string_view dtype_name(DType t) {
  const auto i = static_cast<size_t>(t);
  return i < kInfo.size() ? kInfo[i].name : "invalid";
}

DType dtype_from_name(std::string_view name) {
  for (size_t i = 1; i < kInfo.size(); ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  return DType::kUndefined;
}

bool dtype_is_float(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat16: case DType::kFloat64: case DType::kBFloat16:
    case DType::kFloat8E4M3FN: case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ: case DType::kFloat4E2M1: case DType::kFloat8E8M0:
    case DType::kFloat6E2M3: case DType::kFloat6E3M2:
      return true;
    default:
      return false;
  }
}

bool dtype_is_signed(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kInt4: case DType::kInt2:
      return true;
    default:
      return false;
  }
}

bool dtype_is_integer(DType t) {
  switch (t) {
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
    case DType::kUInt4: case DType::kUInt2:
      return true;
    default:
      return dtype_is_signed(t);
  }
}

}  // namespace onnxrt
