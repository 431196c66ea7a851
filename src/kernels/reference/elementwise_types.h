// Element-type dispatch for the element-wise kernels (CPU and reference): maps a DType to its
// storage type and converts storage values to and from a compute type (float16/bfloat16 go
// through float).
#pragma once

#include <cstdint>
#include <type_traits>

#include "base/half.h"
#include "onnxrt/dtype.h"

namespace onnxrt::kernels::ew {

template <typename T>
struct Tag {
  using type = T;
};

template <typename T>
constexpr bool is_half_v = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;
template <typename T>
constexpr bool is_floating_v = std::is_floating_point_v<T> || is_half_v<T>;

template <typename C, typename T>
inline C load_as(T v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return static_cast<C>(half_to_float(v.bits));
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return static_cast<C>(bfloat16_to_float(v.bits));
  } else {
    return static_cast<C>(v);
  }
}

template <typename T, typename C>
inline T store_as(C v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return Float16{float_to_half(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16{float_to_bfloat16(static_cast<float>(v))};
  } else {
    return static_cast<T>(v);
  }
}

// Calls fn(Tag<T>{}) for the numeric (and bool) storage type of `t`; returns false when `t` is
// not one of them.
template <typename Fn>
bool visit_numeric(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: fn(Tag<float>{}); return true;
    case DType::kFloat64: fn(Tag<double>{}); return true;
    case DType::kFloat16: fn(Tag<Float16>{}); return true;
    case DType::kBFloat16: fn(Tag<BFloat16>{}); return true;
    case DType::kInt8: fn(Tag<int8_t>{}); return true;
    case DType::kInt16: fn(Tag<int16_t>{}); return true;
    case DType::kInt32: fn(Tag<int32_t>{}); return true;
    case DType::kInt64: fn(Tag<int64_t>{}); return true;
    case DType::kUInt8: fn(Tag<uint8_t>{}); return true;
    case DType::kUInt16: fn(Tag<uint16_t>{}); return true;
    case DType::kUInt32: fn(Tag<uint32_t>{}); return true;
    case DType::kUInt64: fn(Tag<uint64_t>{}); return true;
    case DType::kBool: fn(Tag<bool>{}); return true;
    default: return false;
  }
}

// Float-to-integer conversion without undefined behaviour: NaN and out-of-range values give the
// type's minimum for signed (what x86's cvtt instructions produce, and thus onnxruntime) and 0
// for unsigned; narrower integer types wrap from int64 as C++20 defines.
template <typename I, typename F>
inline I float_to_int(F f) {
  if constexpr (std::is_same_v<I, bool>) {
    return f != 0;
  } else if constexpr (std::is_unsigned_v<I>) {
    if (!(f > -1.0) || !(f < 18446744073709551616.0)) {
      return f < 0 && f > -9223372036854775808.0 ? static_cast<I>(static_cast<int64_t>(f)) : I(0);
    }
    return static_cast<I>(static_cast<uint64_t>(f));
  } else {
    if (!(f >= -9223372036854775808.0) || !(f < 9223372036854775808.0))
      return static_cast<I>(INT64_MIN);
    return static_cast<I>(static_cast<int64_t>(f));
  }
}

// Conversion from storage type S to storage type D as Cast defines it.
template <typename D, typename S>
inline D cast_value(S v) {
  if constexpr (std::is_same_v<D, S>) {
    return v;
  } else if constexpr (is_floating_v<S>) {
    if constexpr (is_floating_v<D>) {
      if constexpr (std::is_same_v<S, double> && !std::is_same_v<D, double>) {
        return store_as<D>(static_cast<float>(v));
      } else {
        return store_as<D>(load_as<double>(v));
      }
    } else {
      return float_to_int<D>(load_as<double>(v));
    }
  } else if constexpr (std::is_same_v<D, bool>) {
    return v != 0;
  } else if constexpr (is_half_v<D>) {
    return store_as<D>(static_cast<float>(v));
  } else {
    return static_cast<D>(v);
  }
}

}  // namespace onnxrt::kernels::ew
