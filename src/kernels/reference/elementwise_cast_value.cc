#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "base/half.h"
#include "kernels/reference/elementwise_cast.h"
#include "kernels/reference/elementwise_types.h"

namespace onnxrt::kernels::cast {

namespace {

template <typename T>
T read(const void* data, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(data) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

template <typename T>
void write(void* data, int64_t i, T v) {
  std::memcpy(static_cast<char*>(data) + i * static_cast<int64_t>(sizeof(T)), &v, sizeof(T));
}

Scalar from_float(double f, int bits) {
  Scalar s;
  s.f = f;
  s.float_bits = bits;
  return s;
}

Scalar from_int(int64_t i) {
  Scalar s;
  s.is_int = true;
  s.i = i;
  s.f = static_cast<double>(i);
  return s;
}

bool iequals(const std::string& a, const char* b) {
  if (a.size() != std::strlen(b)) return false;
  for (size_t k = 0; k < a.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(a[k])) != b[k]) return false;
  return true;
}

Scalar parse(const std::string& raw) {
  size_t b = 0, e = raw.size();
  while (b < e && std::isspace(static_cast<unsigned char>(raw[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(raw[e - 1]))) --e;
  const std::string s = raw.substr(b, e - b);
  if (iequals(s, "nan") || iequals(s, "+nan") || iequals(s, "-nan")) return from_float(NAN, 64);
  if (iequals(s, "inf") || iequals(s, "+inf") || iequals(s, "infinity") || iequals(s, "+infinity"))
    return from_float(INFINITY, 64);
  if (iequals(s, "-inf") || iequals(s, "-infinity")) return from_float(-INFINITY, 64);
  // Integers exactly (int64, then uint64), so that int64 targets keep every digit.
  {
    const char* first = s.data();
    if (!s.empty() && s[0] == '+') ++first;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(first, s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size() && first != p) return from_int(v);
    uint64_t u = 0;
    auto [q, ec2] = std::from_chars(first, s.data() + s.size(), u);
    if (ec2 == std::errc() && q == s.data() + s.size() && first != q) {
      Scalar r = from_int(static_cast<int64_t>(u));
      r.is_unsigned = true;
      r.f = static_cast<double>(u);
      return r;
    }
  }
  // Anything else: strtod's prefix (undefined in the spec for text that is not a number).
  const double d = std::strtod(s.c_str(), nullptr);
  return from_float(d, 64);
}

}  // namespace

bool castable(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBFloat16:
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
    case DType::kBool: case DType::kString: case DType::kFloat8E8M0:
      return true;
    default:
      return is_small_float(t) || is_small_int(t);
  }
}

std::string format_float(double v, int float_bits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[512];
  const double a = std::fabs(v);
  const bool positional = a == 0 || (a >= 1e-4 && a < 1e16);
  const auto fmt = positional ? std::chars_format::fixed : std::chars_format::scientific;
  std::to_chars_result r;
  if (float_bits <= 32) r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v), fmt);
  else r = std::to_chars(buf, buf + sizeof(buf), v, fmt);
  std::string out(buf, r.ptr);
  if (positional && out.find('.') == std::string::npos) out += ".0";
  return out;
}

Scalar load(DType t, const void* data, int64_t i) {
  switch (t) {
    case DType::kFloat32: return from_float(read<float>(data, i), 32);
    case DType::kFloat64: return from_float(read<double>(data, i), 64);
    case DType::kFloat16: return from_float(half_to_float(read<uint16_t>(data, i)), 16);
    case DType::kBFloat16: return from_float(bfloat16_to_float(read<uint16_t>(data, i)), 16);
    case DType::kFloat8E8M0: return from_float(e8m0_to_float(read<uint8_t>(data, i)), 8);
    case DType::kInt8: return from_int(read<int8_t>(data, i));
    case DType::kInt16: return from_int(read<int16_t>(data, i));
    case DType::kInt32: return from_int(read<int32_t>(data, i));
    case DType::kInt64: return from_int(read<int64_t>(data, i));
    case DType::kUInt8: return from_int(read<uint8_t>(data, i));
    case DType::kUInt16: return from_int(read<uint16_t>(data, i));
    case DType::kUInt32: return from_int(read<uint32_t>(data, i));
    case DType::kUInt64: {
      const uint64_t u = read<uint64_t>(data, i);
      Scalar s = from_int(static_cast<int64_t>(u));
      s.is_unsigned = true;
      s.f = static_cast<double>(u);
      return s;
    }
    case DType::kBool: {
      Scalar s = from_int(read<uint8_t>(data, i) != 0 ? 1 : 0);
      s.is_bool = true;
      return s;
    }
    case DType::kString: return parse(static_cast<const std::string*>(data)[i]);
    default: break;
  }
  if (is_small_float(t)) return from_float(small_to_float(load_code(data, i, dtype_bits(t)), t), 8);
  if (is_small_int(t)) return from_int(small_to_int(load_code(data, i, dtype_bits(t)), t));
  return from_float(NAN, 64);
}

void store(DType t, void* data, int64_t i, const Scalar& v, const Options& opt) {
  if (t == DType::kString) {
    std::string& out = static_cast<std::string*>(data)[i];
    if (v.is_bool) out = v.i ? "True" : "False";
    else if (v.is_int && v.is_unsigned) out = std::to_string(static_cast<uint64_t>(v.i));
    else if (v.is_int) out = std::to_string(v.i);
    else out = format_float(v.f, v.float_bits);
    return;
  }
  if (t == DType::kFloat8E8M0) {
    write<uint8_t>(data, i, float_to_e8m0(static_cast<float>(v.f), opt.saturate, opt.round_mode));
    return;
  }
  if (is_small_float(t)) {
    store_code(data, i, dtype_bits(t), float_to_small(v.f, t, opt.saturate));
    return;
  }
  if (is_small_int(t)) {
    const int64_t iv = v.is_int ? v.i : ew::float_to_int<int64_t>(v.f);
    store_code(data, i, dtype_bits(t), int_to_small(iv, t));
    return;
  }
  ew::visit_numeric(t, [&](auto tag) {
    using D = typename decltype(tag)::type;
    D out;
    if constexpr (std::is_same_v<D, bool>) {
      out = v.is_int ? v.i != 0 : v.f != 0;
    } else if constexpr (ew::is_floating_v<D>) {
      if (v.is_int && !v.is_unsigned) out = ew::cast_value<D>(v.i);
      else if (v.is_int) out = ew::cast_value<D>(static_cast<uint64_t>(v.i));
      else if constexpr (std::is_same_v<D, double>) out = v.f;
      // Sources of 32 bits or fewer are exact in float; doubles round once to the target.
      else if (v.float_bits <= 32) out = ew::store_as<D>(static_cast<float>(v.f));
      else out = ew::cast_value<D>(v.f);
    } else {
      out = v.is_int ? static_cast<D>(v.i) : ew::float_to_int<D>(v.f);
    }
    write<D>(data, i, out);
  });
}

}  // namespace onnxrt::kernels::cast
