#include "base/float8.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "base/half.h"

namespace onnxrt {

namespace {

struct SmallFormat {
  int exp_bits;
  int man_bits;
  int bias;
  uint32_t max_mag;  // code of the largest finite magnitude
  bool has_inf;      // e5m2: exponent all ones, mantissa 0
  bool fnuz;         // NaN is 0x80 (the "negative zero" code); no -0, no Inf
  bool has_nan;      // e4m3fn (0x7F), e5m2 (0x7E..), fnuz (0x80)
};

bool format_of(DType t, SmallFormat* f) {
  switch (t) {
    case DType::kFloat8E4M3FN: *f = {4, 3, 7, 0x7E, false, false, true}; return true;
    case DType::kFloat8E4M3FNUZ: *f = {4, 3, 8, 0x7F, false, true, true}; return true;
    case DType::kFloat8E5M2: *f = {5, 2, 15, 0x7B, true, false, true}; return true;
    case DType::kFloat8E5M2FNUZ: *f = {5, 2, 16, 0x7F, false, true, true}; return true;
    case DType::kFloat4E2M1: *f = {2, 1, 1, 0x7, false, false, false}; return true;
    case DType::kFloat6E2M3: *f = {2, 3, 1, 0x1F, false, false, false}; return true;
    case DType::kFloat6E3M2: *f = {3, 2, 3, 0x1F, false, false, false}; return true;
    default: return false;
  }
}

}  // namespace

bool is_small_float(DType t) {
  SmallFormat f;
  return format_of(t, &f);
}

bool is_small_int(DType t) {
  return t == DType::kInt4 || t == DType::kUInt4 || t == DType::kInt2 || t == DType::kUInt2;
}

uint8_t float_to_small(double x, DType t, bool saturate) {
  SmallFormat f;
  if (!format_of(t, &f)) return 0;
  const int bits = 1 + f.exp_bits + f.man_bits;
  const uint32_t sign_bit = 1u << (bits - 1);
  const bool neg = std::signbit(x);
  const uint32_t sign = neg ? sign_bit : 0u;
  // What a value beyond the largest finite one becomes without saturation.
  const auto overflow = [&]() -> uint8_t {
    if (saturate || !f.has_nan) return static_cast<uint8_t>(sign | f.max_mag);
    if (f.has_inf) return static_cast<uint8_t>(sign | (((1u << f.exp_bits) - 1u) << f.man_bits));
    if (f.fnuz) return 0x80;
    return static_cast<uint8_t>(sign | 0x7F);  // e4m3fn NaN keeps the sign
  };
  if (std::isnan(x)) {
    if (f.fnuz) return 0x80;
    if (f.has_inf) return static_cast<uint8_t>(sign | 0x7E);
    if (f.has_nan) return static_cast<uint8_t>(sign | 0x7F);
    // No NaN at all (float4/float6): ml_dtypes, and so onnx.reference, yields a zero whose sign
    // is the opposite of the NaN's.
    return static_cast<uint8_t>(neg ? 0u : sign_bit);
  }
  if (std::isinf(x)) return overflow();
  const double a = std::fabs(x);
  if (a == 0) return static_cast<uint8_t>(f.fnuz ? 0u : sign);
  const int emin = 1 - f.bias;
  int e2 = 0;
  std::frexp(a, &e2);  // a = m * 2^e2, m in [0.5, 1)
  int e = e2 - 1;      // a in [2^e, 2^(e+1))
  uint64_t mag;
  if (e < emin) {
    // Subnormal (or rounds up into the smallest normal: q == 2^M is exactly that code).
    const double q = std::nearbyint(std::ldexp(a, f.man_bits - emin));
    mag = static_cast<uint64_t>(q);
  } else {
    double q = std::nearbyint(std::ldexp(a, f.man_bits - e));
    if (q >= std::ldexp(1.0, f.man_bits + 1)) {
      ++e;
      q = std::ldexp(1.0, f.man_bits);
    }
    const int64_t biased = e + f.bias;
    if (biased >= (int64_t{1} << f.exp_bits) + 1) return overflow();
    mag = (static_cast<uint64_t>(biased) << f.man_bits) |
          (static_cast<uint64_t>(q) - (uint64_t{1} << f.man_bits));
  }
  if (mag > f.max_mag) return overflow();
  if (mag == 0 && f.fnuz) return 0;
  return static_cast<uint8_t>(sign | mag);
}

float small_to_float(uint8_t code, DType t) {
  SmallFormat f;
  if (!format_of(t, &f)) return NAN;
  const int bits = 1 + f.exp_bits + f.man_bits;
  const uint32_t c = code & ((1u << bits) - 1u);
  const bool neg = (c >> (bits - 1)) & 1u;
  const uint32_t mag = c & ((1u << (bits - 1)) - 1u);
  if (f.fnuz && c == 0x80) return NAN;
  const uint32_t exp = mag >> f.man_bits;
  const uint32_t man = mag & ((1u << f.man_bits) - 1u);
  if (f.has_inf && exp == (1u << f.exp_bits) - 1u) {
    if (man == 0) return neg ? -INFINITY : INFINITY;
    return neg ? -NAN : NAN;
  }
  if (f.has_nan && !f.fnuz && !f.has_inf && mag == 0x7F) return neg ? -NAN : NAN;
  double v;
  if (exp == 0) v = std::ldexp(static_cast<double>(man), 1 - f.bias - f.man_bits);
  else v = std::ldexp(static_cast<double>(man | (1u << f.man_bits)), static_cast<int>(exp) - f.bias - f.man_bits);
  return static_cast<float>(neg ? -v : v);
}

// Follows onnx.numpy_helper.to_float8e8m0 bit for bit: only the float32 exponent field counts
// (the sign is ignored), Inf and NaN both map to 0xFF.
uint8_t float_to_e8m0(float x, bool saturate, E8M0Round mode) {
  const uint32_t b = std::bit_cast<uint32_t>(x);
  uint32_t exp = (b >> 23) & 0xFFu;
  if (exp == 0xFF) return 0xFF;
  bool up = false;
  if (mode == E8M0Round::kNearest) {
    const bool g = (b & 0x400000u) != 0;
    const bool r = (b & 0x200000u) != 0;
    const bool s = (b & 0x1FFFFFu) != 0;
    const bool lsb = exp > 0;
    up = g && (r || s || lsb);
  } else if (mode == E8M0Round::kUp) {
    up = (b & 0x7FFFFFu) != 0;
  }
  if (up && saturate && exp == 0xFE) up = false;
  if (up) exp += 1;
  return static_cast<uint8_t>(exp & 0xFFu);
}

float e8m0_to_float(uint8_t code) {
  if (code == 0xFF) return NAN;
  return std::ldexp(1.0f, static_cast<int>(code) - 127);
}

void pack_codes(DType t, const uint8_t* codes, int64_t n, void* dst) {
  const int bits = dtype_bits(t);
  std::memset(dst, 0, dtype_storage_bytes(t, static_cast<size_t>(n)));
  for (int64_t i = 0; i < n; ++i) store_code(dst, i, bits, codes[i]);
}

void unpack_codes(DType t, const void* src, int64_t n, uint8_t* codes) {
  const int bits = dtype_bits(t);
  for (int64_t i = 0; i < n; ++i) codes[i] = load_code(src, i, bits);
}

bool load_element_as_double(DType t, const void* data, int64_t i, double* out) {
  const auto at = [&](auto tag) {
    using T = decltype(tag);
    T v;
    std::memcpy(&v, static_cast<const char*>(data) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return v;
  };
  switch (t) {
    case DType::kFloat32: *out = at(float{}); return true;
    case DType::kFloat64: *out = at(double{}); return true;
    case DType::kFloat16: *out = half_to_float(at(uint16_t{})); return true;
    case DType::kBFloat16: *out = bfloat16_to_float(at(uint16_t{})); return true;
    case DType::kInt8: *out = at(int8_t{}); return true;
    case DType::kInt16: *out = at(int16_t{}); return true;
    case DType::kInt32: *out = at(int32_t{}); return true;
    case DType::kInt64: *out = static_cast<double>(at(int64_t{})); return true;
    case DType::kUInt8: *out = at(uint8_t{}); return true;
    case DType::kUInt16: *out = at(uint16_t{}); return true;
    case DType::kUInt32: *out = at(uint32_t{}); return true;
    case DType::kUInt64: *out = static_cast<double>(at(uint64_t{})); return true;
    case DType::kBool: *out = at(uint8_t{}) != 0 ? 1.0 : 0.0; return true;
    case DType::kFloat8E8M0: *out = e8m0_to_float(at(uint8_t{})); return true;
    default: break;
  }
  if (is_small_float(t)) {
    *out = small_to_float(load_code(data, i, dtype_bits(t)), t);
    return true;
  }
  if (is_small_int(t)) {
    *out = static_cast<double>(small_to_int(load_code(data, i, dtype_bits(t)), t));
    return true;
  }
  return false;
}

}  // namespace onnxrt
