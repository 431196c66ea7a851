// Helpers shared by the tensor-family inference files (ir/infer_tensor*.cc) and, for the pure
// index arithmetic (slice bounds, axis normalisation), by the tensor-family kernels, so that the
// shapes a kernel computes agree with inference by construction.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "ir/infer.h"

namespace onnxrt::ir::tensor_infer {

// axis in [-rank, rank) → [0, rank); nullopt when out of range.
inline std::optional<int64_t> norm_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

// ONNX Slice semantics for one axis: negative start/end count from the end, then clamp to
// [0, dim] (step > 0) or [-1, dim-1] (step < 0). Returns the clamped start and element count.
struct SliceBounds {
  int64_t start = 0;
  int64_t count = 0;
};
inline SliceBounds slice_bounds(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;  // cannot overflow: dim >= 0
  if (end < 0) end += dim;
  SliceBounds b;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    b.start = start;
    // ceil(span / step) without adding step first: a step near INT64_MAX would overflow.
    b.count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, -1, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    b.start = start;
    // (start - end) can be up to dim; -step may be huge, so divide without adding first.
    // -INT64_MIN has no int64 value; any span (at most dim + 1) fits in one such step.
    int64_t span = start - end;
    if (span <= 0) b.count = 0;
    else if (step == std::numeric_limits<int64_t>::min()) b.count = 1;
    else b.count = (span - 1) / (-step) + 1;
  }
  return b;
}

// Integer values of input i when it is a constant.
std::optional<std::vector<int64_t>> const_ints(const InferContext& ctx, size_t i);
// The elements of a rank-0/1 integer input as dims: from its constant value, else from the
// symbolic value that shape-computation ops propagate (ValueType::sym_value).
std::optional<SymShape> dims_value(const InferContext& ctx, size_t i);
// A sym_value for an int64 constant tensor (rank 0/1, up to a small size); nullopt otherwise.
std::optional<SymShape> sym_value_of(const Tensor& t);

// Product of dims when all are known; a lone symbol times 1s stays that symbol; else the derived
// symbol of that product (InferContext::derived_dim).
Dim dim_product(const SymShape& dims, size_t begin, size_t end, InferContext& ctx);
// Symbol ids in ascending order, comma-terminated: part of a derived_dim key for a product, in
// which their order does not matter.
std::string symbol_list(std::vector<int32_t> ids);
// Requires input i to be a tensor (any rank or none); names the input otherwise.
Status require_tensor(const InferContext& ctx, size_t i, const char* what);
// Reads an axes list from the attribute (opset < `input_since`) or from input `input_index`.
// `present` is false when no axes are given; `known` false when the input is not constant.
struct AxesArg {
  bool present = false;
  bool known = true;
  std::vector<int64_t> axes;
};
AxesArg read_axes(InferContext& ctx, int input_since, size_t input_index, const char* attr = "axes");
// Normalises and checks a set of axes for `rank` (no duplicates).
Expected<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank,
                                              const InferContext& ctx);
std::string ints_to_string(const std::vector<int64_t>& v);

}  // namespace onnxrt::ir::tensor_infer
