// Reduce* on the CPU.
//
// The input shape is first coalesced: size-1 dims dropped, neighbouring dims of the same kind
// (kept / reduced) merged. What remains ends either in a reduced run (case A: each output folds
// contiguous rows, e.g. ReduceMean over the last axis, or over H,W of NCHW, which is how
// AdaptiveAvgPool2d(1) exports) or in a kept run (case B: each block of contiguous outputs folds
// rows across the reduced axes, vectorized over the kept inner elements). Both thread over
// independent outputs; a single whole-tensor reduction is split into partial rows instead.
//
// float32 Sum/Mean/SumSquare/L1/L2/LogSum/Max/Min run on the ISA microkernels
// (ukernels/reduce), accumulating in float32: rows by pairwise summation (see ukernels.h), columns
// by blocked summation (128 rows into a partial row, partial rows into the result), keeping the
// error growth at O(eps * (R/128 + 128)) instead of O(eps * R) without extra passes over memory.
// The other types and ops use templates: double in double, halves in float, integers in 64 bits.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "base/thread_pool.h"
#include "kernels/cpu/reduce_common.h"
#include "kernels/ukernels/reduce/ukernels.h"

namespace onnxrt::kernels {

namespace {

using namespace reduce;

struct Layout {
  bool inner_reduced = false;
  int64_t L = 1;                         // the innermost coalesced run
  std::vector<int64_t> kdims, kstrides;  // kept dims outside the inner run
  std::vector<int64_t> rdims, rstrides;  // reduced dims outside the inner run
  int64_t units = 1, count = 1, nout = 1, table = 1;
};

Layout make_layout(const Shape& s, const std::vector<bool>& mask) {
  std::vector<std::pair<int64_t, bool>> d;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 1) continue;
    if (!d.empty() && d.back().second == mask[i]) d.back().first *= s[i];
    else d.push_back({s[i], mask[i]});
  }
  if (d.empty()) d.push_back({1, false});
  std::vector<int64_t> stride(d.size());
  int64_t st = 1;
  for (size_t i = d.size(); i-- > 0;) {
    stride[i] = st;
    st *= d[i].first;
  }
  Layout lay;
  lay.inner_reduced = d.back().second;
  lay.L = d.back().first;
  for (size_t i = 0; i + 1 < d.size(); ++i) {
    if (d[i].second) {
      lay.rdims.push_back(d[i].first);
      lay.rstrides.push_back(stride[i]);
      lay.table *= d[i].first;
    } else {
      lay.kdims.push_back(d[i].first);
      lay.kstrides.push_back(stride[i]);
      lay.units *= d[i].first;
    }
  }
  lay.count = lay.table * (lay.inner_reduced ? lay.L : 1);
  lay.nout = lay.units * (lay.inner_reduced ? 1 : lay.L);
  return lay;
}

void fill_offsets(const Layout& lay, int64_t* off) {
  const size_t r = lay.rdims.size();
  std::vector<int64_t> c(r, 0);
  int64_t o = 0;
  for (int64_t t = 0; t < lay.table; ++t) {
    off[t] = o;
    for (size_t k = r; k-- > 0;) {
      o += lay.rstrides[k];
      if (++c[k] < lay.rdims[k]) break;
      o -= lay.rstrides[k] * lay.rdims[k];
      c[k] = 0;
    }
  }
}

inline int64_t unit_base(const Layout& lay, int64_t u) {
  int64_t b = 0;
  for (size_t k = lay.kdims.size(); k-- > 0;) {
    b += (u % lay.kdims[k]) * lay.kstrides[k];
    u /= lay.kdims[k];
  }
  return b;
}

// ---- folds: how one element enters an accumulator and how accumulators combine

enum class Fold { kSum, kSq, kAbs, kProd, kMax, kMin };

template <class A>
inline bool is_nan(A v) {
  return v != v;
}

template <class T, class A, Fold F>
struct Folder {
  bool sum_like() const { return F == Fold::kSum || F == Fold::kSq || F == Fold::kAbs; }
  A init() const {
    if constexpr (F == Fold::kProd) return A(1);
    else if constexpr (F == Fold::kMax || F == Fold::kMin) {
      constexpr bool mx = F == Fold::kMax;
      if constexpr (kIsFloat<T>) return mx ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
      else if constexpr (std::is_same_v<T, bool>) return mx ? A(0) : A(1);
      else return static_cast<A>(mx ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max());
    } else return A(0);
  }
  static A map(A v) {
    if constexpr (F == Fold::kSq) return v * v;
    else if constexpr (F == Fold::kAbs && std::is_signed_v<A>) return v < 0 ? -v : v;
    else return v;
  }
  static A comb(A a, A b) {
    if constexpr (F == Fold::kProd) return a * b;
    else if constexpr (F == Fold::kMax) return is_nan(a) ? a : (is_nan(b) || b > a) ? b : a;
    else if constexpr (F == Fold::kMin) return is_nan(a) ? a : (is_nan(b) || b < a) ? b : a;
    else return a + b;
  }
  A row(const T* x, int64_t n) const {
    A lanes[8];
    for (A& l : lanes) l = init();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j) lanes[j] = comb(lanes[j], map(static_cast<A>(widen(x[i + j]))));
    A a = init();
    for (; i < n; ++i) a = comb(a, map(static_cast<A>(widen(x[i]))));
    for (A l : lanes) a = comb(a, l);
    return a;
  }
  void col(A* acc, const T* x, int64_t n) const {
    for (int64_t j = 0; j < n; ++j) acc[j] = comb(acc[j], map(static_cast<A>(widen(x[j]))));
  }
};

// float32 on the microkernels.
struct F32Folder {
  red::RowOp op;
  const red::F32Ukernels* uk;
  bool sum_like() const { return op != red::RowOp::kMax && op != red::RowOp::kMin; }
  float init() const {
    return op == red::RowOp::kMax   ? -std::numeric_limits<float>::infinity()
           : op == red::RowOp::kMin ? std::numeric_limits<float>::infinity()
                                    : 0.0f;
  }
  float comb(float a, float b) const {
    if (op == red::RowOp::kMax) return is_nan(a) ? a : (is_nan(b) || b > a) ? b : a;
    if (op == red::RowOp::kMin) return is_nan(a) ? a : (is_nan(b) || b < a) ? b : a;
    return a + b;
  }
  float row(const float* x, int64_t n) const { return uk->row(op, x, n); }
  void col(float* acc, const float* x, int64_t n) const { uk->col(op, acc, x, n); }
};

constexpr int64_t kColChunk = 512;
constexpr int64_t kBlockRows = 128;

// Folds x into acc[0, nout) according to the layout. `off` holds lay.table offsets.
template <class T, class A, class Fd>
void fold(const Layout& lay, const int64_t* off, const T* x, A* acc, const Fd& f, ThreadPool& pool) {
  if (lay.inner_reduced) {
    const int64_t L = lay.L;
    if (lay.units == 1 && lay.table == 1 && L >= (1 << 18)) {
      // One long row: partial folds over fixed 32K-element chunks, combined in order. The chunks
      // do not depend on the pool's size (and are used with one thread too), so the result is
      // bitwise the same for any thread count; it once took threads * 4 parts and 1 and 2
      // threads disagreed in the last bits (benchmarks/reliability/determinism.py).
      constexpr int64_t chunk = int64_t{1} << 15;
      const int64_t parts = (L + chunk - 1) / chunk;
      std::vector<A> partial(static_cast<size_t>(parts));
      pool.run_tasks(parts, [&](int64_t p) {
        const int64_t b = p * chunk, e = std::min(L, b + chunk);
        partial[static_cast<size_t>(p)] = b < e ? f.row(x + b, e - b) : f.init();
      });
      // Partials combined pairwise, as the row kernels combine their blocks: added in order, the
      // 128 partials of a 4M-element row drifted 1.6e-6 relative with the scalar kernels.
      for (size_t m = partial.size(); m > 1; m = (m + 1) / 2) {
        for (size_t i = 0; i < m / 2; ++i) partial[i] = f.comb(partial[2 * i], partial[2 * i + 1]);
        if (m % 2) partial[m / 2] = partial[m - 1];
      }
      acc[0] = partial.empty() ? f.init() : partial[0];
      return;
    }
    pool.parallel_for(lay.units, static_cast<double>(lay.count), [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        const T* xb = x + unit_base(lay, u);
        A a = f.row(xb + off[0], L);
        for (int64_t t = 1; t < lay.table; ++t) a = f.comb(a, f.row(xb + off[t], L));
        acc[u] = a;
      }
    });
    return;
  }
  const int64_t L = lay.L;
  if constexpr (std::is_same_v<Fd, F32Folder>) {
    if (red::cols_takes(*f.uk, L)) {  // runs of at most 8 vectors: folded in registers
      pool.parallel_for(lay.units, static_cast<double>(lay.table * L), [&](int64_t u0, int64_t u1) {
        for (int64_t u = u0; u < u1; ++u) f.uk->cols(f.op, acc + u * L, x + unit_base(lay, u), off, lay.table, L);
      });
      return;
    }
  }
  // Short kept rows read back to back (the channel-blocked layout's [N, C/8, H*W, 8] reduced over
  // H*W): one col() call per 8-float row cost more than the adds. Fold super-rows of m rows
  // (m*L <= kColChunk floats) into m*L partial results instead, then the m partials into L.
  const int64_t m = kColChunk / std::max<int64_t>(L, 1);
  bool back_to_back = L <= 64 && lay.table >= 4 * m;
  for (int64_t t = 1; back_to_back && t < lay.table; ++t) back_to_back = off[t] == off[0] + t * L;
  if (back_to_back) {
    const int64_t W = m * L, full = lay.table / m;
    pool.parallel_for(lay.units, static_cast<double>(lay.table * L), [&](int64_t u0, int64_t u1) {
      A part[kColChunk], sum[kColChunk];
      for (int64_t u = u0; u < u1; ++u) {
        const T* xb = x + unit_base(lay, u) + off[0];
        A* out = acc + u * L;
        // Sums in blocks of kBlockRows super-rows, as the column path does, for accuracy.
        std::fill(sum, sum + W, f.init());
        for (int64_t r0 = 0; r0 < full; r0 += kBlockRows) {
          std::fill(part, part + W, f.init());
          for (int64_t r = r0; r < std::min(full, r0 + kBlockRows); ++r) f.col(part, xb + r * W, W);
          for (int64_t j = 0; j < W; ++j) sum[j] = f.comb(sum[j], part[j]);
        }
        std::fill(out, out + L, f.init());
        for (int64_t g = 0; g < m; ++g)
          for (int64_t j = 0; j < L; ++j) out[j] = f.comb(out[j], sum[g * L + j]);
        for (int64_t t = full * m; t < lay.table; ++t) f.col(out, xb + t * L, L);
      }
    });
    return;
  }
  const int64_t nchunks = (L + kColChunk - 1) / kColChunk;
  pool.parallel_for(lay.units * nchunks, static_cast<double>(lay.table * std::min(L, kColChunk)),
                    [&](int64_t t0, int64_t t1) {
    A part[kColChunk];
    for (int64_t task = t0; task < t1; ++task) {
      const int64_t u = task / nchunks, j0 = (task % nchunks) * kColChunk;
      const int64_t w = std::min(kColChunk, L - j0);
      A* out = acc + u * L + j0;
      const T* xb = x + unit_base(lay, u) + j0;
      std::fill(out, out + w, f.init());
      if (!f.sum_like() || lay.table <= kBlockRows) {
        for (int64_t t = 0; t < lay.table; ++t) f.col(out, xb + off[t], w);
        continue;
      }
      for (int64_t tb = 0; tb < lay.table; tb += kBlockRows) {
        std::fill(part, part + w, f.init());
        const int64_t te = std::min(lay.table, tb + kBlockRows);
        for (int64_t t = tb; t < te; ++t) f.col(part, xb + off[t], w);
        for (int64_t j = 0; j < w; ++j) out[j] += part[j];
      }
    }
  });
}

// log(sum(exp(x - m))) per output, m from a Max fold; m = +-inf or NaN passes through.
template <class T, class C>
void fold_lse(const Layout& lay, const int64_t* off, const T* x, const C* m, C* s, ThreadPool& pool) {
  const int64_t L = lay.L;
  pool.parallel_for(lay.units, static_cast<double>(lay.count * (lay.inner_reduced ? 1 : L)) * 8,
                    [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const T* xb = x + unit_base(lay, u);
      if (lay.inner_reduced) {
        C a = 0;
        for (int64_t t = 0; t < lay.table; ++t)
          for (int64_t j = 0; j < L; ++j) a += std::exp(static_cast<C>(widen(xb[off[t] + j])) - m[u]);
        s[u] = a;
      } else {
        C* out = s + u * L;
        const C* mu = m + u * L;
        std::fill(out, out + L, C(0));
        for (int64_t t = 0; t < lay.table; ++t)
          for (int64_t j = 0; j < L; ++j) out[j] += std::exp(static_cast<C>(widen(xb[off[t] + j])) - mu[j]);
      }
    }
  });
}

Fold fold_of(ReduceKind k) {
  switch (k) {
    case ReduceKind::kL1: return Fold::kAbs;
    case ReduceKind::kL2:
    case ReduceKind::kSumSquare: return Fold::kSq;
    case ReduceKind::kProd: return Fold::kProd;
    case ReduceKind::kMax:
    case ReduceKind::kLogSumExp: return Fold::kMax;
    case ReduceKind::kMin: return Fold::kMin;
    default: return Fold::kSum;
  }
}

template <class T, class A>
T finish(ReduceKind k, A a, int64_t count) {
  switch (k) {
    case ReduceKind::kMean:
      if constexpr (std::is_floating_point_v<A>) return narrow<T>(a / static_cast<A>(count));
      else return narrow<T>(count > 0 ? a / static_cast<A>(count) : A(0));
    case ReduceKind::kL2:
      if constexpr (std::is_floating_point_v<A>) return narrow<T>(std::sqrt(a));
      else return narrow<T>(std::sqrt(static_cast<double>(a)));
    case ReduceKind::kLogSum:
      if constexpr (std::is_floating_point_v<A>) return narrow<T>(std::log(a));
      else return narrow<T>(std::log(static_cast<double>(a)));
    default: return narrow<T>(a);
  }
}

template <class T>
using CpuAcc = std::conditional_t<std::is_same_v<T, double>, double,
               std::conditional_t<kIsFloat<T>, float,
               std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>>;

template <class T>
Status reduce_typed(KernelContext& ctx, ReduceKind kind, const Layout& lay, const int64_t* off,
                    const T* x, T* y) {
  using A = CpuAcc<T>;
  ThreadPool& pool = ctx.threads();
  if constexpr (std::is_same_v<T, float>) {
    if (kind != ReduceKind::kProd && kind != ReduceKind::kLogSumExp) {
      const red::RowOp op = kind == ReduceKind::kMax ? red::RowOp::kMax
                            : kind == ReduceKind::kMin ? red::RowOp::kMin
                            : kind == ReduceKind::kL1 ? red::RowOp::kAbsSum
                            : (kind == ReduceKind::kL2 || kind == ReduceKind::kSumSquare) ? red::RowOp::kSumSq
                                                                                          : red::RowOp::kSum;
      fold(lay, off, x, y, F32Folder{op, &red::f32_ukernels()}, pool);
      if (kind == ReduceKind::kMean || kind == ReduceKind::kL2 || kind == ReduceKind::kLogSum)
        for (int64_t o = 0; o < lay.nout; ++o) y[o] = finish<float>(kind, y[o], lay.count);
      return Status::ok();
    }
  }
  A* acc = static_cast<A*>(ctx.scratch(static_cast<size_t>(lay.nout) * sizeof(A) + 64));
  if (kind == ReduceKind::kLogSumExp) {
    using C = std::conditional_t<std::is_floating_point_v<A>, A, double>;
    C* m = static_cast<C*>(ctx.scratch(static_cast<size_t>(lay.nout) * sizeof(C) + 64));
    C* s = static_cast<C*>(ctx.scratch(static_cast<size_t>(lay.nout) * sizeof(C) + 64));
    fold(lay, off, x, acc, Folder<T, A, Fold::kMax>{}, pool);
    for (int64_t o = 0; o < lay.nout; ++o) m[o] = static_cast<C>(acc[o]);
    if constexpr (std::is_floating_point_v<A>) {
      // A finite shift keeps exp in range; an infinite or NaN max is the answer itself.
      for (int64_t o = 0; o < lay.nout; ++o)
        if (!std::isfinite(m[o])) m[o] = 0;
    }
    fold_lse(lay, off, x, m, s, pool);
    for (int64_t o = 0; o < lay.nout; ++o) {
      const C mx = static_cast<C>(acc[o]);
      y[o] = narrow<T>(std::isfinite(mx) ? m[o] + std::log(s[o]) : mx);
    }
    return Status::ok();
  }
  switch (fold_of(kind)) {
    case Fold::kSum: fold(lay, off, x, acc, Folder<T, A, Fold::kSum>{}, pool); break;
    case Fold::kSq: fold(lay, off, x, acc, Folder<T, A, Fold::kSq>{}, pool); break;
    case Fold::kAbs: fold(lay, off, x, acc, Folder<T, A, Fold::kAbs>{}, pool); break;
    case Fold::kProd: fold(lay, off, x, acc, Folder<T, A, Fold::kProd>{}, pool); break;
    case Fold::kMax: fold(lay, off, x, acc, Folder<T, A, Fold::kMax>{}, pool); break;
    case Fold::kMin: fold(lay, off, x, acc, Folder<T, A, Fold::kMin>{}, pool); break;
  }
  for (int64_t o = 0; o < lay.nout; ++o) y[o] = finish<T>(kind, acc[o], lay.count);
  return Status::ok();
}

class CpuReduceKernel final : public Kernel {
 public:
  explicit CpuReduceKernel(ReduceAttrs a) : a_(std::move(a)) {}
  const char* variant() const override { return red::f32_ukernels().isa; }
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y) return ctx.error("data and reduced are required");
    ONNXRT_ASSIGN_OR_RETURN(std::vector<bool> mask, reduced_axes(ctx, a_, x->rank()));
    ONNXRT_RETURN_IF_ERROR(check_reduce_output(ctx, x->shape(), mask, a_.keepdims, *y));
    if (y->dtype() != x->dtype()) return ctx.error("reduced must have the type of data");
    const bool bool_ok = a_.kind == ReduceKind::kMax || a_.kind == ReduceKind::kMin;
    return dispatch_numeric(ctx, x->dtype(), bool_ok, [&](auto tag) -> Status {
      using T = decltype(tag);
      if (y->size() == 0) return Status::ok();
      Shape s = x->shape();
      if (x->size() == 0) {
        // Every output reduces an empty set (its kept dims are non-zero, so a reduced one is 0):
        // the fold's identity, finished (Sum 0, Max -inf, LogSum log 0 = -inf, Mean NaN).
        T v{};
        using A = CpuAcc<T>;
        switch (a_.kind) {
          case ReduceKind::kMax:
          case ReduceKind::kLogSumExp: v = narrow<T>(Folder<T, A, Fold::kMax>{}.init()); break;
          case ReduceKind::kMin: v = narrow<T>(Folder<T, A, Fold::kMin>{}.init()); break;
          case ReduceKind::kProd: v = narrow<T>(A(1)); break;
          default: v = finish<T>(a_.kind, A(0), 0); break;
        }
        std::fill(y->data<T>(), y->data<T>() + y->size(), v);
        return Status::ok();
      }
      const Layout lay = make_layout(s, mask);
      int64_t* off = static_cast<int64_t*>(ctx.scratch(static_cast<size_t>(lay.table) * sizeof(int64_t) + 64));
      fill_offsets(lay, off);
      return reduce_typed<T>(ctx, a_.kind, lay, off, x->data<T>(), y->data<T>());
    });
  }

 private:
  ReduceAttrs a_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_reduce(const KernelInit& init) {
  ONNXRT_ASSIGN_OR_RETURN(ReduceAttrs a, read_reduce_attrs(init));
  return std::unique_ptr<Kernel>(new CpuReduceKernel(std::move(a)));
}

}  // namespace onnxrt::kernels
