// Einsum. The reference is one summation loop over every label. The CPU kernel (float32) turns
// the equation into a chain of pairwise contractions, left to right: each operand first takes its
// diagonals (repeated labels) and sums out labels nothing else needs; each pair is then laid out
// as [batch, free, contracted] x [batch, contracted, free] with one strided copy per side and
// multiplied with sgemm per batch entry. Size-1 dims broadcast against larger ones (numpy's rule
// for the dims of an ellipsis) through zero strides in those copies. Other element types use the
// summation loop.
#include <algorithm>
#include <map>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_tensor_einsum.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"

namespace onnxrt::kernels::tensor_ops {
namespace {

struct Parsed {
  ir::einsum::Equation eq;
  std::map<int, int64_t> size;  // broadcast size of each label
};

Status parse_node(KernelContext& ctx, Parsed& p) {
  ir::AttrReader a(ctx.node());
  const std::string eq = a.s("equation", "");
  ONNXRT_RETURN_IF_ERROR(a.status());
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.input(i)) return ctx.error("input " + std::to_string(i) + " is missing");
    ranks.push_back(ctx.input(i)->rank());
  }
  auto parsed = ir::einsum::parse(eq, ranks);
  if (!parsed) return ctx.error(parsed.status().message());
  p.eq = std::move(*parsed);
  for (size_t i = 0; i < p.eq.inputs.size(); ++i) {
    const Tensor& t = *ctx.input(i);
    for (size_t d = 0; d < p.eq.inputs[i].size(); ++d) {
      const int l = p.eq.inputs[i][d];
      const int64_t s = t.dim(static_cast<int64_t>(d));
      // A label repeated within one operand takes a diagonal: its dims must agree exactly.
      for (size_t e = 0; e < d; ++e)
        if (p.eq.inputs[i][e] == l && t.dim(static_cast<int64_t>(e)) != s)
          return ctx.error("input " + std::to_string(i) + " " + shape_to_string(t.shape()) +
                           " repeats a label over dims of different sizes");
      auto it = p.size.find(l);
      if (it == p.size.end() || it->second == 1) {
        p.size[l] = s;
      } else if (s != 1 && s != it->second) {
        return ctx.error("equation label has size " + std::to_string(it->second) + " and " +
                         std::to_string(s) + " in different places");
      }
    }
  }
  Tensor* y = ctx.output(0);
  if (!y) return ctx.error("missing output");
  if (y->rank() != static_cast<int64_t>(p.eq.output.size())) return ctx.error("output rank does not match the equation");
  return Status::ok();
}

// Odometer over `dims` calling fn(index) for every multi-index (none when a dim is 0).
template <typename Fn>
void for_each_index(const std::vector<int64_t>& dims, Fn&& fn) {
  for (int64_t d : dims)
    if (d == 0) return;
  std::vector<int64_t> idx(dims.size(), 0);
  while (true) {
    fn(idx);
    size_t j = dims.size();
    while (j > 0) {
      --j;
      if (++idx[j] < dims[j]) break;
      idx[j] = 0;
      if (j == 0) return;
    }
    if (dims.empty()) return;
  }
}

template <typename T, typename Acc>
void naive_typed(KernelContext& ctx, const Parsed& p) {
  using A = Arith<T>;
  std::vector<int> labels;  // output labels first, then summed ones
  for (int l : p.eq.output) labels.push_back(l);
  for (const auto& [l, s] : p.size)
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  std::vector<int64_t> dims;
  for (int l : labels) dims.push_back(p.size.at(l));
  const size_t nout = p.eq.output.size();
  // Per operand: element stride of each label position (0 where the operand broadcasts).
  std::vector<std::vector<int64_t>> strides(p.eq.inputs.size(), std::vector<int64_t>(labels.size(), 0));
  for (size_t i = 0; i < p.eq.inputs.size(); ++i) {
    const Tensor& t = *ctx.input(i);
    const std::vector<int64_t> cs = contiguous_strides(t.shape());
    for (size_t d = 0; d < p.eq.inputs[i].size(); ++d) {
      const size_t k = static_cast<size_t>(std::find(labels.begin(), labels.end(), p.eq.inputs[i][d]) - labels.begin());
      if (t.dim(static_cast<int64_t>(d)) != 1) strides[i][k] += cs[d];
    }
  }
  Tensor& y = *ctx.output(0);
  std::vector<Acc> acc(static_cast<size_t>(y.size()), Acc(0));
  for_each_index(dims, [&](const std::vector<int64_t>& idx) {
    int64_t out = 0;
    for (size_t k = 0; k < nout; ++k) out = out * dims[k] + idx[k];
    Acc prod = Acc(1);
    for (size_t i = 0; i < p.eq.inputs.size(); ++i) {
      int64_t off = 0;
      for (size_t k = 0; k < labels.size(); ++k) off += idx[k] * strides[i][k];
      prod *= static_cast<Acc>(A::load(ctx.input(i)->data<T>()[off]));
    }
    acc[static_cast<size_t>(out)] += prod;
  });
  for (int64_t i = 0; i < y.size(); ++i)
    y.data<T>()[i] = A::store(static_cast<typename A::type>(acc[static_cast<size_t>(i)]));
}

Status naive(KernelContext& ctx, const Parsed& p) {
  const DType t = ctx.output(0)->dtype();
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.input(i)->dtype() != t) return ctx.error("inputs must share one element type");
  bool ok = dispatch_numeric(t, [&]<typename T>() {
    if constexpr (std::is_integral_v<T>) naive_typed<T, int64_t>(ctx, p);
    else naive_typed<T, double>(ctx, p);
  });
  if (!ok) return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported");
  return Status::ok();
}

// ---------------------------------------------------------------- float32 contraction chain

// An operand or intermediate: its own data, or (view set) an input tensor's, read in place.
struct Labeled {
  std::vector<float> data;
  const float* view = nullptr;
  std::vector<int> labels;
  std::vector<int64_t> dims;
  const float* p() const { return view ? view : data.data(); }
};

bool has(const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); }

// Takes diagonals of repeated labels and sums out labels not in `keep`; keeps the order of first
// appearance.
Labeled reduce_to(Labeled in, const std::vector<int>& keep) {
  std::vector<int> uniq;
  std::vector<int64_t> udims, ustrides;
  const std::vector<int64_t> cs = contiguous_strides(in.dims);
  for (size_t d = 0; d < in.labels.size(); ++d) {
    auto it = std::find(uniq.begin(), uniq.end(), in.labels[d]);
    if (it == uniq.end()) {
      uniq.push_back(in.labels[d]);
      udims.push_back(in.dims[d]);
      ustrides.push_back(cs[d]);
    } else {
      const size_t k = static_cast<size_t>(it - uniq.begin());
      ustrides[k] += cs[d];  // a repeated label walks the diagonal
      udims[k] = std::min(udims[k], in.dims[d]);
    }
  }
  Labeled out;
  std::vector<size_t> kept;
  for (size_t k = 0; k < uniq.size(); ++k)
    if (has(keep, uniq[k])) {
      kept.push_back(k);
      out.labels.push_back(uniq[k]);
      out.dims.push_back(udims[k]);
    }
  if (uniq.size() == in.labels.size() && kept.size() == uniq.size()) return in;
  out.data.assign(static_cast<size_t>(shape_size(out.dims)), 0.0f);
  const float* src_data = in.p();
  for_each_index(udims, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0, dst = 0;
    for (size_t k = 0; k < idx.size(); ++k) src += idx[k] * ustrides[k];
    for (size_t k : kept) dst = dst * udims[k] + idx[k];
    out.data[static_cast<size_t>(dst)] += src_data[static_cast<size_t>(src)];
  });
  return out;
}

// Copies `in` into the layout `order` (labels), broadcasting size-1 dims to `sizes`.
std::vector<float> arrange(const Labeled& in, const std::vector<int>& order,
                           const std::map<int, int64_t>& sizes, ThreadPool* pool,
                           std::vector<int64_t>* dims_out = nullptr) {
  const std::vector<int64_t> cs = contiguous_strides(in.dims);
  std::vector<int64_t> dims, strides;
  for (int l : order) {
    const size_t k = static_cast<size_t>(std::find(in.labels.begin(), in.labels.end(), l) - in.labels.begin());
    const int64_t want = sizes.at(l);
    dims.push_back(want);
    strides.push_back(in.dims[k] == want ? cs[k] : 0);
  }
  std::vector<float> out(static_cast<size_t>(shape_size(dims)));
  if (!out.empty()) strided_copy(DType::kFloat32, in.p(), out.data(), dims, strides, pool);
  if (dims_out) *dims_out = dims;
  return out;
}

Labeled contract(const Labeled& x0, const Labeled& y0, const std::vector<int>& keep,
                 ThreadPool* pool) {
  // Labels private to one side that nothing needs are summed out first.
  std::vector<int> keep_x = keep, keep_y = keep;
  keep_x.insert(keep_x.end(), y0.labels.begin(), y0.labels.end());
  keep_y.insert(keep_y.end(), x0.labels.begin(), x0.labels.end());
  const Labeled x = reduce_to(x0, keep_x);
  const Labeled y = reduce_to(y0, keep_y);
  std::vector<int> batch, con, xo, yo;
  std::map<int, int64_t> sizes;
  for (size_t k = 0; k < x.labels.size(); ++k) {
    const int l = x.labels[k];
    sizes[l] = x.dims[k];
    if (!has(y.labels, l)) xo.push_back(l);
    else if (has(keep, l)) batch.push_back(l);
    else con.push_back(l);
  }
  for (size_t k = 0; k < y.labels.size(); ++k) {
    const int l = y.labels[k];
    if (!has(x.labels, l)) yo.push_back(l);
    if (!sizes.count(l) || sizes[l] == 1) sizes[l] = y.dims[k];
  }
  auto prod = [&](const std::vector<int>& ls) {
    int64_t p = 1;
    for (int l : ls) p *= sizes[l];
    return p;
  };
  const int64_t B = prod(batch), M = prod(xo), K = prod(con), N = prod(yo);
  std::vector<int> ax = batch, by = batch;
  ax.insert(ax.end(), xo.begin(), xo.end());
  ax.insert(ax.end(), con.begin(), con.end());
  by.insert(by.end(), con.begin(), con.end());
  by.insert(by.end(), yo.begin(), yo.end());
  // An operand already laid out [batch, free, contracted] or [batch, contracted, free] (with no
  // size-1 dim to broadcast) goes to sgemm as it is, transposed or not; only others are copied
  // into place. Attention's bhqd,bhkd->bhqk copied both sides (K transposed): 2x onnxruntime's
  // time.
  auto in_order = [&](const Labeled& t, const std::vector<int>& a, const std::vector<int>& b2,
                      const std::vector<int>& c) {
    std::vector<int> want = a;
    want.insert(want.end(), b2.begin(), b2.end());
    want.insert(want.end(), c.begin(), c.end());
    if (t.labels != want) return false;
    for (size_t k = 0; k < t.labels.size(); ++k)
      if (t.dims[k] != sizes[t.labels[k]]) return false;
    return true;
  };
  std::vector<float> Abuf, Bbuf;
  const float* A;
  const float* Bm;
  bool ta = false, tb = false;
  if (in_order(x, batch, xo, con)) {
    A = x.p();
  } else if (in_order(x, batch, con, xo)) {
    A = x.p(), ta = true;
  } else {
    Abuf = arrange(x, ax, sizes, pool);
    A = Abuf.data();
  }
  if (in_order(y, batch, con, yo)) {
    Bm = y.p();
  } else if (in_order(y, batch, yo, con)) {
    Bm = y.p(), tb = true;
  } else {
    Bbuf = arrange(y, by, sizes, pool);
    Bm = Bbuf.data();
  }
  Labeled z;
  z.labels = batch;
  z.labels.insert(z.labels.end(), xo.begin(), xo.end());
  z.labels.insert(z.labels.end(), yo.begin(), yo.end());
  for (int l : z.labels) z.dims.push_back(sizes[l]);
  z.data.assign(static_cast<size_t>(B * M * N), 0.0f);
  if (K > 0 && M > 0 && N > 0) {
    auto one = [&](int64_t b, ThreadPool* p) {
      sgemm(ta, tb, M, N, K, 1.0f, A + b * M * K, ta ? M : K, Bm + b * K * N, tb ? K : N, 0.0f,
            z.data.data() + b * M * N, N, p);
    };
    // Many small products (heads) spread over the threads whole; few large ones split inside.
    if (pool && B >= pool->num_threads() && B > 1) {
      pool->parallel_for(B, static_cast<double>(M) * N * K, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) one(b, nullptr);
      });
    } else {
      for (int64_t b = 0; b < B; ++b) one(b, pool);
    }
  }
  return z;
}

Status einsum_f32(KernelContext& ctx, const Parsed& p) {
  ThreadPool* pool = &ctx.threads();
  const size_t n = p.eq.inputs.size();
  auto operand = [&](size_t i) {
    Labeled t;
    const Tensor& in = *ctx.input(i);
    t.view = in.data<float>();
    t.labels = p.eq.inputs[i];
    t.dims = in.shape();
    return t;
  };
  // Labels needed after operand i: the output's and those of operands i+1...
  auto needed_after = [&](size_t i) {
    std::vector<int> keep = p.eq.output;
    for (size_t j = i + 1; j < n; ++j) keep.insert(keep.end(), p.eq.inputs[j].begin(), p.eq.inputs[j].end());
    return keep;
  };
  Labeled acc = reduce_to(operand(0), needed_after(0));
  for (size_t i = 1; i < n; ++i) acc = contract(acc, operand(i), needed_after(i), pool);
  acc = reduce_to(std::move(acc), p.eq.output);
  Tensor& y = *ctx.output(0);
  if (y.size() == 0) return Status::ok();
  std::vector<int64_t> out_dims;
  for (int l : p.eq.output) out_dims.push_back(p.size.at(l));
  if (shape_size(out_dims) != y.size()) return ctx.error("output size does not match the equation");
  if (acc.labels == p.eq.output && acc.dims == out_dims) {  // already in the output's layout
    std::copy(acc.p(), acc.p() + y.size(), y.data<float>());
    return Status::ok();
  }
  const std::vector<float> out = arrange(acc, p.eq.output, p.size, pool);
  std::copy(out.begin(), out.end(), y.data<float>());
  return Status::ok();
}

}  // namespace

Status einsum_kernel(KernelContext& ctx) {
  Parsed p;
  ONNXRT_RETURN_IF_ERROR(parse_node(ctx, p));
  bool all_f32 = ctx.output(0)->dtype() == DType::kFloat32;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) all_f32 = all_f32 && ctx.input(i)->dtype() == DType::kFloat32;
  if (all_f32) return einsum_f32(ctx, p);
  return naive(ctx, p);
}

Status einsum_naive_kernel(KernelContext& ctx) {
  Parsed p;
  ONNXRT_RETURN_IF_ERROR(parse_node(ctx, p));
  return naive(ctx, p);
}

}  // namespace onnxrt::kernels::tensor_ops
