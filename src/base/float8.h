// Low-precision element types: float8 (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz), float8e8m0, float4e2m1,
// float6 (e2m3, e3m2) and the packed integers int4/uint4/int2/uint2.
//
// Storage (as ONNX raw_data stores them, and thus Tensor): 8-bit types one byte per element;
// 4-bit types two per byte, element 2k in the low nibble; 2-bit types four per byte, element 4k
// in bits 0-1; 6-bit types an LSB-first bit stream (element k at bit 6k).
//
// Conversions follow the ONNX Cast section and match onnx.reference (which uses ml_dtypes):
// round to nearest even, `saturate` clamps out-of-range values (and infinities) to the largest
// finite value, otherwise they become Inf (e5m2) or NaN (the others). The "fnuz" types have no
// negative zero. float4/float6 have neither Inf nor NaN: out-of-range values always saturate.
#pragma once

#include <cstdint>

#include "onnxrt/dtype.h"

namespace onnxrt {

// True for the float8/float6/float4 types that float_to_small/small_to_float handle
// (not float8e8m0, which has its own rounding modes).
bool is_small_float(DType t);
// True for int4/uint4/int2/uint2.
bool is_small_int(DType t);
// True for the types whose elements are narrower than a byte (4-, 2- and 6-bit types).
inline bool is_sub_byte(DType t) { return dtype_bits(t) < 8 && dtype_bits(t) > 0; }

// The code of `x` in small float type `t` (e4m3fn, e4m3fnuz, e5m2, e5m2fnuz, float4e2m1,
// float6e2m3, float6e3m2); `t` must satisfy is_small_float.
uint8_t float_to_small(double x, DType t, bool saturate);
// The value of code `code` of small float type `t` (exact in float).
float small_to_float(uint8_t code, DType t);

// float8e8m0: a bare power of two 2^(code-127); 0xFF is NaN. The rounding modes are Cast's
// `round_mode` attribute: up (away from zero), down (toward zero), nearest (ties up).
enum class E8M0Round { kUp, kDown, kNearest };
uint8_t float_to_e8m0(float x, bool saturate, E8M0Round mode);
float e8m0_to_float(uint8_t code);

// int4/uint4/int2/uint2: the low bits of `v` (out-of-range values wrap, as ml_dtypes does).
inline uint8_t int_to_small(int64_t v, DType t) {
  return static_cast<uint8_t>(static_cast<uint64_t>(v) & ((1u << dtype_bits(t)) - 1u));
}
// The integer value of a code, sign-extended for int4/int2.
inline int64_t small_to_int(uint8_t code, DType t) {
  const int bits = dtype_bits(t);
  const int64_t v = code & ((1 << bits) - 1);
  if (dtype_is_signed(t) && (v >> (bits - 1)) != 0) return v - (int64_t{1} << bits);
  return v;
}

// Element access for any type of 8 bits or fewer; `bits` is dtype_bits(t) (2, 4, 6 or 8).
inline uint8_t load_code(const void* data, int64_t i, int bits) {
  const auto* p = static_cast<const uint8_t*>(data);
  const uint64_t bit = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  const uint64_t byte = bit >> 3;
  const unsigned shift = static_cast<unsigned>(bit & 7);
  uint32_t w = p[byte] >> shift;
  if (shift + static_cast<unsigned>(bits) > 8) w |= static_cast<uint32_t>(p[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(w & ((1u << bits) - 1u));
}
// Read-modify-write of the bits of element i: elements sharing a byte must not be written from
// two threads at once (split work at multiples of 4 elements, which end on a byte for all sizes).
inline void store_code(void* data, int64_t i, int bits, uint8_t code) {
  auto* p = static_cast<uint8_t*>(data);
  const uint64_t bit = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  const uint64_t byte = bit >> 3;
  const unsigned shift = static_cast<unsigned>(bit & 7);
  const uint32_t mask = (1u << bits) - 1u;
  const uint32_t c = code & mask;
  p[byte] = static_cast<uint8_t>((p[byte] & ~(mask << shift)) | (c << shift));
  if (shift + static_cast<unsigned>(bits) > 8) {
    const unsigned hi = 8 - shift;
    p[byte + 1] = static_cast<uint8_t>((p[byte + 1] & ~(mask >> hi)) | (c >> hi));
  }
}

// Packs `n` one-per-byte codes into `dst` (dtype_storage_bytes(t, n) bytes) and back; for the
// numpy boundary, where sub-byte types travel one element per byte.
void pack_codes(DType t, const uint8_t* codes, int64_t n, void* dst);
void unpack_codes(DType t, const void* src, int64_t n, uint8_t* codes);

// Reads element i of any numeric tensor storage (standard or low-precision) as double; false
// when `t` is not numeric (string, complex).
bool load_element_as_double(DType t, const void* data, int64_t i, double* out);

}  // namespace onnxrt
