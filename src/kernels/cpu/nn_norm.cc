// Normalizations on the CPU: BatchNormalization (inference), LayerNormalization,
// InstanceNormalization, GroupNormalization, LpNormalization, LRN.
//
// Mean and variance use two passes (mean, then sum of squared deviations), not the one-pass
// E[x^2] - E[x]^2: the one-pass form cancels catastrophically when |mean| >> std (e.g. post-ReLU
// activations or un-centred image data), and the rows we normalise (a BERT hidden vector of
// 768-4096 floats, an instance-norm plane) stay in L1/L2 between the passes, so the second pass
// costs little. Partial sums use eight float lanes (vectorisable) combined in double.
// LayerNormalization, BatchNormalization (inference), InstanceNormalization, GroupNormalization
// and LpNormalization also run float16 / bfloat16 X natively: each row / group is widened into a
// float32 buffer of the task (or, for the affine-only BatchNorm, element by element), normalised
// there and narrowed once (stash_type float, as the spec says); no whole-tensor float32 copy.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/cpu/half_rows.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"

namespace onnxrt::kernels {

namespace {

float lane_sum(const float* v, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += v[i + j];
  double s = 0;
  for (; i < n; ++i) s += v[i];
  for (float a : acc) s += a;
  return static_cast<float>(s);
}

float lane_sq_dev(const float* v, int64_t n, float mean) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const float d = v[i + j] - mean;
      acc[j] += d * d;
    }
  double s = 0;
  for (; i < n; ++i) s += static_cast<double>(v[i] - mean) * (v[i] - mean);
  for (float a : acc) s += a;
  return static_cast<float>(s);
}

// Mean and 1/sqrt(var + eps) of n contiguous floats (n == 0: mean 0, var 0).
void stats(const float* v, int64_t n, float eps, float* mean, float* inv_std) {
  const float m = n > 0 ? lane_sum(v, n) / static_cast<float>(n) : 0.0f;
  const float var = n > 0 ? lane_sq_dev(v, n, m) / static_cast<float>(n) : 0.0f;
  *mean = m;
  *inv_std = 1.0f / std::sqrt(var + eps);
}

// y = x * a + b over n floats.
inline void affine(const float* x, float a, float b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

// A per-channel parameter of `n` values as float32: float32 data in place, float16 / bfloat16
// widened into `buf` (n floats). Other types, or another size, are an error naming the input.
Expected<const float*> param_floats(const KernelContext& ctx, const Tensor* t, const char* name, int64_t n,
                                    float* buf) {
  if (t && is_16bit_float(t->dtype()) && t->size() == n) {
    widen_16bit(t->dtype(), t->data<uint16_t>(), buf, n);
    return static_cast<const float*>(buf);
  }
  if (t && t->dtype() != DType::kFloat32 && t->size() == n)
    return ctx.error(std::string("input ") + name + " must be float32, float16 or bfloat16, got " +
                     std::string(dtype_name(t->dtype())));
  ONNXRT_RETURN_IF_ERROR(nn::check_param(ctx, t, name, n));
  return t->data<float>();
}

// ---- BatchNormalization

class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(float eps, bool spatial) : eps_(eps), spatial_(spatial) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const DType dt = x ? x->dtype() : DType::kUndefined;
    const bool narrow = is_16bit_float(dt);
    if (!x || !y || (dt != DType::kFloat32 && !narrow) || y->dtype() != dt || x->rank() < 2)
      return ctx.error("X and Y must be float32, float16 or bfloat16 of one type with rank >= 2");
    for (size_t i = 1; i < ctx.num_outputs(); ++i)
      if (ctx.output(i))
        return {ErrorCode::kNotImplemented,
                ctx.error("training-mode outputs (running/saved mean and variance) are not "
                          "implemented; only inference is").message()};
    const int64_t N = x->dim(0);
    // spatial = 0 (opset < 9): one set of statistics per element of the non-batch dims.
    const int64_t C = spatial_ ? x->dim(1) : shape_size(std::span(x->shape()).subspan(1));
    const int64_t inner = spatial_ ? (N * C == 0 ? 0 : x->size() / (N * C)) : 1;
    static const char* names[] = {"", "scale", "B", "mean", "var"};
    // Parameters may be float32 or 16-bit (opset 15 types them apart from X); 16-bit ones are
    // widened into scratch after the two rows of a and b.
    float* ab = static_cast<float*>(ctx.scratch(static_cast<size_t>(6 * C + 16) * 4));
    if (!ab) return ctx.error("out of memory for the per-channel factors");
    const float* prm[5] = {};
    for (size_t i = 1; i < 5; ++i) {
      auto p = param_floats(ctx, ctx.input(i), names[i], C, ab + (i + 1) * C);
      if (!p) return p.status();
      prm[i] = *p;
    }
    const float *sc = prm[1], *bi = prm[2], *mu = prm[3], *va = prm[4];
    for (int64_t c = 0; c < C; ++c) {
      ab[c] = sc[c] / std::sqrt(va[c] + eps_);
      ab[C + c] = bi[c] - mu[c] * ab[c];
    }
    if (narrow) {
      // Affine only: each element widened, scaled and narrowed in one step, no buffer needed.
      const uint16_t* xh = x->data<uint16_t>();
      uint16_t* yh = y->data<uint16_t>();
      const bool f16 = dt == DType::kFloat16;
      const int64_t rows = N * C, len = inner;  // inner == 1: one element per (n, c)
      ctx.threads().parallel_for(rows, 2.0 * static_cast<double>(len), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t c = p % C;
          const float a = ab[c], b = ab[C + c];
          for (int64_t i = p * len; i < (p + 1) * len; ++i) {
            const float v = (f16 ? half_to_float(xh[i]) : bfloat16_to_float(xh[i])) * a + b;
            yh[i] = f16 ? float_to_half(v) : float_to_bfloat16(v);
          }
        }
      });
      return Status::ok();
    }
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    if (inner == 1) {
      ctx.threads().parallel_for(N, static_cast<double>(C), [&](int64_t n0, int64_t n1) {
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t c = 0; c < C; ++c) yd[n * C + c] = xd[n * C + c] * ab[c] + ab[C + c];
      });
      return Status::ok();
    }
    ctx.threads().parallel_for(N * C, static_cast<double>(inner), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t c = p % C;
        affine(xd + p * inner, ab[c], ab[C + c], yd + p * inner, inner);
      }
    });
    return Status::ok();
  }

 private:
  float eps_;
  bool spatial_;
};

// ---- LayerNormalization

// Expands a Scale/B tensor to the normalised shape `trailing` by numpy broadcasting; returns
// the data directly when no expansion is needed.
Expected<const float*> expand_param(KernelContext& ctx, const Tensor& t, const Shape& trailing,
                                    float* buf, const char* name) {
  if (t.dtype() != DType::kFloat32) return ctx.error(std::string(name) + " must be float32");
  auto strip = [](const Shape& s) {
    size_t i = 0;
    while (i < s.size() && s[i] == 1) ++i;
    return Shape(s.begin() + static_cast<std::ptrdiff_t>(i), s.end());
  };
  if (strip(t.shape()) == strip(trailing)) return t.data<float>();
  const size_t r = trailing.size();
  if (static_cast<size_t>(t.rank()) > r)
    return ctx.error(std::string(name) + " " + shape_to_string(t.shape()) +
                     " does not broadcast to the normalised shape " + shape_to_string(trailing));
  std::vector<int64_t> sstride(r, 0);
  int64_t st = 1;
  for (size_t i = 0; i < static_cast<size_t>(t.rank()); ++i) {
    const size_t td = static_cast<size_t>(t.rank()) - 1 - i, od = r - 1 - i;
    const int64_t sd = t.shape()[td];
    if (sd != 1 && sd != trailing[od])
      return ctx.error(std::string(name) + " " + shape_to_string(t.shape()) +
                       " does not broadcast to the normalised shape " +
                       shape_to_string(trailing));
    sstride[od] = sd == 1 ? 0 : st;
    st *= sd;
  }
  const int64_t total = shape_size(trailing);
  const float* src = t.data<float>();
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * sstride[d];
    buf[i] = src[off];
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < trailing[d]) break;
      idx[d] = 0;
    }
  }
  return static_cast<const float*>(buf);
}

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(int64_t axis, float eps) : axis_(axis), eps_(eps) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* scale = ctx.input(1);
    const Tensor* bias = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor* y = ctx.output(0);
    const DType dt = x ? x->dtype() : DType::kUndefined;
    const bool narrow = dt == DType::kFloat16 || dt == DType::kBFloat16;
    if (!x || !scale || !y || (dt != DType::kFloat32 && !narrow) || y->dtype() != dt)
      return ctx.error("needs X, Scale and output Y of one type: float32, float16 or bfloat16");
    // 16-bit X: Scale and B (one row's worth) are widened once; X is widened a row at a time.
    Tensor scale_f, bias_f;
    if (narrow) {
      for (const Tensor* t : {scale, bias})
        if (t && t->dtype() != dt) return ctx.error("Scale and B must have X's type " + std::string(dtype_name(dt)));
      scale_f = widen_16bit(*scale);
      scale = &scale_f;
      if (bias) {
        bias_f = widen_16bit(*bias);
        bias = &bias_f;
      }
    }
    const int64_t rank = x->rank();
    if (axis_ < -rank || axis_ >= rank)
      return ctx.error("axis " + std::to_string(axis_) + " out of range for rank " +
                       std::to_string(rank));
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    const Shape trailing(x->shape().begin() + axis, x->shape().end());
    const int64_t cols = shape_size(trailing);
    const int64_t rows = shape_size(std::span(x->shape()).first(static_cast<size_t>(axis)));
    Tensor* mean_out = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    Tensor* inv_out = ctx.num_outputs() > 2 ? ctx.output(2) : nullptr;
    for (Tensor* t : {mean_out, inv_out})
      if (t && (t->dtype() != DType::kFloat32 || t->size() != rows))
        return {ErrorCode::kNotImplemented,
                ctx.error("Mean/InvStdDev outputs are supported as float32 with one value per "
                          "row").message()};
    float* buf = static_cast<float*>(ctx.scratch(static_cast<size_t>(2 * cols + 16) * 4));
    auto sp = expand_param(ctx, *scale, trailing, buf, "Scale");
    if (!sp) return sp.status();
    const float* bp = nullptr;
    if (bias) {
      auto b = expand_param(ctx, *bias, trailing, buf + cols, "B");
      if (!b) return b.status();
      bp = *b;
    }
    const float* s = *sp;
    const float* xd = narrow ? nullptr : x->data<float>();
    float* yd = narrow ? nullptr : y->data<float>();
    float* md = mean_out ? mean_out->data<float>() : nullptr;
    float* id = inv_out ? inv_out->data<float>() : nullptr;
    ctx.threads().parallel_for(rows, 4.0 * static_cast<double>(cols), [&](int64_t r0, int64_t r1) {
      std::vector<float> row(narrow ? static_cast<size_t>(cols) : 0);
      for (int64_t r = r0; r < r1; ++r) {
        if (narrow) load_16bit(dt, x->data<uint16_t>() + r * cols, row.data(), cols);
        const float* xr = narrow ? row.data() : xd + r * cols;
        float* yr = narrow ? row.data() : yd + r * cols;  // in place: each element is read before it is written
        float mean, inv;
        stats(xr, cols, eps_, &mean, &inv);
        if (md) md[r] = mean;
        if (id) id[r] = inv;
        if (bp) {
          for (int64_t i = 0; i < cols; ++i) yr[i] = (xr[i] - mean) * inv * s[i] + bp[i];
        } else {
          for (int64_t i = 0; i < cols; ++i) yr[i] = (xr[i] - mean) * inv * s[i];
        }
        if (narrow) store_16bit(dt, row.data(), y->data<uint16_t>() + r * cols, cols);
      }
    });
    return Status::ok();
  }

 private:
  static void load_16bit(DType dt, const uint16_t* src, float* dst, int64_t n) {
    if (dt == DType::kFloat16) {
      for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i] = bfloat16_to_float(src[i]);
    }
  }
  static void store_16bit(DType dt, const float* src, uint16_t* dst, int64_t n) {
    if (dt == DType::kFloat16) {
      for (int64_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bfloat16(src[i]);
    }
  }
  static Tensor widen_16bit(const Tensor& t) {
    Tensor f = Tensor::allocate(DType::kFloat32, t.shape());
    load_16bit(t.dtype(), t.data<uint16_t>(), f.data<float>(), t.size());
    return f;
  }

  int64_t axis_;
  float eps_;
};

// ---- InstanceNormalization and GroupNormalization

// groups == 0: instance norm (one group per channel). per_channel_affine: scale/B of size C,
// else of size groups (GroupNormalization-18).
class ChannelNormKernel final : public Kernel {
 public:
  ChannelNormKernel(float eps, int64_t groups, bool per_channel_affine)
      : eps_(eps), groups_(groups), per_channel_(per_channel_affine) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const DType dt = x ? x->dtype() : DType::kUndefined;
    const bool narrow = is_16bit_float(dt);
    if (!x || !y || (dt != DType::kFloat32 && !narrow) || y->dtype() != dt || x->rank() < 2)
      return ctx.error("X and Y must be float32, float16 or bfloat16 of one type with rank >= 2");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t G = groups_ == 0 ? C : groups_;
    if (G <= 0 || C % G != 0)
      return ctx.error("channels " + std::to_string(C) + " are not divisible by num_groups " +
                       std::to_string(G));
    const int64_t inner = N * C == 0 ? 0 : x->size() / (N * C);
    const int64_t cg = C / G;
    const int64_t pn = per_channel_ ? C : G;
    for (int i = 1; i <= 2; ++i) {
      const Tensor* t = ctx.input(static_cast<size_t>(i));
      if (narrow && t && t->dtype() != dt)
        return ctx.error(std::string(i == 1 ? "scale" : "B") + " must have X's type " + std::string(dtype_name(dt)));
    }
    float* pbuf = static_cast<float*>(ctx.scratch(static_cast<size_t>(2 * pn + 16) * 4));
    if (!pbuf) return ctx.error("out of memory for scale and B");
    auto scp = param_floats(ctx, ctx.input(1), "scale", pn, pbuf);
    if (!scp) return scp.status();
    auto bip = param_floats(ctx, ctx.input(2), "B", pn, pbuf + pn);
    if (!bip) return bip.status();
    const float* sc = *scp;
    const float* bi = *bip;
    const int64_t gsize = cg * inner;
    ctx.threads().parallel_for(N * G, 4.0 * static_cast<double>(gsize), [&](int64_t p0, int64_t p1) {
      // 16-bit X: one group at a time widened here and normalised in place, then narrowed.
      std::vector<float> grp(narrow ? static_cast<size_t>(gsize) : 0);
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t g = p % G;
        if (narrow) widen_16bit(dt, x->data<uint16_t>() + p * gsize, grp.data(), gsize);
        const float* xg = narrow ? grp.data() : x->data<float>() + p * gsize;
        float* yg = narrow ? grp.data() : y->data<float>() + p * gsize;
        float mean, inv;
        stats(xg, gsize, eps_, &mean, &inv);
        for (int64_t c = 0; c < cg; ++c) {
          const int64_t ch = g * cg + c, pi = per_channel_ ? ch : g;
          const float a = sc[pi] * inv;
          affine(xg + c * inner, a, bi[pi] - mean * a, yg + c * inner, inner);
        }
        if (narrow) narrow_16bit(dt, grp.data(), y->data<uint16_t>() + p * gsize, gsize);
      }
    });
    return Status::ok();
  }

 private:
  float eps_;
  int64_t groups_;
  bool per_channel_;
};

// ---- LpNormalization

class LpNormKernel final : public Kernel {
 public:
  LpNormKernel(int64_t axis, int64_t p) : axis_(axis), p_(p) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const DType dt = x ? x->dtype() : DType::kUndefined;
    const bool narrow = is_16bit_float(dt);
    if (!x || !y || (dt != DType::kFloat32 && !narrow) || y->dtype() != dt)
      return ctx.error("X and Y must be float32, float16 or bfloat16 of one type");
    auto sp = nn::split_at_axis(ctx, x->shape(), axis_, false);
    if (!sp) return sp.status();
    const nn::AxisSplit s = *sp;
    ctx.threads().parallel_for(s.outer * s.inner, 3.0 * static_cast<double>(s.n), [&](int64_t i0, int64_t i1) {
      // 16-bit X: each (strided) vector widened into a contiguous buffer, normalised there and
      // narrowed back to its strided place.
      std::vector<float> vec(narrow ? static_cast<size_t>(s.n) : 0);
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t o = i / s.inner, in = i % s.inner, off = o * s.n * s.inner + in;
        const int64_t st = narrow ? 1 : s.inner;
        if (narrow) widen_16bit(dt, x->data<uint16_t>() + off, vec.data(), s.n, s.inner);
        const float* v = narrow ? vec.data() : x->data<float>() + off;
        float* w = narrow ? vec.data() : y->data<float>() + off;
        double acc = 0;
        for (int64_t k = 0; k < s.n; ++k) {
          const double a = v[k * st];
          acc += p_ == 1 ? std::fabs(a) : a * a;
        }
        const double norm = p_ == 1 ? acc : std::sqrt(acc);
        // A zero vector stays zero (the reference maps 0/0 to 0).
        const float inv = norm == 0.0 ? 0.0f : static_cast<float>(1.0 / norm);
        for (int64_t k = 0; k < s.n; ++k) w[k * st] = v[k * st] * inv;
        if (narrow) narrow_16bit(dt, vec.data(), y->data<uint16_t>() + off, s.n, s.inner);
      }
    });
    return Status::ok();
  }

 private:
  int64_t axis_, p_;
};

// ---- LRN

class LrnKernel final : public Kernel {
 public:
  LrnKernel(int64_t size, float alpha, float beta, float bias)
      : size_(size), alpha_(alpha), beta_(beta), bias_(bias) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || x->dtype() != DType::kFloat32 || x->rank() < 2)
      return ctx.error("X must be float32 with rank >= 2");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t inner = N * C == 0 ? 0 : x->size() / (N * C);
    // The window around channel c is [c - floor((size-1)/2), c + ceil((size-1)/2)].
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    const float a = alpha_ / static_cast<float>(size_);
    ctx.threads().parallel_for(N * C, static_cast<double>(inner) * static_cast<double>(size_), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n = p / C, c = p % C;
        const int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min(C - 1, c + after);
        const float* xc = xd + p * inner;
        float* yc = yd + p * inner;
        std::fill(yc, yc + inner, 0.0f);
        for (int64_t k = c0; k <= c1; ++k) {
          const float* xk = xd + (n * C + k) * inner;
          for (int64_t i = 0; i < inner; ++i) yc[i] += xk[i] * xk[i];
        }
        for (int64_t i = 0; i < inner; ++i) yc[i] = xc[i] / std::pow(bias_ + a * yc[i], beta_);
      }
    });
    return Status::ok();
  }

 private:
  int64_t size_;
  float alpha_, beta_, bias_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_batchnorm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float eps = a.f("epsilon", 1e-5f);
  const bool spatial = init.node.opset >= 9 || a.i("spatial", 1) != 0;
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (nn::batchnorm_is_training(init)) return nn::make_batchnorm_training(init);
  return std::unique_ptr<Kernel>(new BatchNormKernel(eps, spatial));
}

Expected<std::unique_ptr<Kernel>> make_cpu_batchnorm_half(const KernelInit& init) {
  // Training mode (batch statistics, running-mean outputs) is float32 only: run it through the
  // float32 bridge. Inference runs natively.
  if (nn::batchnorm_is_training(init)) return nn::make_f32_bridge(init, &make_cpu_batchnorm, false);
  return make_cpu_batchnorm(init);
}

Expected<std::unique_ptr<Kernel>> make_cpu_layernorm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", -1);
  const float eps = a.f("epsilon", 1e-5f);
  const int64_t stash = a.i("stash_type", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (stash != static_cast<int64_t>(DType::kFloat32))
    return Status(ErrorCode::kNotImplemented,
                  init.error("stash_type " + std::to_string(stash) + " is not implemented (float only)").message());
  return std::unique_ptr<Kernel>(new LayerNormKernel(axis, eps));
}

Expected<std::unique_ptr<Kernel>> make_cpu_instancenorm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float eps = a.f("epsilon", 1e-5f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new ChannelNormKernel(eps, 0, true));
}

Expected<std::unique_ptr<Kernel>> make_cpu_groupnorm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const float eps = a.f("epsilon", 1e-5f);
  a.required("num_groups", ir::AttrKind::kInt);
  const int64_t g = a.i("num_groups", 0);
  const int64_t stash = a.i("stash_type", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (g <= 0) return init.error("num_groups " + std::to_string(g) + " must be positive");
  if (stash != 1)
    return Status(ErrorCode::kNotImplemented,
                  init.error("stash_type " + std::to_string(stash) + " is not implemented").message());
  // Opset 18 has one scale/bias per group; opset 21 one per channel.
  return std::unique_ptr<Kernel>(new ChannelNormKernel(eps, g, init.node.opset >= 21));
}

Expected<std::unique_ptr<Kernel>> make_cpu_lpnorm(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const int64_t axis = a.i("axis", -1), p = a.i("p", 2);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (p != 1 && p != 2) return init.error("p " + std::to_string(p) + " must be 1 or 2");
  return std::unique_ptr<Kernel>(new LpNormKernel(axis, p));
}

Expected<std::unique_ptr<Kernel>> make_cpu_lrn(const KernelInit& init) {
  ir::AttrReader a(init.node);
  a.required("size", ir::AttrKind::kInt);
  const int64_t size = a.i("size", 1);
  const float alpha = a.f("alpha", 1e-4f), beta = a.f("beta", 0.75f), bias = a.f("bias", 1.0f);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (size <= 0) return init.error("size " + std::to_string(size) + " must be positive");
  return std::unique_ptr<Kernel>(new LrnKernel(size, alpha, beta, bias));
}

}  // namespace onnxrt::kernels
