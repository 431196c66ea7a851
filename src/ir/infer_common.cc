// Helpers shared by the per-family inference functions.
#include <algorithm>
#include <string>

#include "ir/infer.h"

namespace onnxrt::ir {

Status InferContext::error(const std::string& message) const {
  return invalid_model(node_.describe() + ": " + message);
}

Expected<SymShape> broadcast_shapes(const SymShape& a, const SymShape& b, InferContext& ctx) {
  const size_t rank = std::max(a.size(), b.size());
  SymShape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right, as numpy does.
    const Dim da = i < rank - a.size() ? Dim(1) : a[i - (rank - a.size())];
    const Dim db = i < rank - b.size() ? Dim(1) : b[i - (rank - b.size())];
    if (da == db) {
      out[i] = da;
    } else if (da.is_known() && da.value() == 1) {
      out[i] = db;
    } else if (db.is_known() && db.value() == 1) {
      out[i] = da;
    } else if (da.is_known() && db.is_known()) {
      return ctx.error("cannot broadcast shapes " + shape_to_string(a) + " and " +
                       shape_to_string(b) + ": dim " + std::to_string(i) + " is " +
                       std::to_string(da.value()) + " vs " + std::to_string(db.value()));
    } else if (da.is_known()) {
      // A symbol against a number other than 1: a valid model must have the symbol equal it.
      out[i] = da;
    } else if (db.is_known()) {
      out[i] = db;
    } else {
      // Two different symbols: each may be 1, so the result is neither; unknown statically, but
      // the same for every broadcast of this pair.
      const int32_t lo = std::min(da.symbol_id(), db.symbol_id()), hi = std::max(da.symbol_id(), db.symbol_id());
      out[i] = ctx.derived_dim("bcast(" + std::to_string(lo) + "," + std::to_string(hi) + ")");
    }
  }
  return out;
}

Expected<int64_t> normalize_axis(int64_t axis, int64_t rank, const InferContext& ctx) {
  if (axis < -rank || axis >= rank) {
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank) + " (expected [" + std::to_string(-rank) + ", " +
                     std::to_string(rank - 1) + "])");
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> tensor_to_int64s(const Tensor& t) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(t.size()));
  if (t.dtype() == DType::kInt64) {
    for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.data<int64_t>()[i]);
  } else if (t.dtype() == DType::kInt32) {
    for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.data<int32_t>()[i]);
  }
  return out;
}

Status require_tensor_with_shape(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return ctx.error("input " + std::to_string(i) + " is required but missing");
  const ValueType& t = ctx.input_type(i);
  if (!t.is_tensor()) {
    return ctx.error("input " + std::to_string(i) + " must be a tensor, got " + type_string(t));
  }
  if (!t.has_shape) {
    return ctx.error("input " + std::to_string(i) + " has unknown rank; onnxrt needs the rank here");
  }
  return Status::ok();
}

Status check_element_count(const SymShape& shape, const InferContext& ctx, const std::string& what) {
  int64_t count = 1;
  bool overflow = false;
  for (const Dim& d : shape) {
    if (!d.is_known() || d.value() < 0) continue;  // symbols are checked when they get values
    if (d.value() == 0) return Status::ok();       // an empty tensor, whatever the other dims
    overflow = overflow || __builtin_mul_overflow(count, d.value(), &count);
  }
  if (overflow)
    return ctx.error(what + " " + shape_to_string(shape) + " has an element count that overflows int64");
  return Status::ok();
}

}  // namespace onnxrt::ir
