// ArgMax/ArgMin, TopK, CumSum and CumProd on the CPU. Each views its input as (outer, n, inner)
// around the axis and threads over independent lines; with inner > 1 the loops run across the
// contiguous inner elements (vectorizable) instead of striding along the axis.
#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <type_traits>
#include <utility>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "kernels/cpu/reduce_common.h"

namespace onnxrt::kernels {

namespace {

using namespace reduce;

template <class V>
inline bool nan_of(V v) {
  return v != v;
}

// ---- ArgMax / ArgMin

// Whether candidate v replaces the current best b. NaN is the extreme for both ops (numpy's
// argmax/argmin return the first NaN; with select_last_index, the last one).
template <bool IsMax, bool Last, class V>
inline bool replaces(V v, V b) {
  if (nan_of(b)) return Last && nan_of(v);
  if (nan_of(v)) return true;
  if constexpr (Last) return IsMax ? v >= b : v <= b;
  else return IsMax ? v > b : v < b;
}

// The index replaces() picks on a contiguous row, in two branch-free passes: the extreme value
// over 8 independent lanes (vectorizable), then the first (or last) index holding it. Equal to
// the one-pass scan whenever the row has no NaN (equality also matches -0 against +0, which the
// scan does not tell apart either); a row with a NaN returns false and takes the scan. The scan's
// data-dependent branch cost ~2 ns per value (a detector head's ArgMax over [4800, 80]: 0.83 ms).
template <bool IsMax, bool Last, class T>
bool arg_row_two_pass(const T* r, int64_t n, int64_t* out) {
  using V = decltype(widen(T{}));
  constexpr int kLanes = 8;
  if (n < 2 * kLanes) return false;
  constexpr bool kFloat = std::is_floating_point_v<V>;
  // v * 0 is NaN for NaN (and for infinities, which then take the scan too: harmless).
  V m[kLanes], probe[kLanes] = {};
  int64_t k = 0;
  if constexpr (std::is_same_v<T, float>) {
    // GCC leaves the lane loop below scalar for float (maxss per value); generic vectors of 4
    // make it maxps / mulps on any x86-64.
    typedef float F4 __attribute__((vector_size(16)));
    F4 m0, m1, p0 = {}, p1 = {};
    std::memcpy(&m0, r, sizeof m0);
    std::memcpy(&m1, r + 4, sizeof m1);
    for (; k + kLanes <= n; k += kLanes) {
      F4 v0, v1;
      std::memcpy(&v0, r + k, sizeof v0);
      std::memcpy(&v1, r + k + 4, sizeof v1);
      p0 += v0 * 0.0f;
      p1 += v1 * 0.0f;
      m0 = IsMax ? (v0 > m0 ? v0 : m0) : (v0 < m0 ? v0 : m0);
      m1 = IsMax ? (v1 > m1 ? v1 : m1) : (v1 < m1 ? v1 : m1);
    }
    for (int j = 0; j < 4; ++j) m[j] = m0[j], m[j + 4] = m1[j], probe[j] = p0[j], probe[j + 4] = p1[j];
  } else {
    for (int j = 0; j < kLanes; ++j) m[j] = widen(r[j]);
    for (; k + kLanes <= n; k += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const V v = widen(r[k + j]);
        if constexpr (kFloat) probe[j] += v * V(0);
        m[j] = IsMax ? (v > m[j] ? v : m[j]) : (v < m[j] ? v : m[j]);
      }
  }
  V best = m[0];
  bool any_nan = false;
  for (int j = 0; j < kLanes; ++j) {
    any_nan |= nan_of(probe[j]);
    best = IsMax ? (m[j] > best ? m[j] : best) : (m[j] < best ? m[j] : best);
  }
  for (; k < n; ++k) {
    const V v = widen(r[k]);
    any_nan |= nan_of(v);
    best = IsMax ? (v > best ? v : best) : (v < best ? v : best);
  }
  if (any_nan) return false;
#ifdef __SSE2__
  if constexpr (std::is_same_v<T, float>) {
    // Four values per compare: the scalar search was most of a short row's time (a detector's
    // [4800, 80] ArgMax) and ~25K compares of a vocabulary row.
    const __m128 b = _mm_set1_ps(best);
    if constexpr (Last) {
      int64_t i = n;
      for (; i >= 4; i -= 4) {
        const int m = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(r + i - 4), b));
        if (m) return *out = i - 4 + (31 - __builtin_clz(static_cast<unsigned>(m))), true;
      }
      for (; i-- > 0;)
        if (r[i] == best) return *out = i, true;
    } else {
      int64_t i = 0;
      for (; i + 4 <= n; i += 4) {
        const int m = _mm_movemask_ps(_mm_cmpeq_ps(_mm_loadu_ps(r + i), b));
        if (m) return *out = i + __builtin_ctz(static_cast<unsigned>(m)), true;
      }
      for (; i < n; ++i)
        if (r[i] == best) return *out = i, true;
    }
    return false;
  }
#endif
  if constexpr (Last) {
    for (int64_t i = n - 1; i >= 0; --i)
      if (widen(r[i]) == best) return *out = i, true;
  } else {
    for (int64_t i = 0; i < n; ++i)
      if (widen(r[i]) == best) return *out = i, true;
  }
  return false;
}

// Columns per task of the strided float path.
constexpr int64_t kArgColumns = 1024;

// replaces() over `w` columns (stride `inner` between the n values of a column) without a branch
// per value: the decision is a mask that selects the new best value and index, which the compiler
// vectorizes. With the branch, a segmentation map's ArgMax over 64 classes at 56x56 ran 2x
// onnxruntime's time (0.56 against 0.29 ms).
template <bool IsMax, bool Last>
void arg_columns_f32(const float* x, int64_t n, int64_t inner, int64_t w, int64_t* y) {
  float best[kArgColumns];
  int32_t idx[kArgColumns];
  for (int64_t j = 0; j < w; ++j) {
    best[j] = x[j];
    idx[j] = 0;
  }
  for (int64_t k = 1; k < n; ++k) {
    const float* r = x + k * inner;
    const int32_t kk = static_cast<int32_t>(k);
    for (int64_t j = 0; j < w; ++j) {
      const float v = r[j], b = best[j];
      const bool vn = v != v, bn = b != b;
      const bool beats = IsMax ? (Last ? v >= b : v > b) : (Last ? v <= b : v < b);
      // As replaces(): a NaN best stays (unless Last and v is NaN); a NaN v takes over.
      const bool repl = ((!bn) & (vn | beats)) | (bn & Last & vn);
      best[j] = repl ? v : b;
      idx[j] = repl ? kk : idx[j];
    }
  }
  for (int64_t j = 0; j < w; ++j) y[j] = idx[j];
}

template <class T, bool IsMax, bool Last>
void argreduce(const T* x, int64_t* y, const AxisSplit& sp, ThreadPool& pool) {
  using V = decltype(widen(T{}));
  if (sp.inner == 1) {
    pool.parallel_for(sp.outer, static_cast<double>(sp.n), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const T* r = x + o * sp.n;
        if (arg_row_two_pass<IsMax, Last>(r, sp.n, &y[o])) continue;
        V b = widen(r[0]);
        int64_t bi = 0;
        for (int64_t k = 1; k < sp.n; ++k) {
          const V v = widen(r[k]);
          if (replaces<IsMax, Last>(v, b)) {
            b = v;
            bi = k;
          }
        }
        y[o] = bi;
      }
    });
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    // Columns in chunks, each task one (outer, chunk) pair, so that a segmentation map's ArgMax
    // over the classes ([1, C, H, W], outer 1) uses every thread.
    const int64_t chunks = (sp.inner + kArgColumns - 1) / kArgColumns;
    pool.parallel_for(sp.outer * chunks, static_cast<double>(sp.n * std::min(sp.inner, kArgColumns)),
                      [&](int64_t t0, int64_t t1) {
                        for (int64_t t = t0; t < t1; ++t) {
                          const int64_t o = t / chunks, j0 = (t % chunks) * kArgColumns;
                          arg_columns_f32<IsMax, Last>(x + o * sp.n * sp.inner + j0, sp.n, sp.inner,
                                                       std::min(kArgColumns, sp.inner - j0), y + o * sp.inner + j0);
                        }
                      });
    return;
  }
  pool.parallel_for(sp.outer, static_cast<double>(sp.n * sp.inner), [&](int64_t o0, int64_t o1) {
    std::unique_ptr<V[]> best(new V[static_cast<size_t>(sp.inner)]);
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = x + o * sp.n * sp.inner;
      int64_t* yi = y + o * sp.inner;
      for (int64_t j = 0; j < sp.inner; ++j) {
        best[static_cast<size_t>(j)] = widen(base[j]);
        yi[j] = 0;
      }
      for (int64_t k = 1; k < sp.n; ++k) {
        const T* r = base + k * sp.inner;
        for (int64_t j = 0; j < sp.inner; ++j) {
          const V v = widen(r[j]);
          if (replaces<IsMax, Last>(v, best[static_cast<size_t>(j)])) {
            best[static_cast<size_t>(j)] = v;
            yi[j] = k;
          }
        }
      }
    }
  });
}

class CpuArgKernel final : public Kernel {
 public:
  CpuArgKernel(bool is_max, int64_t axis, bool last) : is_max_(is_max), axis_(axis), last_(last) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || y->dtype() != DType::kInt64) return ctx.error("expects data and an int64 output");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, axis_, x->rank()));
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    if (y->size() != sp.outer * sp.inner)
      return ctx.error("output shape " + shape_to_string(y->shape()) + " does not match data");
    if (y->size() == 0) return Status::ok();
    if (sp.n == 0) return ctx.error("cannot take " + ctx.node().op_type + " over an empty axis");
    return dispatch_numeric(ctx, x->dtype(), true, [&](auto tag) -> Status {
      using T = decltype(tag);
      const T* xd = x->data<T>();
      int64_t* yd = y->data<int64_t>();
      if (is_max_) last_ ? argreduce<T, true, true>(xd, yd, sp, ctx.threads()) : argreduce<T, true, false>(xd, yd, sp, ctx.threads());
      else last_ ? argreduce<T, false, true>(xd, yd, sp, ctx.threads()) : argreduce<T, false, false>(xd, yd, sp, ctx.threads());
      return Status::ok();
    });
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool last_;
};

// ---- TopK

// The k best items of a NaN-free line, unordered, into items[0, k): the k-th best value t by
// nth_element over the bare values, then every value better than t and, in index order, as many
// values equal to t as fill k, which is the set the (value, then index) order picks. O(n) where
// partial_sort over (value, index) pairs with NaN checks in the comparator took 43 us for k = 100
// of 4800 scores (a detector's top-k). Returns false (items untouched) when the line has a NaN
// or k is 0 or n.
template <class T, class V>
bool select_k(const T* src, int64_t stride, int64_t n, int64_t k, bool largest, std::vector<V>& vals,
              std::vector<V>& scratch, std::vector<std::pair<V, int64_t>>& items) {
  if (k <= 0 || k >= n) return false;
  vals.resize(static_cast<size_t>(n));
  bool nan = false;
  for (int64_t j = 0; j < n; ++j) {
    vals[static_cast<size_t>(j)] = widen(src[j * stride]);
    nan |= nan_of(vals[static_cast<size_t>(j)]);
  }
  if (nan) return false;
  scratch.assign(vals.begin(), vals.end());
  const auto kth = scratch.begin() + (k - 1);
  if (largest) std::nth_element(scratch.begin(), kth, scratch.end(), std::greater<V>());
  else std::nth_element(scratch.begin(), kth, scratch.end());
  const V t = *kth;
  size_t c = 0;
  for (int64_t j = 0; j < n; ++j) {
    const V v = vals[static_cast<size_t>(j)];
    if (largest ? v > t : v < t) items[c++] = {v, j};
  }
  for (int64_t j = 0; j < n && c < static_cast<size_t>(k); ++j)
    if (vals[static_cast<size_t>(j)] == t) items[c++] = {t, j};
  return true;
}

// The same for k well below n (k * kHeapRatio <= n): one pass keeping the k best so far in a heap
// with the worst on top, so most values cost one compare (a later value equal to the worst is
// never better: ties go to the lower index). A detector's top 100 of 4800 scores: nth_element
// and its two copies of the line took 47 us against onnxruntime's 5.5.
constexpr int64_t kHeapRatio = 8;

template <class T, class V>
bool select_k_heap(const T* src, int64_t stride, int64_t n, int64_t k, bool largest,
                   std::vector<std::pair<V, int64_t>>& items) {
  if (k <= 0 || k >= n) return false;
  using Item = std::pair<V, int64_t>;
  // "a is better than b" makes std's max-heap keep the worst item on top.
  auto better = [largest](const Item& a, const Item& b) {
    if (a.first != b.first) return largest ? a.first > b.first : a.first < b.first;
    return a.second < b.second;
  };
  for (int64_t j = 0; j < k; ++j) {
    const V v = widen(src[j * stride]);
    if (nan_of(v)) return false;
    items[static_cast<size_t>(j)] = {v, j};
  }
  const auto first = items.begin(), last = items.begin() + k;
  std::make_heap(first, last, better);
  for (int64_t j = k; j < n; ++j) {
    const V v = widen(src[j * stride]);
    if (nan_of(v)) return false;
    if (largest ? v > first->first : v < first->first) {
      std::pop_heap(first, last, better);
      *(last - 1) = {v, j};
      std::push_heap(first, last, better);
    }
  }
  return true;
}

template <class T>
void topk_typed(const T* x, T* vals, int64_t* idx, const AxisSplit& sp, int64_t k, bool largest,
                ThreadPool& pool) {
  using V = decltype(widen(T{}));
  using Item = std::pair<V, int64_t>;
  // A strict total order: NaN above every number, then by value, ties by lower index, so the
  // result is the spec's for any sorting algorithm.
  auto before = [largest](const Item& a, const Item& b) {
    const bool na = nan_of(a.first), nb = nan_of(b.first);
    if (na != nb) return largest ? na : nb;
    if (!na && a.first != b.first) return largest ? a.first > b.first : a.first < b.first;
    return a.second < b.second;
  };
  const int64_t lines = sp.outer * sp.inner;
  pool.parallel_for(lines, static_cast<double>(sp.n) * 8, [&](int64_t l0, int64_t l1) {
    // Kept per thread: a fresh [n] buffer per call was a fifth of a 4800-value TopK's time. Lines
    // past kKeptLine values release theirs afterwards, so a huge TopK keeps no memory.
    constexpr size_t kKeptLine = size_t{1} << 16;
    thread_local std::vector<Item> buf;
    thread_local std::vector<V> vals_of_line, scratch;
    if (buf.size() < static_cast<size_t>(sp.n)) buf.resize(static_cast<size_t>(sp.n));
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t o = l / sp.inner, in = l % sp.inner;
      const T* src = x + o * sp.n * sp.inner + in;
      const bool selected = k * kHeapRatio <= sp.n ? select_k_heap(src, sp.inner, sp.n, k, largest, buf)
                                                   : select_k(src, sp.inner, sp.n, k, largest, vals_of_line, scratch, buf);
      if (!selected) {
        for (int64_t j = 0; j < sp.n; ++j) buf[static_cast<size_t>(j)] = {widen(src[j * sp.inner]), j};
        std::partial_sort(buf.begin(), buf.begin() + k, buf.begin() + sp.n, before);
      } else {
        std::sort(buf.begin(), buf.begin() + k, before);
      }
      T* dv = vals + o * k * sp.inner + in;
      int64_t* di = idx + o * k * sp.inner + in;
      for (int64_t j = 0; j < k; ++j) {
        const int64_t s = buf[static_cast<size_t>(j)].second;
        dv[j * sp.inner] = src[s * sp.inner];
        di[j * sp.inner] = s;
      }
    }
    if (buf.size() > kKeptLine) {
      for (auto* v : {&vals_of_line, &scratch}) std::vector<V>().swap(*v);
      std::vector<Item>().swap(buf);
    }
  });
}

class CpuTopKKernel final : public Kernel {
 public:
  CpuTopKKernel(int64_t axis, bool largest, int64_t attr_k) : axis_(axis), largest_(largest), attr_k_(attr_k) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* vals = ctx.output(0);
    Tensor* idx = ctx.output(1);
    if (!x || !vals || !idx || idx->dtype() != DType::kInt64 || vals->dtype() != x->dtype())
      return ctx.error("expects X, Values of X's type and int64 Indices");
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, axis_, x->rank()));
    ONNXRT_ASSIGN_OR_RETURN(int64_t k, read_k(ctx, ctx.node().opset, attr_k_));
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    if (k < 0 || k > sp.n)
      return ctx.error("k " + std::to_string(k) + " out of range for axis " + std::to_string(axis) +
                       " of size " + std::to_string(sp.n));
    Shape want = x->shape();
    want[static_cast<size_t>(axis)] = k;
    if (vals->shape() != want || idx->shape() != want)
      return ctx.error("outputs must have shape " + shape_to_string(want));
    if (vals->size() == 0) return Status::ok();
    return dispatch_numeric(ctx, x->dtype(), false, [&](auto tag) -> Status {
      using T = decltype(tag);
      topk_typed<T>(x->data<T>(), vals->data<T>(), idx->data<int64_t>(), sp, k, largest_, ctx.threads());
      return Status::ok();
    });
  }

 private:
  int64_t axis_;
  bool largest_;
  int64_t attr_k_;
};

// ---- CumSum / CumProd

template <class T, bool Prod>
void cumulate(const T* x, T* y, const AxisSplit& sp, bool exclusive, bool reverse, ThreadPool& pool) {
  // Running values in the compute type: float for halves, 64 bits for integers (wraps like the
  // narrow type would), T otherwise.
  using A = std::conditional_t<kIsHalf<T>, float,
            std::conditional_t<std::is_integral_v<T>,
                               std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, T>>;
  const A id = Prod ? A(1) : A(0);
  const int64_t n = sp.n, in = sp.inner;
  pool.parallel_for(sp.outer, static_cast<double>(n * in), [&](int64_t o0, int64_t o1) {
    std::vector<A> acc(static_cast<size_t>(in));
    for (int64_t o = o0; o < o1; ++o) {
      std::fill(acc.begin(), acc.end(), id);
      for (int64_t s = 0; s < n; ++s) {
        const int64_t k = reverse ? n - 1 - s : s;
        const T* xr = x + (o * n + k) * in;
        T* yr = y + (o * n + k) * in;
        A* a = acc.data();
        if (exclusive) {
          for (int64_t j = 0; j < in; ++j) {
            const A v = static_cast<A>(widen(xr[j]));
            yr[j] = narrow<T>(a[j]);
            a[j] = Prod ? a[j] * v : a[j] + v;
          }
        } else {
          for (int64_t j = 0; j < in; ++j) {
            const A v = static_cast<A>(widen(xr[j]));
            a[j] = Prod ? a[j] * v : a[j] + v;
            yr[j] = narrow<T>(a[j]);
          }
        }
      }
    }
  });
}

class CpuCumKernel final : public Kernel {
 public:
  CpuCumKernel(bool prod, bool exclusive, bool reverse) : prod_(prod), exclusive_(exclusive), reverse_(reverse) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || y->shape() != x->shape() || y->dtype() != x->dtype())
      return ctx.error("output must have the shape and type of x");
    ONNXRT_ASSIGN_OR_RETURN(int64_t ax, read_axis_input(ctx, 1));
    ONNXRT_ASSIGN_OR_RETURN(int64_t axis, axis_for_rank(ctx, ax, x->rank()));
    if (x->size() == 0) return Status::ok();
    const AxisSplit sp = split_at_axis(x->shape(), axis);
    return dispatch_numeric(ctx, x->dtype(), false, [&](auto tag) -> Status {
      using T = decltype(tag);
      if (prod_) cumulate<T, true>(x->data<T>(), y->data<T>(), sp, exclusive_, reverse_, ctx.threads());
      else cumulate<T, false>(x->data<T>(), y->data<T>(), sp, exclusive_, reverse_, ctx.threads());
      return Status::ok();
    });
  }

 private:
  bool prod_, exclusive_, reverse_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_arg_reduce(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", 0);
  const bool last = a.i("select_last_index", 0) != 0;
  a.i("keepdims", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new CpuArgKernel(init.node.op_type == "ArgMax", axis, last));
}

Expected<std::unique_ptr<Kernel>> make_cpu_topk(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", -1);
  const bool largest = a.i("largest", 1) != 0;
  const int64_t k = a.i("k", 0);
  a.i("sorted", 1);  // unsorted output may be in any order; we always sort
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new CpuTopKKernel(axis, largest, k));
}

Expected<std::unique_ptr<Kernel>> make_cpu_cumulative(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const bool exclusive = a.i("exclusive", 0) != 0;
  const bool reverse = a.i("reverse", 0) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new CpuCumKernel(init.node.op_type == "CumProd", exclusive, reverse));
}

}  // namespace onnxrt::kernels
