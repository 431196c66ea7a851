// CPU kernels for element- and slice-indexed gathers and scatters (GatherElements, GatherND,
// ScatterND, ScatterElements, Scatter) and the block rearrangements DepthToSpace/SpaceToDepth.
// No bad index ever reads or writes out of bounds. Scatters validate every index before writing, so
// a bad one leaves no partial output; GatherElements checks its indices as it gathers (a separate
// pass over them took a third of its time) and reports the first bad one after.
#include <algorithm>
#include <atomic>
#include <type_traits>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_tensor_util.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"
#include "kernels/ukernels/elementwise/transpose.h"

namespace onnxrt::kernels::tensor_ops {

using ir::tensor_infer::norm_axis;

namespace {

Status check_index_tensor(KernelContext& ctx, const Tensor& ind) {
  if (ind.dtype() != DType::kInt32 && ind.dtype() != DType::kInt64)
    return ctx.error("indices must be int32 or int64, got " + std::string(dtype_name(ind.dtype())));
  return Status::ok();
}

Status bad_index(KernelContext& ctx, int64_t v, int64_t pos, int64_t dim) {
  return ctx.error("index " + std::to_string(v) + " (at position " + std::to_string(pos) +
                   ") out of range for a dim of size " + std::to_string(dim) + " (expected [" +
                   std::to_string(-dim) + ", " + std::to_string(dim - 1) + "])");
}

template <typename T>
void combine_typed(ScatterReduction r, T* d, const T* u) {
  using A = Arith<T>;
  const auto a = A::load(*d), b = A::load(*u);
  switch (r) {
    case ScatterReduction::kAdd: *d = A::store(static_cast<typename A::type>(a + b)); break;
    case ScatterReduction::kMul: *d = A::store(static_cast<typename A::type>(a * b)); break;
    case ScatterReduction::kMax: *d = A::store(std::max(a, b)); break;
    case ScatterReduction::kMin: *d = A::store(std::min(a, b)); break;
    default: *d = *u; break;
  }
}

// Shape checks shared by GatherElements and ScatterElements: indices has data's rank and, off the
// axis, dims no larger than data's.
Status check_elements_shapes(KernelContext& ctx, const Tensor& x, const Tensor& ind, int64_t ax) {
  if (ind.rank() != x.rank())
    return ctx.error("indices " + shape_to_string(ind.shape()) + " must have the rank of data " +
                     shape_to_string(x.shape()));
  for (int64_t j = 0; j < x.rank(); ++j)
    if (j != ax && ind.dim(j) > x.dim(j))
      return ctx.error("indices " + shape_to_string(ind.shape()) + " exceed data " +
                       shape_to_string(x.shape()) + " at axis " + std::to_string(j));
  return Status::ok();
}

// Every index in [-n, n) for an axis of size n; else an error naming the first one that is not.
Status check_elements_indices(KernelContext& ctx, const Tensor& ind, int64_t n) {
  auto check = [&](const auto* p) -> Status {
    for (int64_t k = 0; k < ind.size(); ++k)
      if (p[k] < -n || p[k] >= n) return bad_index(ctx, p[k], k, n);
    return Status::ok();
  };
  return ind.dtype() == DType::kInt32 ? check(ind.data<int32_t>()) : check(ind.data<int64_t>());
}

// Data offsets (in elements) for every index element of an Elements op, in index order.
void elements_offsets(const Tensor& x, const Tensor& ind, int64_t ax, std::vector<int64_t>& offs) {
  const std::vector<int64_t> xs = contiguous_strides(x.shape());
  const int64_t r = ind.rank(), n = x.dim(ax);
  offs.resize(static_cast<size_t>(ind.size()));
  std::vector<int64_t> idx(static_cast<size_t>(r), 0);
  for (int64_t k = 0; k < ind.size(); ++k) {
    int64_t off = 0;
    for (int64_t j = 0; j < r; ++j)
      if (j != ax) off += idx[static_cast<size_t>(j)] * xs[static_cast<size_t>(j)];
    int64_t v = index_at(ind, k);
    if (v < 0) v += n;
    offs[static_cast<size_t>(k)] = off + v * xs[static_cast<size_t>(ax)];
    for (int64_t j = r - 1; j >= 0; --j) {
      if (++idx[static_cast<size_t>(j)] < ind.dim(j)) break;
      idx[static_cast<size_t>(j)] = 0;
    }
  }
}

// Copies data into the output of a scatter (unless they share storage).
Status copy_data(KernelContext& ctx, const Tensor& x, Tensor& y) {
  if (y.size() != x.size() || y.dtype() != x.dtype()) return ctx.error("output does not match data");
  if (x.raw() == y.raw()) return Status::ok();
  // Split across threads when large: a graph network's index_add copies a 1 MB zero tensor every
  // run, a serial phase during which the other thread would only spin.
  const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
  const auto* src = static_cast<const char*>(x.raw());
  auto* dst = static_cast<char*>(y.raw());
  ctx.threads().parallel_for(x.size(), 1.0, [&](int64_t b, int64_t e) {
    copy_elements(x.dtype(), src + b * es, dst + b * es, e - b);
  });
  return Status::ok();
}

}  // namespace

Status scatter_reduction(KernelContext& ctx, ScatterReduction& r) {
  ir::AttrReader a(ctx.node());
  const std::string s = ctx.node().opset >= 16 ? a.s("reduction", "none") : "none";
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (s == "none") r = ScatterReduction::kNone;
  else if (s == "add") r = ScatterReduction::kAdd;
  else if (s == "mul") r = ScatterReduction::kMul;
  else if (s == "max" && ctx.node().opset >= 18) r = ScatterReduction::kMax;
  else if (s == "min" && ctx.node().opset >= 18) r = ScatterReduction::kMin;
  else return ctx.error("reduction '" + s + "' is not supported at opset " + std::to_string(ctx.node().opset));
  return Status::ok();
}

void scatter_combine(DType t, ScatterReduction r, void* dst, const void* upd) {
  if (r == ScatterReduction::kNone) {
    copy_elements(t, upd, dst, 1);
    return;
  }
  if (t == DType::kBool) {
    auto* d = static_cast<bool*>(dst);
    const bool u = *static_cast<const bool*>(upd);
    // Booleans reduce as logic: add/max = or, mul/min = and.
    if (r == ScatterReduction::kAdd || r == ScatterReduction::kMax) *d = *d || u;
    else *d = *d && u;
    return;
  }
  dispatch_numeric(t, [&]<typename T>() { combine_typed(r, static_cast<T*>(dst), static_cast<const T*>(upd)); });
}

namespace {

// Slices of `slice` elements of u, in index order, applied at data offsets offs (in elements).
// The element type and the reduction are dispatched once per run, not per element (the per-element
// scatter_combine made a GNN's index_add ScatterND of [10000, 128] take 9.6 ms). Duplicate offsets
// apply in index order; the column ranges of large slices go to different threads, which keeps
// that order for every element.
template <typename T>
void scatter_typed(ScatterReduction r, T* d, const T* u, const std::vector<int64_t>& offs, int64_t slice, int64_t c0,
                   int64_t c1) {
  using A = Arith<T>;
  using V = typename A::type;
  auto each = [&](auto&& op) {
    for (size_t k = 0; k < offs.size(); ++k) {
      T* dk = d + offs[k];
      const T* uk = u + static_cast<int64_t>(k) * slice;
      for (int64_t i = c0; i < c1; ++i) dk[i] = op(dk[i], uk[i]);
    }
  };
  if constexpr (std::is_same_v<T, bool>) {
    // Booleans reduce as logic: add/max = or, mul/min = and (as scatter_combine).
    if (r == ScatterReduction::kNone) each([](bool, bool b) { return b; });
    else if (r == ScatterReduction::kAdd || r == ScatterReduction::kMax) each([](bool a, bool b) { return a || b; });
    else each([](bool a, bool b) { return a && b; });
  } else {
    switch (r) {
      case ScatterReduction::kNone: each([](T, T b) { return b; }); break;
      case ScatterReduction::kAdd:
        each([](T a, T b) { return A::store(static_cast<V>(A::load(a) + A::load(b))); });
        break;
      case ScatterReduction::kMul:
        each([](T a, T b) { return A::store(static_cast<V>(A::load(a) * A::load(b))); });
        break;
      case ScatterReduction::kMax: each([](T a, T b) { return A::store(std::max(A::load(a), A::load(b))); }); break;
      case ScatterReduction::kMin: each([](T a, T b) { return A::store(std::min(A::load(a), A::load(b))); }); break;
    }
  }
}

void scatter_slices(DType t, ScatterReduction r, char* d, const char* u, const std::vector<int64_t>& offs,
                    int64_t slice, ThreadPool& pool) {
  auto columns = [&](auto run) {
    // Threads split the columns of each slice (32+ each): worth it only with much work.
    const double work = static_cast<double>(offs.size()) * static_cast<double>(slice);
    if (slice >= 64 && work >= 1 << 16 && pool.num_threads() > 1) {
      const int64_t chunks = std::min<int64_t>(slice / 32, 4 * pool.num_threads());
      pool.run_tasks(chunks, [&](int64_t c) { run(slice * c / chunks, slice * (c + 1) / chunks); });
    } else {
      run(0, slice);
    }
  };
  auto typed = [&]<typename T>() {
    columns([&](int64_t c0, int64_t c1) {
      scatter_typed(r, reinterpret_cast<T*>(d), reinterpret_cast<const T*>(u), offs, slice, c0, c1);
    });
  };
  if (t == DType::kBool) {
    typed.template operator()<bool>();
    return;
  }
  if (dispatch_numeric(t, typed)) return;
  // Other element types (strings, 8-bit floats) take no reduction (reduction_supported): copies.
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  for (size_t k = 0; k < offs.size(); ++k)
    copy_elements(t, u + static_cast<int64_t>(k) * slice * es, d + offs[k] * es, slice);
}

Status reduction_supported(KernelContext& ctx, DType t, ScatterReduction r) {
  if (r == ScatterReduction::kNone) return Status::ok();
  if (t == DType::kBool) return Status::ok();
  bool numeric = dispatch_numeric(t, []<typename T>() {});
  if (!numeric)
    return ctx.error("reduction is not supported for element type " + std::string(dtype_name(t)));
  return Status::ok();
}
}  // namespace

Status gather_elements_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* ip = ctx.input(1);
  Tensor* yp = ctx.output(0);
  if (!xp || !ip || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  const Tensor& ind = *ip;
  ONNXRT_RETURN_IF_ERROR(check_index_tensor(ctx, ind));
  if (elem_bytes(x.dtype()) == 0)
    return ctx.error("element type " + std::string(dtype_name(x.dtype())) + " is not supported yet");
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  auto ax = norm_axis(axis, x.rank());
  if (!ax) return ctx.error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(x.rank()));
  ONNXRT_RETURN_IF_ERROR(check_elements_shapes(ctx, x, ind, *ax));
  if (yp->size() != ind.size()) return ctx.error("output does not match indices");
  if (ind.size() == 0) return Status::ok();
  // An empty axis has no element 0 for a bad index to read: every index is out of range.
  if (x.dim(*ax) == 0) return check_elements_indices(ctx, ind, 0);
  // Rows of the innermost index dim: the data offset of a row start, then a fixed step.
  const int64_t r = ind.rank();
  const std::vector<int64_t> xs = contiguous_strides(x.shape());
  const int64_t L = r == 0 ? 1 : ind.dim(r - 1);
  const int64_t rows = ind.size() / L;
  const int64_t n = x.dim(*ax);
  const int64_t step = (r == 0 || *ax == r - 1) ? 0 : xs[static_cast<size_t>(r - 1)];
  const int64_t axs = xs[static_cast<size_t>(*ax)];
  const int64_t es = static_cast<int64_t>(elem_bytes(x.dtype()));
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(yp->raw());
  // Per row: the data offset of its start (the indices' outer position off the axis).
  auto row_base = [&](int64_t row) {
    int64_t lin = row, base = 0;
    for (int64_t j = r - 2; j >= 0; --j) {
      const int64_t i = lin % ind.dim(j);
      lin /= ind.dim(j);
      if (j != *ax) base += i * xs[static_cast<size_t>(j)];
    }
    return base;
  };
  // Plain element types move as integers of their size with the index type known: a detection
  // head's [1, 100, 85] gather from [1, 4800, 85] took 0.08 ms through a type switch and a
  // memcpy per element (onnxruntime 0.025). An index outside [-n, n) reads element 0 instead and
  // is reported after the gather; the innermost axis (DeBERTa's relative-position gathers) gets a
  // loop of its own without the strides.
  std::atomic<bool> bad{false};
  auto typed = [&](auto elem, auto index) {
    using E = decltype(elem);
    using I = decltype(index);
    const E* xe = reinterpret_cast<const E*>(src);
    E* ye = reinterpret_cast<E*>(dst);
    const I* id = ind.data<I>();
    const auto un = static_cast<uint64_t>(n);
    ctx.threads().parallel_for(rows, static_cast<double>(L), [&](int64_t b, int64_t e) {
      uint64_t out_of_range = 0;
      for (int64_t row = b; row < e; ++row) {
        const I* ir = id + row * L;
        E* yr = ye + row * L;
        // Negative indices count from the end; branch-free, since mixed signs mispredict.
        auto wrap = [&](int64_t i) {
          const auto v = static_cast<uint64_t>(i + (n & (i >> 63)));
          out_of_range |= static_cast<uint64_t>(v >= un);
          return static_cast<int64_t>(v < un ? v : 0);
        };
        if constexpr (sizeof(E) == 4 && std::is_same_v<I, int64_t>) {
          if (step == 0 && axs == 1) {
            static const ew::GatherIndexedFn gather = ew::gather_indexed_32bit_ukernel();
            out_of_range |= gather(xe + row_base(row), n, ir, yr, L);
            continue;
          }
        }
        if (step == 0 && axs == 1) {
          const E* xr = xe + row_base(row);
          for (int64_t t = 0; t < L; ++t) yr[t] = xr[wrap(ir[t])];
        } else {
          const int64_t base = row_base(row);
          for (int64_t t = 0; t < L; ++t) yr[t] = xe[base + t * step + wrap(ir[t]) * axs];
        }
      }
      if (out_of_range) bad.store(true, std::memory_order_relaxed);
    });
  };
  auto by_index = [&](auto elem) {
    if (ind.dtype() == DType::kInt32) return typed(elem, int32_t{});
    return typed(elem, int64_t{});
  };
  if (x.dtype() != DType::kString) {
    switch (es) {
      case 1: by_index(uint8_t{}); break;
      case 2: by_index(uint16_t{}); break;
      case 4: by_index(uint32_t{}); break;
      case 8: by_index(uint64_t{}); break;
      default: break;
    }
    if (es == 1 || es == 2 || es == 4 || es == 8)
      return bad.load() ? check_elements_indices(ctx, ind, n) : Status::ok();
  }
  ONNXRT_RETURN_IF_ERROR(check_elements_indices(ctx, ind, n));
  ctx.threads().parallel_for(rows, static_cast<double>(L), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t base = row_base(row);
      for (int64_t t = 0; t < L; ++t) {
        int64_t v = index_at(ind, row * L + t);
        if (v < 0) v += n;
        const int64_t off = base + t * step + v * axs;
        copy_elements(x.dtype(), src + off * es, dst + (row * L + t) * es, 1);
      }
    }
  });
  return Status::ok();
}

namespace {

// GatherND/ScatterND geometry: data [batch dims (b)] [indexed dims (k)] [slice dims].
struct NdGeometry {
  int64_t batch = 1;      // product of the first b data dims
  int64_t tuples = 1;     // index tuples per batch
  int64_t k = 0;          // entries per tuple
  int64_t slice = 1;      // elements per gathered/scattered slice
  int64_t batch_stride = 0;  // data elements per batch
  std::vector<int64_t> dims, strides;  // of the k indexed dims (strides in elements)
};

Status nd_geometry(KernelContext& ctx, const Tensor& x, const Tensor& ind, int64_t b, NdGeometry& g) {
  if (ind.rank() < 1) return ctx.error("indices must have rank >= 1");
  g.k = ind.dim(ind.rank() - 1);
  if (b < 0 || b >= std::min(x.rank(), ind.rank()))
    return ctx.error("batch_dims " + std::to_string(b) + " out of range");
  if (g.k < 0 || b + g.k > x.rank())
    return ctx.error("indices last dim " + std::to_string(g.k) + " too large for data " +
                     shape_to_string(x.shape()));
  for (int64_t i = 0; i < b; ++i) {
    if (ind.dim(i) != x.dim(i))
      return ctx.error("batch dim " + std::to_string(i) + " differs between data " +
                       shape_to_string(x.shape()) + " and indices " + shape_to_string(ind.shape()));
    g.batch *= x.dim(i);
  }
  for (int64_t i = b; i < ind.rank() - 1; ++i) g.tuples *= ind.dim(i);
  for (int64_t i = b + g.k; i < x.rank(); ++i) g.slice *= x.dim(i);
  g.dims.assign(x.shape().begin() + b, x.shape().begin() + b + g.k);
  g.strides.resize(static_cast<size_t>(g.k));
  int64_t acc = g.slice;
  for (int64_t i = g.k - 1; i >= 0; --i) {
    g.strides[static_cast<size_t>(i)] = acc;
    acc *= g.dims[static_cast<size_t>(i)];
  }
  g.batch_stride = acc;
  return Status::ok();
}

// Data offsets of every tuple's slice, in index order (batch-major), after validating indices.
Status nd_offsets(KernelContext& ctx, const Tensor& ind, const NdGeometry& g, std::vector<int64_t>& offs) {
  offs.resize(static_cast<size_t>(g.batch * g.tuples));
  for (int64_t t = 0; t < g.batch * g.tuples; ++t) {
    int64_t off = (t / std::max<int64_t>(g.tuples, 1)) * g.batch_stride;
    for (int64_t j = 0; j < g.k; ++j) {
      int64_t v = index_at(ind, t * g.k + j);
      const int64_t d = g.dims[static_cast<size_t>(j)];
      if (v < -d || v >= d) return bad_index(ctx, v, t * g.k + j, d);
      if (v < 0) v += d;
      off += v * g.strides[static_cast<size_t>(j)];
    }
    offs[static_cast<size_t>(t)] = off;
  }
  return Status::ok();
}

}  // namespace

Status gather_nd_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* ip = ctx.input(1);
  Tensor* yp = ctx.output(0);
  if (!xp || !ip || !yp) return ctx.error("missing input or output");
  ONNXRT_RETURN_IF_ERROR(check_index_tensor(ctx, *ip));
  if (elem_bytes(xp->dtype()) == 0)
    return ctx.error("element type " + std::string(dtype_name(xp->dtype())) + " is not supported yet");
  ir::AttrReader a(ctx.node());
  const int64_t b = ctx.node().opset >= 12 ? a.i("batch_dims", 0) : 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  NdGeometry g;
  ONNXRT_RETURN_IF_ERROR(nd_geometry(ctx, *xp, *ip, b, g));
  if (yp->size() != g.batch * g.tuples * g.slice) return ctx.error("output size does not match");
  std::vector<int64_t> offs;
  ONNXRT_RETURN_IF_ERROR(nd_offsets(ctx, *ip, g, offs));
  const int64_t es = static_cast<int64_t>(elem_bytes(xp->dtype()));
  const char* src = static_cast<const char*>(xp->raw());
  char* dst = static_cast<char*>(yp->raw());
  ctx.threads().parallel_for(static_cast<int64_t>(offs.size()), static_cast<double>(g.slice),
                             [&](int64_t s, int64_t e) {
                               for (int64_t t = s; t < e; ++t)
                                 copy_elements(xp->dtype(), src + offs[static_cast<size_t>(t)] * es,
                                               dst + t * g.slice * es, g.slice);
                             });
  return Status::ok();
}

Status scatter_nd_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* ip = ctx.input(1);
  const Tensor* up = ctx.input(2);
  Tensor* yp = ctx.output(0);
  if (!xp || !ip || !up || !yp) return ctx.error("missing input or output");
  ONNXRT_RETURN_IF_ERROR(check_index_tensor(ctx, *ip));
  const DType t = xp->dtype();
  if (elem_bytes(t) == 0) return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported yet");
  if (up->dtype() != t) return ctx.error("updates type differs from data type");
  ScatterReduction red;
  ONNXRT_RETURN_IF_ERROR(scatter_reduction(ctx, red));
  ONNXRT_RETURN_IF_ERROR(reduction_supported(ctx, t, red));
  NdGeometry g;
  ONNXRT_RETURN_IF_ERROR(nd_geometry(ctx, *xp, *ip, 0, g));
  if (up->size() != g.tuples * g.slice)
    return ctx.error("updates " + shape_to_string(up->shape()) + " must have " +
                     std::to_string(g.tuples * g.slice) + " elements (indices.shape[:-1] + data.shape[k:])");
  std::vector<int64_t> offs;
  ONNXRT_RETURN_IF_ERROR(nd_offsets(ctx, *ip, g, offs));
  ONNXRT_RETURN_IF_ERROR(copy_data(ctx, *xp, *yp));
  const char* u = static_cast<const char*>(up->raw());
  char* d = static_cast<char*>(yp->raw());
  scatter_slices(t, red, d, u, offs, g.slice, ctx.threads());
  return Status::ok();
}

Status scatter_elements_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* ip = ctx.input(1);
  const Tensor* up = ctx.input(2);
  Tensor* yp = ctx.output(0);
  if (!xp || !ip || !up || !yp) return ctx.error("missing input or output");
  ONNXRT_RETURN_IF_ERROR(check_index_tensor(ctx, *ip));
  const DType t = xp->dtype();
  if (elem_bytes(t) == 0) return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported yet");
  if (up->dtype() != t) return ctx.error("updates type differs from data type");
  if (up->shape() != ip->shape())
    return ctx.error("updates " + shape_to_string(up->shape()) + " must have the shape of indices " +
                     shape_to_string(ip->shape()));
  ScatterReduction red = ScatterReduction::kNone;
  if (ctx.node().op_type == "ScatterElements") ONNXRT_RETURN_IF_ERROR(scatter_reduction(ctx, red));
  ONNXRT_RETURN_IF_ERROR(reduction_supported(ctx, t, red));
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  auto ax = norm_axis(axis, xp->rank());
  if (!ax) return ctx.error("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(xp->rank()));
  ONNXRT_RETURN_IF_ERROR(check_elements_shapes(ctx, *xp, *ip, *ax));
  ONNXRT_RETURN_IF_ERROR(check_elements_indices(ctx, *ip, xp->dim(*ax)));
  ONNXRT_RETURN_IF_ERROR(copy_data(ctx, *xp, *yp));
  std::vector<int64_t> offs;
  elements_offsets(*xp, *ip, *ax, offs);
  scatter_slices(t, red, static_cast<char*>(yp->raw()), static_cast<const char*>(up->raw()), offs, 1, ctx.threads());
  return Status::ok();
}

namespace {

Status space_depth_common(KernelContext& ctx, bool to_space) {
  const Tensor* xp = ctx.input(0);
  Tensor* yp = ctx.output(0);
  if (!xp || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  if (elem_bytes(x.dtype()) == 0)
    return ctx.error("element type " + std::string(dtype_name(x.dtype())) + " is not supported yet");
  ir::AttrReader a(ctx.node());
  const int64_t bs = a.i("blocksize", 0);
  const std::string mode = a.s("mode", "DCR");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (x.rank() != 4 || bs <= 0) return ctx.error("needs a 4-D input and a positive blocksize");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const bool crd = mode == "CRD";
  Shape dims;
  std::vector<int64_t> st;
  if (to_space) {
    if (C % (bs * bs) != 0) return ctx.error("channels not divisible by blocksize^2");
    const int64_t c = C / (bs * bs);
    if (!crd) {  // view (N, bs, bs, c, H, W), perm [0, 3, 4, 1, 5, 2]
      const std::vector<int64_t> s = {C * H * W, bs * c * H * W, c * H * W, H * W, W, 1};
      dims = {N, c, H, bs, W, bs};
      st = {s[0], s[3], s[4], s[1], s[5], s[2]};
    } else {  // view (N, c, bs, bs, H, W), perm [0, 1, 4, 2, 5, 3]
      const std::vector<int64_t> s = {C * H * W, bs * bs * H * W, bs * H * W, H * W, W, 1};
      dims = {N, c, H, bs, W, bs};
      st = {s[0], s[1], s[4], s[2], s[5], s[3]};
    }
  } else {
    if (H % bs != 0 || W % bs != 0) return ctx.error("height or width not divisible by blocksize");
    // view (N, C, H/bs, bs, W/bs, bs)
    const std::vector<int64_t> s = {C * H * W, H * W, bs * W, W, bs, 1};
    if (!crd) {  // perm [0, 3, 5, 1, 2, 4]
      dims = {N, bs, bs, C, H / bs, W / bs};
      st = {s[0], s[3], s[5], s[1], s[2], s[4]};
    } else {  // perm [0, 1, 3, 5, 2, 4]
      dims = {N, C, bs, bs, H / bs, W / bs};
      st = {s[0], s[1], s[3], s[5], s[2], s[4]};
    }
  }
  if (shape_size(dims) != yp->size()) return ctx.error("output size does not match");
  strided_copy(x.dtype(), x.raw(), yp->raw(), dims, st, &ctx.threads());
  return Status::ok();
}

}  // namespace

Status depth_to_space_kernel(KernelContext& ctx) { return space_depth_common(ctx, true); }
Status space_to_depth_kernel(KernelContext& ctx) { return space_depth_common(ctx, false); }

}  // namespace onnxrt::kernels::tensor_ops
