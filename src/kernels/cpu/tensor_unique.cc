// Unique: unique elements (no axis) or unique slices along an axis, sorted or in order of first
// occurrence, with first-occurrence indices, inverse indices and counts. Slices compare
// lexicographically in row-major order of the slice, as numpy.unique(axis=...) does. Shared by
// the CPU and reference tables.
#include <algorithm>
#include <numeric>

#include "ir/attribute.h"
#include "ir/infer_tensor_util.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"

namespace onnxrt::kernels::tensor_ops {

using ir::tensor_infer::norm_axis;

namespace {

// Items are slices: item j consists of elements (o * dim + j) * inner + i for o < outer, i < inner.
struct ItemView {
  int64_t outer = 1, dim = 0, inner = 1;
};

template <typename T>
void group_items(const Tensor& x, const ItemView& v, std::vector<int64_t>& order,
                 std::vector<size_t>& group_start) {
  const T* p = x.data<T>();
  // -1, 0, 1 comparison of items a and b.
  auto cmp = [&](int64_t a, int64_t b) -> int {
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t i = 0; i < v.inner; ++i) {
        const auto xa = Arith<T>::load(p[(o * v.dim + a) * v.inner + i]);
        const auto xb = Arith<T>::load(p[(o * v.dim + b) * v.inner + i]);
        if (xa < xb) return -1;
        if (xb < xa) return 1;
      }
    return 0;
  };
  order.resize(static_cast<size_t>(v.dim));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
  group_start.clear();
  for (size_t k = 0; k < order.size(); ++k)
    if (k == 0 || cmp(order[k - 1], order[k]) != 0) group_start.push_back(k);
}

}  // namespace

Status unique_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  if (!xp) return ctx.error("missing input");
  const Tensor& x = *xp;
  const DType t = x.dtype();
  ir::AttrReader a(ctx.node());
  const bool has_axis = a.has("axis");
  const int64_t axis = a.i("axis", 0);
  const bool sorted = a.i("sorted", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  ItemView v;
  int64_t ax = -1;
  if (has_axis) {
    auto n = norm_axis(axis, x.rank());
    if (!n) return ctx.error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(x.rank()));
    ax = *n;
    v.dim = x.dim(ax);
    for (int64_t i = 0; i < ax; ++i) v.outer *= x.dim(i);
    for (int64_t i = ax + 1; i < x.rank(); ++i) v.inner *= x.dim(i);
  } else {
    v.dim = x.size();
  }
  std::vector<int64_t> order;
  std::vector<size_t> starts;
  bool ok = true;
  if (t == DType::kBool) group_items<uint8_t>(x, v, order, starts);
  else if (t == DType::kString) group_items<std::string>(x, v, order, starts);
  else ok = dispatch_numeric(t, [&]<typename T>() { group_items<T>(x, v, order, starts); });
  if (!ok) return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported");
  // Groups: first occurrence (stable sort keeps the smallest index first) and size.
  const int64_t U = static_cast<int64_t>(starts.size());
  std::vector<int64_t> first(static_cast<size_t>(U)), count(static_cast<size_t>(U));
  for (int64_t g = 0; g < U; ++g) {
    const size_t b = starts[static_cast<size_t>(g)];
    const size_t e = g + 1 < U ? starts[static_cast<size_t>(g + 1)] : order.size();
    first[static_cast<size_t>(g)] = order[b];
    count[static_cast<size_t>(g)] = static_cast<int64_t>(e - b);
  }
  std::vector<int64_t> rank(static_cast<size_t>(U));  // output position of each group
  std::iota(rank.begin(), rank.end(), 0);
  if (!sorted) {
    std::vector<int64_t> by_first(static_cast<size_t>(U));
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(),
              [&](int64_t p, int64_t q) { return first[static_cast<size_t>(p)] < first[static_cast<size_t>(q)]; });
    for (int64_t k = 0; k < U; ++k) rank[static_cast<size_t>(by_first[static_cast<size_t>(k)])] = k;
  }
  std::vector<int64_t> out_first(static_cast<size_t>(U)), out_count(static_cast<size_t>(U));
  std::vector<int64_t> inverse(static_cast<size_t>(v.dim));
  for (int64_t g = 0; g < U; ++g) {
    const size_t r = static_cast<size_t>(rank[static_cast<size_t>(g)]);
    out_first[r] = first[static_cast<size_t>(g)];
    out_count[r] = count[static_cast<size_t>(g)];
    const size_t e = g + 1 < U ? starts[static_cast<size_t>(g + 1)] : order.size();
    for (size_t k = starts[static_cast<size_t>(g)]; k < e; ++k) inverse[static_cast<size_t>(order[k])] = static_cast<int64_t>(r);
  }

  Shape yshape = {U};
  if (has_axis) {
    yshape = x.shape();
    yshape[static_cast<size_t>(ax)] = U;
  }
  if (Tensor* y = ctx.allocate_output(0, t, yshape)) {
    const int64_t es = static_cast<int64_t>(elem_bytes(t));
    if (es == 0) return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported");
    const char* s = static_cast<const char*>(x.raw());
    char* d = static_cast<char*>(y->raw());
    for (int64_t o = 0; o < v.outer; ++o)
      for (int64_t u = 0; u < U; ++u)
        copy_elements(t, s + ((o * v.dim + out_first[static_cast<size_t>(u)]) * v.inner) * es,
                      d + ((o * U + u) * v.inner) * es, v.inner);
  }
  auto write = [&](size_t i, const std::vector<int64_t>& vals) {
    if (i >= ctx.num_outputs()) return;
    if (Tensor* o = ctx.allocate_output(i, DType::kInt64, {static_cast<int64_t>(vals.size())}))
      std::copy(vals.begin(), vals.end(), o->data<int64_t>());
  };
  write(1, out_first);
  write(2, inverse);
  write(3, out_count);
  return Status::ok();
}

}  // namespace onnxrt::kernels::tensor_ops
