// Floating-point to integer conversion that is defined for every input. C++ leaves a conversion
// whose truncated value does not fit the integer type undefined (UBSan reports it; x86 gives
// INT_MIN), and models feed such values: NaN, infinities, float attributes whose default is
// -FLT_MAX. Out-of-range values saturate to the type's limits and NaN becomes 0.
#pragma once

#include <limits>
#include <type_traits>

namespace onnxrt {

template <typename I, typename F>
inline I saturate_to_int(F v) {
  static_assert(std::is_integral_v<I> && std::is_floating_point_v<F>);
  if (!(v == v)) return I{0};
  // The limits as F round outward (INT64_MAX becomes 2^63), so `>=` also catches values that
  // round to the limit itself.
  if (v <= static_cast<F>(std::numeric_limits<I>::lowest())) return std::numeric_limits<I>::lowest();
  if (v >= static_cast<F>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(v);
}

}  // namespace onnxrt
