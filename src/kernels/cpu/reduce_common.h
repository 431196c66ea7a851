// Shared by the reduce-family kernels of both backends (kernels/cpu/reduce*.cc and
// kernels/reference/reduce*.cc): attributes read once, axes resolved against the concrete input
// on every run (axes may be a run-time input from ReduceSum-13 / Reduce*-18), element-type
// dispatch, and the factories of both tables. The numeric code of the two backends is separate.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "base/half.h"
#include "base/saturate.h"
#include "kernels/kernel.h"

namespace onnxrt::kernels::reduce {

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

struct ReduceAttrs {
  ReduceKind kind = ReduceKind::kSum;
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  bool axes_from_input = false;  // opset >= 13 (ReduceSum) or 18 (the others)
  std::vector<int64_t> attr_axes;  // opset below that: the attribute (empty: all axes)
};

Expected<ReduceAttrs> read_reduce_attrs(const KernelInit& init);

// Which input axes are reduced, for this run. An all-false mask is the noop case
// (noop_with_empty_axes with no axes): every element is "reduced" alone, so ReduceSumSquare still
// squares, as the spec's reference does.
Expected<std::vector<bool>> reduced_axes(const KernelContext& ctx, const ReduceAttrs& a,
                                         int64_t rank);

// Checks that `out` has the shape the mask and keepdims give for `in` (a model may lie).
Status check_reduce_output(const KernelContext& ctx, const Shape& in, const std::vector<bool>& mask,
                           bool keepdims, const Tensor& out);

// The axis of ArgMax/ArgMin/TopK/CumSum normalised for `rank`, or an error naming it.
Expected<int64_t> axis_for_rank(const KernelContext& ctx, int64_t axis, int64_t rank);

// CumSum/CumProd's axis input (int32/int64 scalar or one-element 1-D).
Expected<int64_t> read_axis_input(const KernelContext& ctx, size_t i);

// TopK's k: attribute (opset < 10) or input 1 (int64 one-element).
Expected<int64_t> read_k(const KernelContext& ctx, int opset, int64_t attr_k);

// (outer, n, inner) for a single axis.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& s, int64_t axis);

// ---- element types

// Calls f(T{}) for the element types the family supports; NotImplemented names the others.
template <class F>
Status dispatch_numeric(const KernelContext& ctx, DType t, bool allow_bool, F&& f) {
  switch (t) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kFloat16: return f(Float16{});
    case DType::kBFloat16: return f(BFloat16{});
    case DType::kInt8: return f(int8_t{});
    case DType::kUInt8: return f(uint8_t{});
    case DType::kInt16: return f(int16_t{});
    case DType::kUInt16: return f(uint16_t{});
    case DType::kInt32: return f(int32_t{});
    case DType::kUInt32: return f(uint32_t{});
    case DType::kInt64: return f(int64_t{});
    case DType::kUInt64: return f(uint64_t{});
    case DType::kBool:
      if (allow_bool) return f(bool{});
      break;
    default: break;
  }
  return {ErrorCode::kNotImplemented,
          ctx.error("element type " + std::string(dtype_name(t)) + " is not supported").message()};
}

template <class T>
constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;
template <class T>
constexpr bool kIsFloat = std::is_floating_point_v<T> || kIsHalf<T>;

// Element <-> compute value. Halves compute in float, everything else in itself.
template <class T>
inline auto widen(T v) {
  if constexpr (std::is_same_v<T, Float16>) return half_to_float(v.bits);
  else if constexpr (std::is_same_v<T, BFloat16>) return bfloat16_to_float(v.bits);
  else return v;
}
template <class T, class V>
inline T narrow(V v) {
  if constexpr (std::is_same_v<T, Float16>) return Float16{float_to_half(static_cast<float>(v))};
  else if constexpr (std::is_same_v<T, BFloat16>) return BFloat16{float_to_bfloat16(static_cast<float>(v))};
  else if constexpr (std::is_same_v<T, bool>) return v != V{};
  else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<V>) return saturate_to_int<T>(v);
  else return static_cast<T>(v);
}

}  // namespace onnxrt::kernels::reduce

namespace onnxrt::kernels {
// CPU factories (kernels/cpu/reduce_*.cc).
Expected<std::unique_ptr<Kernel>> make_cpu_reduce(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_arg_reduce(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_topk(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cpu_cumulative(const KernelInit& init);
// Reference factories (kernels/reference/reduce*.cc).
Expected<std::unique_ptr<Kernel>> make_ref_reduce(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_arg_reduce(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_topk(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_ref_cumulative(const KernelInit& init);
}  // namespace onnxrt::kernels
