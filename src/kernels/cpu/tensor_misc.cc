// Simple tensor-family kernels shared by the CPU and reference tables (there is nothing to gain
// from a second, optimized version): Trilu, NonZero, OneHot, Compress, EyeLike, ReverseSequence,
// TensorScatter, Col2Im, Det. Their tests pin hand-computed values.
#include <algorithm>
#include <cmath>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_tensor_util.h"
#include "kernels/cpu/tensor_ops.h"
#include "kernels/cpu/tensor_util.h"

namespace onnxrt::kernels::tensor_ops {

using ir::tensor_infer::norm_axis;

namespace {

Status unsupported(KernelContext& ctx, DType t) {
  return ctx.error("element type " + std::string(dtype_name(t)) + " is not supported");
}

// Element i of a numeric or bool tensor as double.
double number_at(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kBool) return t.data<bool>()[i] ? 1.0 : 0.0;
  double v = 0;
  dispatch_numeric(t.dtype(), [&]<typename T>() { v = static_cast<double>(Arith<T>::load(t.data<T>()[i])); });
  return v;
}

bool is_number_type(DType t) { return t == DType::kBool || dispatch_numeric(t, []<typename T>() {}); }

// Sets n elements at dst to the type's zero ("" for strings).
void zero_elements(DType t, void* dst, int64_t n) {
  if (n <= 0) return;
  if (t == DType::kString) {
    auto* d = static_cast<std::string*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i].clear();
  } else {
    std::memset(dst, 0, static_cast<size_t>(n) * elem_bytes(t));
  }
}

}  // namespace

Status trilu_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  Tensor* yp = ctx.output(0);
  if (!xp || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  const DType t = x.dtype();
  if (elem_bytes(t) == 0) return unsupported(ctx, t);
  if (x.rank() < 2) return ctx.error("input " + shape_to_string(x.shape()) + " must have rank >= 2");
  ir::AttrReader a(ctx.node());
  const bool upper = a.i("upper", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  int64_t k = 0;
  if (ctx.num_inputs() > 1 && ctx.input(1)) {
    if (ctx.input(1)->size() != 1) return ctx.error("k must be a scalar");
    k = index_at(*ctx.input(1), 0);
  }
  const int64_t N = x.dim(x.rank() - 2), M = x.dim(x.rank() - 1);
  k = std::clamp<int64_t>(k, -N - 1, M + 1);  // beyond that nothing changes; avoids i + k overflow
  const int64_t mats = N * M == 0 ? 0 : x.size() / (N * M);
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  const char* s = static_cast<const char*>(x.raw());
  char* d = static_cast<char*>(yp->raw());
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (m * N + i) * M;
      // Kept columns: upper j >= i + k, lower j <= i + k.
      const int64_t lo = upper ? std::clamp<int64_t>(i + k, 0, M) : 0;
      const int64_t hi = upper ? M : std::clamp<int64_t>(i + k + 1, 0, M);
      zero_elements(t, d + off * es, lo);
      copy_elements(t, s + (off + lo) * es, d + (off + lo) * es, hi - lo);
      zero_elements(t, d + (off + hi) * es, M - hi);
    }
  }
  return Status::ok();
}

Status nonzero_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  if (!xp) return ctx.error("missing input");
  const Tensor& x = *xp;
  if (!is_number_type(x.dtype())) return unsupported(ctx, x.dtype());
  std::vector<int64_t> hits;
  for (int64_t i = 0; i < x.size(); ++i)
    if (number_at(x, i) != 0) hits.push_back(i);
  const int64_t r = x.rank(), n = static_cast<int64_t>(hits.size());
  Tensor* y = ctx.allocate_output(0, DType::kInt64, {r, n});
  if (!y) return ctx.error("could not allocate output 0");
  int64_t* out = y->data<int64_t>();
  for (int64_t k = 0; k < n; ++k) {
    int64_t lin = hits[static_cast<size_t>(k)];
    for (int64_t j = r - 1; j >= 0; --j) {
      out[j * n + k] = lin % x.dim(j);
      lin /= x.dim(j);
    }
  }
  return Status::ok();
}

Status onehot_kernel(KernelContext& ctx) {
  const Tensor* ip = ctx.input(0);
  const Tensor* dp = ctx.input(1);
  const Tensor* vp = ctx.input(2);
  Tensor* yp = ctx.output(0);
  if (!ip || !dp || !vp || !yp) return ctx.error("missing input or output");
  if (!is_number_type(ip->dtype()) || !is_number_type(dp->dtype()))
    return ctx.error("indices and depth must be numeric");
  if (vp->size() != 2) return ctx.error("values must hold 2 elements [off, on], got " + std::to_string(vp->size()));
  if (dp->size() != 1) return ctx.error("depth must hold one element");
  const DType t = vp->dtype();
  if (elem_bytes(t) == 0) return unsupported(ctx, t);
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const int64_t r = ip->rank() + 1;
  auto ax = norm_axis(axis, r);
  if (!ax) return ctx.error("axis out of range");
  const double raw_depth = number_at(*dp, 0);
  if (!(raw_depth >= 1 && raw_depth < 9.0e18)) return ctx.error("depth must be >= 1");
  const int64_t depth = static_cast<int64_t>(raw_depth);
  if (yp->rank() != r || yp->dim(*ax) != depth) return ctx.error("output shape does not match depth");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < *ax; ++i) outer *= ip->dim(i);
  for (int64_t i = *ax; i < ip->rank(); ++i) inner *= ip->dim(i);
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  const char* off = static_cast<const char*>(vp->raw());
  const char* on = off + es;
  char* d = static_cast<char*>(yp->raw());
  for (int64_t i = 0; i < yp->size(); ++i) copy_elements(t, off, d + i * es, 1);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      // Indices outside [-depth, depth) give an all-off row (the spec's rule, not an error).
      const double raw = number_at(*ip, o * inner + i);
      if (!(std::fabs(raw) < 9.0e18)) continue;  // NaN / huge: out of range, and no UB cast
      int64_t v = static_cast<int64_t>(raw);
      if (v < 0) v += depth;
      if (v < 0 || v >= depth) continue;
      copy_elements(t, on, d + ((o * depth + v) * inner + i) * es, 1);
    }
  return Status::ok();
}

Status compress_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* cp = ctx.input(1);
  Tensor* yp = ctx.output(0);
  if (!xp || !cp || !yp) return ctx.error("missing input or output");
  const DType t = xp->dtype();
  if (elem_bytes(t) == 0) return unsupported(ctx, t);
  if (cp->dtype() != DType::kBool) return ctx.error("condition must be bool");
  ir::AttrReader a(ctx.node());
  const bool has_axis = a.has("axis");
  const int64_t axis = a.i("axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  int64_t outer = 1, dim = xp->size(), inner = 1;
  if (has_axis) {
    auto ax = norm_axis(axis, xp->rank());
    if (!ax) return ctx.error("axis out of range");
    dim = xp->dim(*ax);
    for (int64_t i = 0; i < *ax; ++i) outer *= xp->dim(i);
    for (int64_t i = *ax + 1; i < xp->rank(); ++i) inner *= xp->dim(i);
  }
  const bool* c = cp->data<bool>();
  const int64_t n = std::min(dim, cp->size());
  int64_t kept = 0;
  for (int64_t i = 0; i < n; ++i) kept += c[i] ? 1 : 0;
  if (yp->size() != outer * kept * inner) return ctx.error("output size does not match the condition");
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  const char* s = static_cast<const char*>(xp->raw());
  char* d = static_cast<char*>(yp->raw());
  int64_t w = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) {
      if (!c[i]) continue;
      copy_elements(t, s + (o * dim + i) * inner * es, d + w * inner * es, inner);
      ++w;
    }
  return Status::ok();
}

Status eye_like_kernel(KernelContext& ctx) {
  Tensor* yp = ctx.output(0);
  if (!yp) return ctx.error("missing output");
  Tensor& y = *yp;
  if (y.rank() != 2) return ctx.error("output must be 2-D");
  ir::AttrReader a(ctx.node());
  const int64_t k = a.i("k", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const DType t = y.dtype();
  if (!is_number_type(t)) return unsupported(ctx, t);
  zero_elements(t, y.raw(), y.size());
  const int64_t R = y.dim(0), C = y.dim(1);
  // k may be any int64: outside (-R, C) the diagonal misses the matrix; inside, -k and C - k fit.
  const bool hits = k < C && k > -R;
  const int64_t first = hits ? std::max<int64_t>(0, -k) : 0;
  const int64_t last = hits ? std::min(R, C - k) : 0;
  for (int64_t i = first; i < last; ++i) {
    const int64_t j = i + k;
    if (t == DType::kBool) {
      y.data<bool>()[i * C + j] = true;
    } else {
      dispatch_numeric(t, [&]<typename T>() { y.data<T>()[i * C + j] = Arith<T>::store(1); });
    }
  }
  return Status::ok();
}

Status reverse_sequence_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* lp = ctx.input(1);
  Tensor* yp = ctx.output(0);
  if (!xp || !lp || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  const DType t = x.dtype();
  if (elem_bytes(t) == 0) return unsupported(ctx, t);
  ir::AttrReader a(ctx.node());
  const int64_t batch_axis = a.i("batch_axis", 1);
  const int64_t time_axis = a.i("time_axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (x.rank() < 2) return ctx.error("input must have rank >= 2");
  if (!((batch_axis == 0 && time_axis == 1) || (batch_axis == 1 && time_axis == 0)))
    return ctx.error("batch_axis and time_axis must be 0 and 1 (in some order)");
  if (lp->dtype() != DType::kInt64 && lp->dtype() != DType::kInt32)
    return ctx.error("sequence_lens must be int64");
  const int64_t B = x.dim(batch_axis), T = x.dim(time_axis);
  if (lp->size() != B)
    return ctx.error("sequence_lens has " + std::to_string(lp->size()) + " entries for batch size " + std::to_string(B));
  int64_t inner = 1;
  for (int64_t i = 2; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  const char* s = static_cast<const char*>(x.raw());
  char* d = static_cast<char*>(yp->raw());
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = index_at(*lp, b);
    if (len < 0 || len > T)
      return ctx.error("sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                       " out of range [0, " + std::to_string(T) + "]");
  }
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = index_at(*lp, b);
    for (int64_t tt = 0; tt < T; ++tt) {
      const int64_t src_t = tt < len ? len - 1 - tt : tt;
      auto off = [&](int64_t ti) { return (time_axis == 0 ? ti * B + b : b * T + ti) * inner; };
      copy_elements(t, s + off(src_t) * es, d + off(tt) * es, inner);
    }
  }
  return Status::ok();
}

Status tensor_scatter_kernel(KernelContext& ctx) {
  const Tensor* pp = ctx.input(0);
  const Tensor* up = ctx.input(1);
  const Tensor* wp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
  Tensor* yp = ctx.output(0);
  if (!pp || !up || !yp) return ctx.error("missing input or output");
  const Tensor& past = *pp;
  const DType t = past.dtype();
  if (elem_bytes(t) == 0) return unsupported(ctx, t);
  ir::AttrReader a(ctx.node());
  const int64_t axis = a.i("axis", -2);
  const std::string mode = a.s("mode", "linear");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (mode != "linear" && mode != "circular") return ctx.error("mode '" + mode + "' must be linear or circular");
  auto ax = norm_axis(axis, past.rank());
  if (!ax || *ax == 0) return ctx.error("axis " + std::to_string(axis) + " must name a non-batch axis");
  if (up->dtype() != t || up->rank() != past.rank()) return ctx.error("update must match past_cache in type and rank");
  for (int64_t i = 0; i < past.rank(); ++i)
    if (i != *ax && up->dim(i) != past.dim(i))
      return ctx.error("update " + shape_to_string(up->shape()) + " differs from past_cache " +
                       shape_to_string(past.shape()) + " off the sequence axis");
  const int64_t B = past.dim(0), max_seq = past.dim(*ax), seq = up->dim(*ax);
  if (seq > max_seq) return ctx.error("update sequence length exceeds the cache's");
  if (wp && wp->size() != B) return ctx.error("write_indices must have one entry per batch");
  int64_t prefix = 1, inner = 1;
  for (int64_t i = 0; i < *ax; ++i) prefix *= past.dim(i);
  for (int64_t i = *ax + 1; i < past.rank(); ++i) inner *= past.dim(i);
  const int64_t per_batch = B == 0 ? 0 : prefix / B;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t w = wp ? index_at(*wp, b) : 0;
    if (w < 0 || (mode == "linear" && w > max_seq - seq))  // not w + seq: w may be near INT64_MAX
      return ctx.error("write index " + std::to_string(w) + " for batch " + std::to_string(b) +
                       " does not fit " + std::to_string(seq) + " updates into a cache of " +
                       std::to_string(max_seq));
  }
  if (yp->raw() != past.raw()) copy_elements(t, past.raw(), yp->raw(), past.size());
  const int64_t es = static_cast<int64_t>(elem_bytes(t));
  const char* u = static_cast<const char*>(up->raw());
  char* d = static_cast<char*>(yp->raw());
  for (int64_t p = 0; p < prefix; ++p) {
    const int64_t b = p / per_batch;
    const int64_t w = wp ? index_at(*wp, b) : 0;
    for (int64_t s = 0; s < seq; ++s) {
      // seq > 0 here, so max_seq > 0; w is reduced first so that w + s cannot overflow.
      const int64_t c = mode == "circular" ? (w % max_seq + s) % max_seq : w + s;
      copy_elements(t, u + ((p * seq + s) * inner) * es, d + ((p * max_seq + c) * inner) * es, inner);
    }
  }
  return Status::ok();
}

Status col2im_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  const Tensor* ip = ctx.input(1);
  const Tensor* bp = ctx.input(2);
  Tensor* yp = ctx.output(0);
  if (!xp || !ip || !bp || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  const std::vector<int64_t> img = index_values(ip), blk = index_values(bp);
  const size_t nd = img.size();
  if (blk.size() != nd || x.rank() != 3) return ctx.error("input must be 3-D with matching image and block shapes");
  ir::AttrReader a(ctx.node());
  std::vector<int64_t> dil = a.ints("dilations", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> pads = a.ints("pads", std::vector<int64_t>(2 * nd, 0));
  std::vector<int64_t> str = a.ints("strides", std::vector<int64_t>(nd, 1));
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (dil.size() != nd || str.size() != nd || pads.size() != 2 * nd)
    return ctx.error("dilations, strides and pads must have one (pads: two) entries per spatial dim");
  int64_t kprod = 1, L = 1;
  std::vector<int64_t> nblocks(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (blk[i] <= 0 || dil[i] <= 0 || str[i] <= 0) return ctx.error("block_shape, dilations and strides must be positive");
    // All from the model: checked, since a wrapped block count would index past the image.
    int64_t span = 0, padded = 0;
    if (__builtin_mul_overflow(kprod, blk[i], &kprod) || __builtin_mul_overflow(dil[i], blk[i] - 1, &span) ||
        __builtin_add_overflow(img[i], pads[i], &padded) || __builtin_add_overflow(padded, pads[i + nd], &padded) ||
        __builtin_sub_overflow(padded, span, &padded))
      return ctx.error("image_shape, block_shape, dilations and pads give sizes past int64 in spatial dim " +
                       std::to_string(i));
    // floor((padded image - window) / stride) + 1 blocks, the window being span + 1 wide; none
    // when the window does not fit.
    nblocks[i] = padded <= 0 ? 0 : (padded - 1) / str[i] + 1;
    if (__builtin_mul_overflow(L, nblocks[i], &L))
      return ctx.error("the block count overflows int64 in spatial dim " + std::to_string(i));
  }
  const int64_t N = x.dim(0);
  if (x.dim(1) % kprod != 0 || x.dim(2) != L)
    return ctx.error("input " + shape_to_string(x.shape()) + " does not match " + std::to_string(L) +
                     " blocks of " + std::to_string(kprod) + " elements");
  const int64_t C = x.dim(1) / kprod;
  int64_t isize = 1;
  for (int64_t d : img) isize *= d;
  if (yp->size() != N * C * isize) return ctx.error("output size does not match");
  bool ok = dispatch_numeric(x.dtype(), [&]<typename T>() {
    using A = Arith<T>;
    using V = typename A::type;
    std::vector<V> acc(static_cast<size_t>(isize));
    std::vector<int64_t> kk(nd), ll(nd);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) {
        std::fill(acc.begin(), acc.end(), V(0));
        for (int64_t kl = 0; kl < kprod; ++kl) {
          int64_t rem = kl;
          for (size_t i = nd; i-- > 0;) { kk[i] = rem % blk[i]; rem /= blk[i]; }
          const T* row = x.data<T>() + ((n * C + c) * kprod + kl) * L;
          for (int64_t l = 0; l < L; ++l) {
            int64_t lr = l, pos = 0;
            bool inside = true;
            for (size_t i = nd; i-- > 0;) { ll[i] = lr % nblocks[i]; lr /= nblocks[i]; }
            for (size_t i = 0; i < nd && inside; ++i) {
              const int64_t p = ll[i] * str[i] - pads[i] + kk[i] * dil[i];
              if (p < 0 || p >= img[i]) inside = false;
              pos = pos * img[i] + p;
            }
            if (inside) acc[static_cast<size_t>(pos)] += A::load(row[l]);
          }
        }
        T* out = yp->data<T>() + (n * C + c) * isize;
        for (int64_t i = 0; i < isize; ++i) out[i] = A::store(acc[static_cast<size_t>(i)]);
      }
  });
  if (!ok) return unsupported(ctx, x.dtype());
  return Status::ok();
}

Status det_kernel(KernelContext& ctx) {
  const Tensor* xp = ctx.input(0);
  Tensor* yp = ctx.output(0);
  if (!xp || !yp) return ctx.error("missing input or output");
  const Tensor& x = *xp;
  if (!dtype_is_float(x.dtype())) return unsupported(ctx, x.dtype());
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2))
    return ctx.error("input " + shape_to_string(x.shape()) + " must hold square matrices");
  const int64_t n = x.dim(x.rank() - 1);
  const int64_t mats = yp->size();
  std::vector<double> m(static_cast<size_t>(n * n));
  bool ok = dispatch_numeric(x.dtype(), [&]<typename T>() {
    using A = Arith<T>;
    for (int64_t b = 0; b < mats; ++b) {
      const T* src = x.data<T>() + b * n * n;
      for (int64_t i = 0; i < n * n; ++i) m[static_cast<size_t>(i)] = static_cast<double>(A::load(src[i]));
      // LU with partial pivoting, in double whatever the storage type.
      double det = 1;
      for (int64_t c = 0; c < n && det != 0; ++c) {
        int64_t piv = c;
        for (int64_t r = c + 1; r < n; ++r)
          if (std::abs(m[static_cast<size_t>(r * n + c)]) > std::abs(m[static_cast<size_t>(piv * n + c)])) piv = r;
        if (m[static_cast<size_t>(piv * n + c)] == 0) {
          det = 0;
          break;
        }
        if (piv != c) {
          for (int64_t j = 0; j < n; ++j) std::swap(m[static_cast<size_t>(c * n + j)], m[static_cast<size_t>(piv * n + j)]);
          det = -det;
        }
        const double p = m[static_cast<size_t>(c * n + c)];
        det *= p;
        for (int64_t r = c + 1; r < n; ++r) {
          const double f = m[static_cast<size_t>(r * n + c)] / p;
          if (f == 0) continue;
          for (int64_t j = c; j < n; ++j) m[static_cast<size_t>(r * n + j)] -= f * m[static_cast<size_t>(c * n + j)];
        }
      }
      yp->data<T>()[b] = A::store(static_cast<typename A::type>(det));
    }
  });
  if (!ok) return unsupported(ctx, x.dtype());
  return Status::ok();
}

}  // namespace onnxrt::kernels::tensor_ops
