// Numerics follow onnx.reference (numpy): QuantizeLinear divides in the promoted type of x and
// the scale (or in `precision`), rounds half to even, adds the zero point in int32 and clips;
// DequantizeLinear computes (float32(x) - zero_point) * scale in float32. Intermediate values
// are rounded to the numpy type at each step so results match bit for bit.
#include "kernels/cpu/quant_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/float8.h"
#include "base/half.h"
#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_nn_window.h"
#include "kernels/cpu/nn_conv_depthwise.h"
#include "kernels/cpu/qconv_im2col.h"
#include "kernels/cpu/qgemm.h"
#include "kernels/ukernels/gemm/igemm.h"
#include "kernels/ukernels/elementwise/quantize.h"

namespace onnxrt::kernels::quant {

namespace {

std::string name(DType t) { return std::string(dtype_name(t)); }

bool is_quant8(DType t) { return t == DType::kInt8 || t == DType::kUInt8; }

// Rounds `v` to the precision of float type `t` (float, float16, bfloat16; double unchanged).
double round_to(DType t, double v) {
  switch (t) {
    case DType::kFloat32: return static_cast<float>(v);
    case DType::kFloat16: return half_to_float(float_to_half(static_cast<float>(v)));
    case DType::kBFloat16: return bfloat16_to_float(float_to_bfloat16(static_cast<float>(v)));
    default: return v;
  }
}

// numpy's result type for arithmetic between two float (or int32) arrays.
DType promote(DType a, DType b) {
  if (a == b) return a == DType::kInt32 ? DType::kFloat64 : a;
  if (a == DType::kInt32 || b == DType::kInt32 || a == DType::kFloat64 || b == DType::kFloat64)
    return DType::kFloat64;
  return DType::kFloat32;
}

double load(const Tensor& t, int64_t i) {
  double v = 0;
  load_element_as_double(t.dtype(), t.raw(), i, &v);
  return v;
}

void store_float(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::kFloat64: t.data<double>()[i] = v; break;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); break;
    default: break;
  }
}

bool int_range(DType t, int64_t* lo, int64_t* hi) {
  switch (t) {
    case DType::kUInt8: *lo = 0; *hi = 255; return true;
    case DType::kInt8: *lo = -128; *hi = 127; return true;
    case DType::kUInt16: *lo = 0; *hi = 65535; return true;
    case DType::kInt16: *lo = -32768; *hi = 32767; return true;
    case DType::kUInt4: *lo = 0; *hi = 15; return true;
    case DType::kInt4: *lo = -8; *hi = 7; return true;
    case DType::kUInt2: *lo = 0; *hi = 3; return true;
    case DType::kInt2: *lo = -2; *hi = 1; return true;
    case DType::kInt32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    default: return false;
  }
}

void store_int(Tensor& t, int64_t i, int64_t v) {
  switch (t.dtype()) {
    case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
    case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(v); break;
    case DType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
    case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(v); break;
    case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
    default: store_code(t.raw(), i, dtype_bits(t.dtype()), int_to_small(v, t.dtype())); break;
  }
}

// numpy's float -> int32 conversion as x86 does it: NaN and out-of-range give INT32_MIN.
int64_t to_int32(double r) {
  if (!(r >= -2147483648.0 && r < 2147483648.0)) return INT32_MIN;
  return static_cast<int64_t>(r);
}

// Rounds half to even and saturates to [lo, hi]. NaN (from a zero or NaN scale) gives lo, as
// to_int32 + clamp does for QuantizeLinear; converting NaN to an integer would be undefined.
int64_t round_saturate(double d, int64_t lo, int64_t hi) {
  if (std::isnan(d)) return lo;
  return static_cast<int64_t>(std::clamp(std::nearbyint(d), static_cast<double>(lo), static_cast<double>(hi)));
}

// Which scale / zero-point element applies to element i of X: per tensor, per axis or blocked.
struct ParamMap {
  int mode = 0;  // 0 tensor, 1 axis, 2 blocked
  int64_t dim = 1, inner = 1, block = 1, nblocks = 1;
  int64_t operator()(int64_t i) const {
    if (mode == 0) return 0;
    const int64_t a = (i / inner) % dim;
    if (mode == 1) return a;
    const int64_t o = i / (inner * dim);
    return (o * nblocks + a / block) * inner + i % inner;
  }
};

Expected<ParamMap> param_map(KernelContext& ctx, const Tensor& x, const Tensor& p, int64_t axis_attr,
                             int64_t block, const char* what) {
  ParamMap m;
  if (p.size() == 1 && (p.rank() <= 1 || block <= 0)) return m;
  int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
  if (axis < 0 || axis >= x.rank())
    return ctx.error("axis " + std::to_string(axis_attr) + " out of range for rank " + std::to_string(x.rank()));
  m.dim = x.dim(axis);
  for (int64_t d = axis + 1; d < x.rank(); ++d) m.inner *= x.dim(d);
  if (block <= 0) {
    if (p.rank() != 1 || p.dim(0) != m.dim)
      return ctx.error(std::string(what) + " must be a scalar or have " + std::to_string(m.dim) +
                       " elements (X's dim " + std::to_string(axis) + "), got " + std::to_string(p.size()));
    m.mode = 1;
    return m;
  }
  m.mode = 2;
  m.block = block;
  m.nblocks = (m.dim + block - 1) / block;
  bool ok = p.rank() == x.rank();
  for (int64_t d = 0; ok && d < x.rank(); ++d) ok = p.dim(d) == (d == axis ? m.nblocks : x.dim(d));
  if (!ok) return ctx.error(std::string(what) + " shape does not fit X with block_size " + std::to_string(block));
  return m;
}

constexpr int64_t kBlock = 256;  // multiple of 4: sub-byte outputs never share a byte across blocks

void for_blocks(KernelContext& ctx, int64_t n, double cost, const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  if (blocks == 0) return;
  ctx.threads().parallel_for(blocks, cost * kBlock, [&](int64_t b, int64_t e) {
    fn(b * kBlock, std::min(n, e * kBlock));
  });
}

// ---- QuantizeLinear
class QuantizeKernel final : public Kernel {
 public:
  int64_t axis = 1, block = 0;
  bool saturate = true;
  DType precision = DType::kUndefined;

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    const Tensor& scale = *ctx.input(1);
    const Tensor* zp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor& y = *ctx.output(0);
    ONNXRT_ASSIGN_OR_RETURN(ParamMap sm, param_map(ctx, x, scale, axis, block, "y_scale"));
    ParamMap zm;
    if (zp) {
      ONNXRT_ASSIGN_OR_RETURN(zm, param_map(ctx, x, *zp, axis, block, "y_zero_point"));
      if (zp->dtype() != y.dtype()) return ctx.error("y_zero_point must be " + name(y.dtype()));
    }
    const DType p = precision != DType::kUndefined ? precision : promote(x.dtype(), scale.dtype());
    const bool pre = precision != DType::kUndefined;
    int64_t lo = 0, hi = 0;
    const bool is_int = int_range(y.dtype(), &lo, &hi);
    const bool is_fp8 = y.dtype() == DType::kFloat8E4M3FN || y.dtype() == DType::kFloat8E4M3FNUZ ||
                        y.dtype() == DType::kFloat8E5M2 || y.dtype() == DType::kFloat8E5M2FNUZ;
    if (!is_int && !is_small_float(y.dtype())) return ctx.error("cannot quantize to " + name(y.dtype()));
    const int bits = dtype_bits(y.dtype());
    if (x.dtype() == DType::kFloat32 && scale.dtype() == DType::kFloat32 && p == DType::kFloat32 && sm.mode == 0 &&
        (!zp || zm.mode == 0) && is_quant8(y.dtype())) {
      // Per tensor, float32 to 8 bits (QDQ models' activations): the same steps, vectorized.
      const float s0 = scale.data<float>()[0];
      const auto z0 = static_cast<int32_t>(zp ? load(*zp, 0) : 0.0);
      const ew::Quantize8BitFn quantize = ew::quantize_8bit_ukernel();
      const float* px = x.data<float>();
      auto* py = static_cast<uint8_t*>(y.raw());
      for_blocks(ctx, x.size(), 2.0, [&](int64_t b, int64_t e) {
        quantize(px + b, e - b, s0, z0, static_cast<int32_t>(lo), static_cast<int32_t>(hi), y.dtype() == DType::kInt8,
                 py + b);
      });
      return Status::ok();
    }
    for_blocks(ctx, x.size(), 8.0, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double xv = load(x, i), sv = load(scale, sm(i));
        if (pre) {
          xv = round_to(p, xv);
          sv = round_to(p, sv);
        }
        const double q = round_to(p, xv / sv);
        if (is_int) {
          int64_t r = to_int32(std::nearbyint(q));
          if (zp) r = static_cast<int32_t>(static_cast<uint32_t>(r) + static_cast<uint32_t>(static_cast<int64_t>(load(*zp, zm(i)))));
          store_int(y, i, std::clamp(r, lo, hi));
        } else if (is_fp8) {
          store_code(y.raw(), i, bits, float_to_small(q, y.dtype(), saturate));
        } else {
          // float4 / float6: the zero point is added as a float (numpy promotes it to x's type).
          const double v = zp ? round_to(p, q + load(*zp, zm(i))) : q;
          store_code(y.raw(), i, bits, float_to_small(v, y.dtype(), true));
        }
      }
    });
    return Status::ok();
  }
};

// ---- DequantizeLinear
class DequantizeKernel final : public Kernel {
 public:
  int64_t axis = 1, block = 0;

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    const Tensor& scale = *ctx.input(1);
    const Tensor* zp = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    Tensor& y = *ctx.output(0);
    ONNXRT_ASSIGN_OR_RETURN(ParamMap sm, param_map(ctx, x, scale, axis, block, "x_scale"));
    // float8 and float4 zero points are zero by definition (the reference ignores them).
    if (zp && (is_small_float(x.dtype()))) zp = nullptr;
    ParamMap zm;
    if (zp) {
      ONNXRT_ASSIGN_OR_RETURN(zm, param_map(ctx, x, *zp, axis, block, "x_zero_point"));
      if (zp->dtype() != x.dtype()) return ctx.error("x_zero_point must be " + name(x.dtype()));
    }
    if (is_quant8(x.dtype()) && sm.mode == 0 && (!zp || zm.mode == 0) && scale.dtype() == DType::kFloat32 &&
        y.dtype() == DType::kFloat32) {
      // Per tensor, 8-bit to float32: (x - zp) is exact in float32 and the product rounds once,
      // as in the general loop below; typed so that it vectorizes.
      const float s0 = scale.data<float>()[0], z0 = zp ? static_cast<float>(load(*zp, 0)) : 0.0f;
      float* py = y.data<float>();
      for_blocks(ctx, x.size(), 1.0, [&](int64_t b, int64_t e) {
        if (x.dtype() == DType::kInt8) {
          const int8_t* px = x.data<int8_t>();
          for (int64_t i = b; i < e; ++i) py[i] = (static_cast<float>(px[i]) - z0) * s0;
        } else {
          const uint8_t* px = x.data<uint8_t>();
          for (int64_t i = b; i < e; ++i) py[i] = (static_cast<float>(px[i]) - z0) * s0;
        }
      });
      return Status::ok();
    }
    // int32 x with an int32 zero point computes in float64 in numpy; everything else in float32.
    const DType p = x.dtype() == DType::kInt32 && zp ? DType::kFloat64 : DType::kFloat32;
    for_blocks(ctx, x.size(), 4.0, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double dx = static_cast<float>(load(x, i));
        if (zp) dx = round_to(p, dx - load(*zp, zm(i)));
        store_float(y, i, round_to(promote(p, scale.dtype()) == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32,
                                   dx * load(scale, sm(i))));
      }
    });
    return Status::ok();
  }
};

// ---- DynamicQuantizeLinear (uint8, float32 arithmetic as in the spec's formula)
Status dynamic_quantize_run(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  if (x.dtype() != DType::kFloat32) return ctx.error("x must be float, got " + name(x.dtype()));
  const float* px = x.data<float>();
  // Per-thread minima and maxima, then theirs: min and max are exact, so any split gives the same.
  const int threads = ctx.threads().num_threads();
  std::vector<float> part_lo(static_cast<size_t>(threads), 0.0f), part_hi(static_cast<size_t>(threads), 0.0f);
  const int64_t chunk = (x.size() + threads - 1) / threads;
  const ew::MinMaxF32Fn minmax = ew::minmax_f32_ukernel();
  ctx.threads().parallel_for(threads, 2.0 * static_cast<double>(chunk), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = std::min(x.size(), t * chunk), e = std::min(x.size(), b + chunk);
      minmax(px + b, e - b, &part_lo[static_cast<size_t>(t)], &part_hi[static_cast<size_t>(t)]);
    }
  });
  float mx = 0, mn = 0;
  for (int t = 0; t < threads; ++t) {
    mx = std::max(mx, part_hi[static_cast<size_t>(t)]);
    mn = std::min(mn, part_lo[static_cast<size_t>(t)]);
  }
  const float scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
  const float zp_f = std::clamp(0.0f - mn / scale, 0.0f, 255.0f);
  // NaN when the data holds infinities (scale inf, mn / scale NaN); clamp passes NaN through.
  const float zpi = std::isnan(zp_f) ? 0.0f : std::nearbyint(zp_f);
  Tensor& y = *ctx.output(0);
  uint8_t* py = y.data<uint8_t>();
  const ew::QuantizeU8Fn quantize = ew::quantize_u8_ukernel();
  ctx.threads().parallel_for(x.size(), 4.0, [&](int64_t b, int64_t e) { quantize(px + b, e - b, scale, zpi, py + b); });
  if (ctx.num_outputs() > 1 && ctx.output(1)) ctx.output(1)->data<float>()[0] = scale;
  if (ctx.num_outputs() > 2 && ctx.output(2)) ctx.output(2)->data<uint8_t>()[0] = static_cast<uint8_t>(zpi);
  return Status::ok();
}

// ---- MatMulInteger / QLinearMatMul: batched numpy.matmul on zero-point-shifted integers.
struct MatMulGeom {
  int64_t M = 1, K = 1, N = 1, batch = 1;
  std::vector<int64_t> a_off, b_off;  // per output batch: element offset of A's / B's matrix
};

Expected<MatMulGeom> matmul_geom(KernelContext& ctx, const Tensor& a, const Tensor& b) {
  if (a.rank() == 0 || b.rank() == 0) return ctx.error("operands must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  MatMulGeom g;
  g.M = as[as.size() - 2];
  g.K = as.back();
  g.N = bs.back();
  if (bs[bs.size() - 2] != g.K)
    return ctx.error("inner dims differ: " + std::to_string(g.K) + " vs " + std::to_string(bs[bs.size() - 2]));
  const size_t ra = as.size() - 2, rb = bs.size() - 2, r = std::max(ra, rb);
  Shape batch(r, 1), sa(r, 0), sb(r, 0);
  int64_t stride_a = g.M * g.K, stride_b = g.K * g.N;
  for (size_t k = 0; k < r; ++k) {
    const size_t d = r - 1 - k;
    const int64_t da = k < ra ? as[ra - 1 - k] : 1, db = k < rb ? bs[rb - 1 - k] : 1;
    if (da != db && da != 1 && db != 1) return ctx.error("batch dims do not broadcast");
    batch[d] = std::max(da, db);
    if (da == 0 || db == 0) batch[d] = 0;
    sa[d] = da == 1 ? 0 : stride_a;
    sb[d] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
  }
  g.batch = shape_size(batch);
  g.a_off.resize(static_cast<size_t>(g.batch));
  g.b_off.resize(static_cast<size_t>(g.batch));
  for (int64_t i = 0; i < g.batch; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t k = r; k-- > 0;) {
      const int64_t idx = rem % batch[k];
      rem /= batch[k];
      oa += idx * sa[k];
      ob += idx * sb[k];
    }
    g.a_off[static_cast<size_t>(i)] = oa;
    g.b_off[static_cast<size_t>(i)] = ob;
  }
  return g;
}

int64_t load_int(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt8 ? t.data<int8_t>()[i] : t.data<uint8_t>()[i];
}

// A zero point (or scale) that is per tensor (1 element) or per row/column (`n` elements).
Expected<bool> per_vector(KernelContext& ctx, const Tensor* t, int64_t n, const char* what) {
  if (!t || t->size() == 1) return false;
  if (t->size() == n) return true;
  return ctx.error(std::string(what) + " must have 1 or " + std::to_string(n) + " elements, got " +
                   std::to_string(t->size()));
}

QuantOperand quant_operand(const Tensor& t, int64_t ld, const Tensor* zp) {
  return {t.raw(), t.dtype() == DType::kInt8, ld, zp ? zp->raw() : nullptr, zp ? zp->size() : 0};
}

// MatMulInteger and QLinearMatMul. The int32 products come from qgemm (CPU table, B prepacked
// when it and its zero point are constant) or from the plain loops (reference table); the
// requantization of QLinearMatMul is the same code for both.
class MatMulKernel final : public Kernel {
 public:
  bool qlinear = false;
  bool to_float = false;  // com.onnxrt MatMulIntegerToFloat: float(products) * scale (+ bias)
  bool use_qgemm = false;
  QuantPackedB packed;  // constant 2-D B minus its constant zero point

  const char* variant() const override { return use_qgemm ? "qgemm" : "loop"; }
  bool prepacked_input(size_t i) const override { return i == (qlinear ? 3u : 1u) && !packed.empty(); }

  Status run(KernelContext& ctx) const override {
    const size_t ia = 0, ib = qlinear ? 3 : 1;
    const Tensor& a = *ctx.input(ia);
    const Tensor& b = *ctx.input(ib);
    const Tensor* azp = qlinear ? ctx.input(2) : (ctx.num_inputs() > 2 ? ctx.input(2) : nullptr);
    const Tensor* bzp = qlinear ? ctx.input(5) : (ctx.num_inputs() > 3 ? ctx.input(3) : nullptr);
    Tensor& y = *ctx.output(0);
    for (const Tensor* t : {&a, &b})
      if (!is_quant8(t->dtype())) return ctx.error("operands must be int8 or uint8, got " + name(t->dtype()));
    if (azp && azp->dtype() != a.dtype()) return ctx.error("a_zero_point must be " + name(a.dtype()));
    if (bzp && bzp->dtype() != b.dtype()) return ctx.error("b_zero_point must be " + name(b.dtype()));
    ONNXRT_ASSIGN_OR_RETURN(MatMulGeom g, matmul_geom(ctx, a, b));
    if (y.size() != g.batch * g.M * g.N) return ctx.error("output has the wrong element count");
    ONNXRT_ASSIGN_OR_RETURN(bool azp_row, per_vector(ctx, azp, g.M, "a_zero_point"));
    ONNXRT_ASSIGN_OR_RETURN(bool bzp_col, per_vector(ctx, bzp, g.N, "b_zero_point"));
    const Tensor* as = qlinear ? ctx.input(1) : nullptr;
    const Tensor* bs = qlinear ? ctx.input(4) : nullptr;
    const Tensor* ys = qlinear ? ctx.input(6) : nullptr;
    const Tensor* yzp = qlinear && ctx.num_inputs() > 7 ? ctx.input(7) : nullptr;
    bool as_row = false, bs_col = false;
    if (qlinear) {
      ONNXRT_ASSIGN_OR_RETURN(as_row, per_vector(ctx, as, g.M, "a_scale"));
      ONNXRT_ASSIGN_OR_RETURN(bs_col, per_vector(ctx, bs, g.N, "b_scale"));
      if (ys->size() != 1) return ctx.error("y_scale must be a scalar");
      if (yzp && yzp->size() != 1) return ctx.error("y_zero_point must be a scalar");
    }
    const Tensor* scale = to_float ? ctx.input(4) : nullptr;
    const Tensor* bias = to_float && ctx.num_inputs() > 5 ? ctx.input(5) : nullptr;
    if (to_float) {
      if (!scale || scale->dtype() != DType::kFloat32 || (scale->size() != 1 && scale->size() != g.N))
        return ctx.error("scale must be float with 1 or " + std::to_string(g.N) + " elements");
      if (bias && (bias->dtype() != DType::kFloat32 || bias->size() != g.N))
        return ctx.error("bias must be float with " + std::to_string(g.N) + " elements");
    }
    int32_t* acc = qlinear || to_float ? static_cast<int32_t*>(ctx.scratch(static_cast<size_t>(y.size()) * 4 + 64))
                                       : y.data<int32_t>();
    if (use_qgemm) {
      products_qgemm(ctx, g, a, b, azp, bzp, acc);
    } else {
      products_loop(ctx, g, a, b, azp, azp_row, bzp, bzp_col, acc);
    }
    if (to_float) {
      // What Cast(to float), Mul(scale) and Add(bias) compute, in that order, a row at a time;
      // separate loops so that each vectorizes. (Converting each block of products inside qgemm,
      // while in cache, was slower: 185 against 180 ms for the quantized BERT, bench_model.)
      const float* ps = scale->data<float>();
      const float* pb = bias ? bias->data<float>() : nullptr;
      float* py = y.data<float>();
      ctx.threads().parallel_for(g.batch * g.M, 2.0 * static_cast<double>(g.N), [&](int64_t r0, int64_t r1) {
        for (int64_t row = r0; row < r1; ++row) {
          const int32_t* ar = acc + row * g.N;
          float* yr = py + row * g.N;
          if (scale->size() == 1) {
            const float s0 = ps[0];
            for (int64_t n = 0; n < g.N; ++n) yr[n] = static_cast<float>(ar[n]) * s0;
          } else {
            for (int64_t n = 0; n < g.N; ++n) yr[n] = static_cast<float>(ar[n]) * ps[n];
          }
          if (pb)
            for (int64_t n = 0; n < g.N; ++n) yr[n] += pb[n];
        }
      });
      return Status::ok();
    }
    if (!qlinear) return Status::ok();

    // numpy: (a_scale * b_scale / y_scale) in the scales' type, then int32 * that in float64.
    const DType sp = promote(promote(as->dtype(), bs->dtype()), ys->dtype());
    int64_t lo = 0, hi = 0;
    int_range(y.dtype(), &lo, &hi);
    const double y_scale = load(*ys, 0), y_zero = yzp ? static_cast<double>(load_int(*yzp, 0)) : 0.0;
    auto mult = [&](int64_t m, int64_t n) {
      return round_to(sp, round_to(sp, load(*as, as_row ? m : 0) * load(*bs, bs_col ? n : 0)) / y_scale);
    };
    std::vector<double> col_mult;  // per column when the multiplier does not depend on the row
    if (!as_row) {
      col_mult.resize(static_cast<size_t>(g.N));
      for (int64_t n = 0; n < g.N; ++n) col_mult[static_cast<size_t>(n)] = mult(0, n);
    }
    const ew::Requantize8BitFn requantize = ew::requantize_8bit_ukernel();
    const bool bytes_out = is_quant8(y.dtype()) && !as_row;
    auto* y8 = static_cast<uint8_t*>(y.raw());
    ctx.threads().parallel_for(g.batch * g.M, 8.0 * static_cast<double>(g.N), [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        const int64_t m = row % g.M;
        if (bytes_out) {
          requantize(acc + row * g.N, g.N, col_mult.data(), 1, y_zero, static_cast<int32_t>(lo), static_cast<int32_t>(hi),
                     y8 + row * g.N);
          continue;
        }
        for (int64_t n = 0; n < g.N; ++n) {
          const double k = as_row ? mult(m, n) : col_mult[static_cast<size_t>(n)];
          const double d = static_cast<double>(acc[row * g.N + n]) * k;
          store_int(y, row * g.N + n, round_saturate(yzp ? d + y_zero : d, lo, hi));
        }
      }
    });
    return Status::ok();
  }

 private:
  // The reference: int64 sums of zero-point-shifted products, stored as int32 (wrapping).
  void products_loop(KernelContext& ctx, const MatMulGeom& g, const Tensor& a, const Tensor& b, const Tensor* azp,
                     bool azp_row, const Tensor* bzp, bool bzp_col, int32_t* out) const {
    ctx.threads().parallel_for(g.batch * g.M, static_cast<double>(g.K * g.N), [&](int64_t begin, int64_t end) {
      std::vector<int64_t> acc(static_cast<size_t>(g.N));
      for (int64_t row = begin; row < end; ++row) {
        const int64_t bi = row / g.M, m = row % g.M;
        const int64_t a0 = g.a_off[static_cast<size_t>(bi)] + m * g.K, b0 = g.b_off[static_cast<size_t>(bi)];
        const int64_t za = azp ? load_int(*azp, azp_row ? m : 0) : 0;
        std::fill(acc.begin(), acc.end(), 0);
        for (int64_t k = 0; k < g.K; ++k) {
          const int64_t av = load_int(a, a0 + k) - za;
          if (av == 0) continue;
          for (int64_t n = 0; n < g.N; ++n) {
            const int64_t zb = bzp ? load_int(*bzp, bzp_col ? n : 0) : 0;
            acc[static_cast<size_t>(n)] += av * (load_int(b, b0 + k * g.N + n) - zb);
          }
        }
        for (int64_t n = 0; n < g.N; ++n)
          out[row * g.N + n] = static_cast<int32_t>(static_cast<uint32_t>(acc[static_cast<size_t>(n)]));
      }
    });
  }

  void products_qgemm(KernelContext& ctx, const MatMulGeom& g, const Tensor& a, const Tensor& b, const Tensor* azp,
                      const Tensor* bzp, int32_t* out) const {
    if (g.batch == 0 || g.M == 0 || g.N == 0) return;
    // Batches that share one B and whose A matrices follow each other run as one product of
    // batch * M rows (a per-row zero point repeats every M rows).
    bool stacked = true;
    for (int64_t i = 0; i < g.batch; ++i) {
      stacked = stacked && g.b_off[static_cast<size_t>(i)] == g.b_off[0] && g.a_off[static_cast<size_t>(i)] == i * g.M * g.K;
    }
    const int64_t rows = stacked ? g.batch * g.M : g.M;
    auto* a_scratch = static_cast<int16_t*>(ctx.scratch(qgemm_scratch_elements(rows, g.K) * 2 + 64));
    QuantPackedB per_run;
    int16_t* b_scratch = nullptr;
    if (packed.empty()) b_scratch = static_cast<int16_t*>(ctx.scratch(QuantPackedB::packed_elements(g.K, g.N) * 2 + 64));
    const auto* a_bytes = static_cast<const uint8_t*>(a.raw());
    for (int64_t i = 0; i < (stacked ? 1 : g.batch); ++i) {
      const int64_t b_off = g.b_off[static_cast<size_t>(i)];
      if (packed.empty() && (i == 0 || b_off != g.b_off[static_cast<size_t>(i - 1)])) {
        QuantOperand qb = quant_operand(b, g.N, bzp);
        qb.data = static_cast<const uint8_t*>(b.raw()) + b_off;
        per_run = QuantPackedB::pack_into(g.K, g.N, qb, b_scratch);
      }
      QuantOperand qa = quant_operand(a, g.K, azp);
      qa.data = a_bytes + g.a_off[static_cast<size_t>(i)];
      qgemm(rows, qa, packed.empty() ? per_run : packed, out + i * g.M * g.N, g.N, a_scratch, &ctx.threads());
    }
  }
};

// ---- ConvInteger / QLinearConv: direct N-D convolution of zero-point-shifted integers.
// ConvInteger and QLinearConv. The int32 sums (bias included) come from im2col + qgemm (CPU
// table) or from the direct loops (reference table); QLinearConv's requantization is shared.
class ConvKernel final : public Kernel {
 public:
  bool qlinear = false;
  bool use_qgemm = false;
  ir::WindowAttrs win;
  int64_t group = 1;

  const char* variant() const override { return use_qgemm ? "im2col_qgemm" : "loop"; }

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    const Tensor& w = *ctx.input(qlinear ? 3 : 1);
    const Tensor* xzp = qlinear ? ctx.input(2) : (ctx.num_inputs() > 2 ? ctx.input(2) : nullptr);
    const Tensor* wzp = qlinear ? ctx.input(5) : (ctx.num_inputs() > 3 ? ctx.input(3) : nullptr);
    const Tensor* bias = qlinear && ctx.num_inputs() > 8 ? ctx.input(8) : nullptr;
    Tensor& y = *ctx.output(0);
    for (const Tensor* t : {&x, &w})
      if (!is_quant8(t->dtype())) return ctx.error("X and W must be int8 or uint8, got " + name(t->dtype()));
    if (xzp && xzp->dtype() != x.dtype()) return ctx.error("x_zero_point must be " + name(x.dtype()));
    if (wzp && wzp->dtype() != w.dtype()) return ctx.error("w_zero_point must be " + name(w.dtype()));
    if (x.rank() < 3 || w.rank() != x.rank()) return ctx.error("X and W must have the same rank >= 3");
    const size_t sr = static_cast<size_t>(x.rank() - 2);
    if (win.rank() != sr) return ctx.error("window rank does not match X");
    QconvGeometry geo;
    geo.in.assign(x.shape().begin() + 2, x.shape().end());
    auto dims = ir::window_dims(win, geo.in);
    if (!dims) return ctx.error(dims.status().message());
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), CG = w.dim(1);
    if (CG * group != C || M % group != 0)
      return ctx.error("channels do not match: X has " + std::to_string(C) + ", W " +
                       std::to_string(M) + "x" + std::to_string(CG) + ", group " + std::to_string(group));
    for (size_t d = 0; d < sr; ++d)
      if (w.dim(static_cast<int64_t>(d + 2)) != win.kernel[d]) return ctx.error("W's spatial dims differ from kernel_shape");
    if (xzp && xzp->size() != 1) return ctx.error("x_zero_point must be a scalar");
    ONNXRT_ASSIGN_OR_RETURN(bool wzp_ch, per_vector(ctx, wzp, M, "w_zero_point"));
    if (bias && bias->size() != M) return ctx.error("B must have " + std::to_string(M) + " elements");
    if (bias && bias->dtype() != DType::kInt32) return ctx.error("B must be int32, got " + name(bias->dtype()));
    const Tensor* xs = qlinear ? ctx.input(1) : nullptr;
    const Tensor* ws = qlinear ? ctx.input(4) : nullptr;
    const Tensor* ys = qlinear ? ctx.input(6) : nullptr;
    const Tensor* yzp = qlinear && ctx.num_inputs() > 7 ? ctx.input(7) : nullptr;
    bool ws_ch = false;
    if (qlinear) {
      ONNXRT_ASSIGN_OR_RETURN(ws_ch, per_vector(ctx, ws, M, "w_scale"));
      if (xs->size() != 1 || ys->size() != 1) return ctx.error("x_scale and y_scale must be scalars");
    }
    geo.kernel = win.kernel;
    geo.strides = win.strides;
    geo.dilations = win.dilations;
    geo.out = std::move(*dims);
    for (size_t d = 0; d < sr; ++d) {
      geo.out_pixels *= geo.out[d].out;
      geo.in_pixels *= geo.in[d];
      geo.window *= win.kernel[d];
    }
    if (y.size() != N * M * geo.out_pixels) return ctx.error("output has the wrong element count");
    int32_t* acc = qlinear ? static_cast<int32_t*>(ctx.scratch(static_cast<size_t>(y.size()) * 4 + 64))
                           : y.data<int32_t>();
    if (use_qgemm) {
      sums_qgemm(ctx, geo, x, w, xzp, wzp, wzp_ch, bias, acc);
    } else {
      sums_loop(ctx, geo, x, w, xzp, wzp, wzp_ch, bias, acc);
    }
    if (!qlinear) return Status::ok();

    const DType sp = promote(promote(xs->dtype(), ws->dtype()), ys->dtype());
    int64_t lo = 0, hi = 0;
    int_range(y.dtype(), &lo, &hi);
    const double y_zero = yzp ? static_cast<double>(load_int(*yzp, 0)) : 0.0;
    const ew::Requantize8BitFn requantize = ew::requantize_8bit_ukernel();
    auto* y8 = static_cast<uint8_t*>(y.raw());
    ctx.threads().parallel_for(N * M, 8.0 * static_cast<double>(geo.out_pixels), [&](int64_t r0, int64_t r1) {
      for (int64_t nm = r0; nm < r1; ++nm) {
        const int64_t m = nm % M;
        const double mult = round_to(sp, round_to(sp, load(*xs, 0) * load(*ws, ws_ch ? m : 0)) / load(*ys, 0));
        if (is_quant8(y.dtype())) {
          requantize(acc + nm * geo.out_pixels, geo.out_pixels, &mult, 0, y_zero, static_cast<int32_t>(lo),
                     static_cast<int32_t>(hi), y8 + nm * geo.out_pixels);
          continue;
        }
        for (int64_t i = nm * geo.out_pixels; i < (nm + 1) * geo.out_pixels; ++i) {
          const double d = static_cast<double>(acc[i]) * mult;
          // The reference clips before rounding (same result: the bounds are integers).
          store_int(y, i, round_saturate(yzp ? d + y_zero : d, lo, hi));
        }
      }
    });
    return Status::ok();
  }

 private:
  // The reference: direct N-D loops in int64, stored as int32 (wrapping).
  void sums_loop(KernelContext& ctx, const QconvGeometry& geo, const Tensor& x, const Tensor& w, const Tensor* xzp,
                 const Tensor* wzp, bool wzp_ch, const Tensor* bias, int32_t* out) const {
    const size_t sr = geo.in.size();
    const int64_t C = x.dim(1), M = w.dim(0), CG = w.dim(1), mpg = M / group;
    const int64_t zx = xzp ? load_int(*xzp, 0) : 0;
    ctx.threads().parallel_for(x.dim(0) * M, static_cast<double>(geo.out_pixels * CG * geo.window),
                               [&](int64_t begin, int64_t end) {
      std::vector<int64_t> opos(sr), kpos(sr);
      for (int64_t nm = begin; nm < end; ++nm) {
        const int64_t n = nm / M, m = nm % M, g = m / mpg;
        const int64_t zw = wzp ? load_int(*wzp, wzp_ch ? m : 0) : 0;
        for (int64_t o = 0; o < geo.out_pixels; ++o) {
          int64_t rem = o;
          for (size_t d = sr; d-- > 0;) {
            opos[d] = rem % geo.out[d].out;
            rem /= geo.out[d].out;
          }
          int64_t acc = bias ? bias->data<int32_t>()[m] : 0;
          for (int64_t c = 0; c < CG; ++c) {
            const int64_t xc = (n * C + g * CG + c) * geo.in_pixels;
            const int64_t wc = (m * CG + c) * geo.window;
            for (int64_t k = 0; k < geo.window; ++k) {
              int64_t kr = k, xoff = 0;
              bool inside = true;
              for (size_t d = sr; d-- > 0;) {
                kpos[d] = kr % geo.kernel[d];
                kr /= geo.kernel[d];
              }
              for (size_t d = 0; d < sr && inside; ++d) {
                const int64_t p = opos[d] * geo.strides[d] - geo.out[d].pad_begin + kpos[d] * geo.dilations[d];
                inside = p >= 0 && p < geo.in[d];
                xoff = xoff * geo.in[d] + p;
              }
              if (!inside) continue;
              acc += (load_int(x, xc + xoff) - zx) * (load_int(w, wc + k) - zw);
            }
          }
          out[nm * geo.out_pixels + o] = static_cast<int32_t>(static_cast<uint32_t>(acc));
        }
      }
    });
  }

  // Per image and group: Y_g[mpg, pixels] = (W_g - zw) [mpg, CG * window] x (patches - zx). W is
  // the GEMM's A (its per-channel zero points are per row); the patches are its B, packed per run.
  // A 1x1 window with stride 1 and no padding reads X's planes as they are.
  void sums_qgemm(KernelContext& ctx, const QconvGeometry& geo, const Tensor& x, const Tensor& w, const Tensor* xzp,
                  const Tensor* wzp, bool wzp_ch, const Tensor* bias, int32_t* out) const {
    const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), CG = w.dim(1), mpg = M / group;
    const int64_t K = CG * geo.window, P = geo.out_pixels;
    if (N == 0 || M == 0 || P == 0) return;
    if (geo.in.size() == 2 && CG == 1 && group > 1 && geo.window <= kExactFloatTaps)
      return sums_depthwise_f32(ctx, geo, x, w, xzp, wzp, wzp_ch, bias, out);
    bool direct = geo.window == 1;
    for (size_t d = 0; d < geo.in.size(); ++d)
      direct = direct && geo.strides[d] == 1 && geo.out[d].pad_begin == 0 && geo.out[d].out == geo.in[d];
    // Pixels in blocks whose packed patches take at most about kPackedBlockBytes, so that scratch
    // stays bounded on large images. (Each block packs W again: 1 MB blocks cost the 3x3 convs of
    // the QLinearConv chain ~7%; at 4 MB its convs run in one block.)
    const int64_t block = std::min(P, std::max<int64_t>(ukernels::kIgemmCols,
                                                         kPackedBlockBytes / (2 * K) / ukernels::kIgemmCols *
                                                             ukernels::kIgemmCols));
    const uint8_t pad = xzp ? static_cast<const uint8_t*>(xzp->raw())[0] : 0;
    auto* cols = direct ? nullptr : static_cast<uint8_t*>(ctx.scratch(static_cast<size_t>(K * block) + 64));
    auto* b_scratch = static_cast<int16_t*>(ctx.scratch(QuantPackedB::packed_elements(K, block) * 2 + 64));
    auto* a_scratch = static_cast<int16_t*>(ctx.scratch(qgemm_scratch_elements(mpg, K) * 2 + 64));
    const auto* xb = static_cast<const uint8_t*>(x.raw());
    const auto* wb = static_cast<const uint8_t*>(w.raw());
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t g = 0; g < group; ++g) {
        const uint8_t* xg = xb + (n * C + g * CG) * geo.in_pixels;
        const int64_t m0 = g * mpg;
        const QuantOperand weights{wb + m0 * K, w.dtype() == DType::kInt8, K,
                                   wzp ? static_cast<const uint8_t*>(wzp->raw()) + (wzp_ch ? m0 : 0) : nullptr,
                                   wzp ? (wzp_ch ? mpg : 1) : 0};
        int32_t* og = out + (n * M + m0) * P;
        for (int64_t p0 = 0; p0 < P; p0 += block) {
          const int64_t p1 = std::min(P, p0 + block);
          if (!direct) {
            ctx.threads().parallel_for(CG, static_cast<double>(geo.window * (p1 - p0)), [&](int64_t c0, int64_t c1) {
              qconv_im2col(geo, p0, p1, c0, c1, xg, pad, cols);
            });
          }
          const QuantOperand patches{direct ? xg + p0 : cols, x.dtype() == DType::kInt8, direct ? P : p1 - p0,
                                     xzp ? xzp->raw() : nullptr, xzp ? 1 : 0};
          const QuantPackedB packed =
              QuantPackedB::pack_into(K, p1 - p0, patches, b_scratch, QgemmIsa::kAuto, &ctx.threads());
          qgemm(mpg, weights, packed, og + p0, P, a_scratch, &ctx.threads());
        }
        if (!bias) continue;
        for (int64_t m = 0; m < mpg; ++m) {
          const auto b = static_cast<uint32_t>(bias->data<int32_t>()[m0 + m]);
          for (int64_t i = m * P; i < (m + 1) * P; ++i) og[i] = static_cast<int32_t>(static_cast<uint32_t>(og[i]) + b);
        }
      }
    }
  }

  static constexpr int64_t kPackedBlockBytes = 4 << 20;

  // A depthwise window of at most kExactFloatTaps taps sums products of at most 255 * 255 into
  // less than 2^24, so float32 holds every partial sum exactly, in any order: the zero-point
  // shifted values run through the float depthwise kernel (padding 0 = the zero point) and come
  // back as the exact int32 sums. One GEMM per channel would pack a 1-row A and a 9-row B each.
  static constexpr int64_t kExactFloatTaps = 258;
  void sums_depthwise_f32(KernelContext& ctx, const QconvGeometry& geo, const Tensor& x, const Tensor& w,
                          const Tensor* xzp, const Tensor* wzp, bool wzp_ch, const Tensor* bias, int32_t* out) const {
    nn::ConvGeom g;
    g.N = x.dim(0), g.C = x.dim(1), g.M = w.dim(0), g.G = group, g.Cg = 1, g.Mg = g.M / group;
    g.in = geo.in, g.kernel = geo.kernel, g.stride = geo.strides, g.dil = geo.dilations;
    for (const ir::WindowDim& d : geo.out) g.out.push_back(d.out), g.pad_begin.push_back(d.pad_begin);
    g.in_size = geo.in_pixels, g.out_size = geo.out_pixels, g.kernel_size = geo.window;
    const int64_t nx = x.size(), nw = w.size(), ny = g.N * g.M * g.out_size;
    auto* xf = static_cast<float*>(ctx.scratch(static_cast<size_t>(nx + nw + ny) * 4 + 64));
    float* wf = xf + nx;
    float* yf = wf + nw;
    const float zx = xzp ? static_cast<float>(load_int(*xzp, 0)) : 0.0f;
    for_blocks(ctx, nx, 1.0, [&](int64_t b, int64_t e) {
      if (x.dtype() == DType::kInt8) {
        for (int64_t i = b; i < e; ++i) xf[i] = static_cast<float>(x.data<int8_t>()[i]) - zx;
      } else {
        for (int64_t i = b; i < e; ++i) xf[i] = static_cast<float>(x.data<uint8_t>()[i]) - zx;
      }
    });
    for (int64_t i = 0; i < nw; ++i) {
      const int64_t m = i / geo.window;
      wf[i] = static_cast<float>(load_int(w, i) - (wzp ? load_int(*wzp, wzp_ch ? m : 0) : 0));
    }
    depthwise::conv(g, xf, wf, nullptr, nullptr, ir::FusedActivation{}, yf, ctx.threads());
    ctx.threads().parallel_for(g.N * g.M, static_cast<double>(g.out_size), [&](int64_t p0, int64_t p1) {
      for (int64_t plane = p0; plane < p1; ++plane) {
        const auto bias_m = bias ? static_cast<uint32_t>(bias->data<int32_t>()[plane % g.M]) : 0u;
        for (int64_t i = plane * g.out_size; i < (plane + 1) * g.out_size; ++i)
          out[i] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(yf[i])) + bias_m);
      }
    });
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_quantize_linear(const KernelInit& init) {
  ir::AttrReader a(init.node);
  auto k = std::make_unique<QuantizeKernel>();
  k->axis = a.i("axis", 1);
  k->block = a.i("block_size", 0);
  k->saturate = a.i("saturate", 1) != 0;
  const int64_t prec = a.i("precision", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (prec != 0) {
    const auto p = static_cast<DType>(prec);
    if (p != DType::kFloat32 && p != DType::kFloat16 && p != DType::kBFloat16 && p != DType::kFloat64)
      return init.error("precision must be a float type, got " + std::to_string(prec));
    k->precision = p;
  }
  if (init.input_types.size() < 2 || !init.input_types[0] || !init.input_types[1])
    return init.error("needs inputs x and y_scale");
  return std::unique_ptr<Kernel>(std::move(k));
}

Expected<std::unique_ptr<Kernel>> make_dequantize_linear(const KernelInit& init) {
  ir::AttrReader a(init.node);
  auto k = std::make_unique<DequantizeKernel>();
  k->axis = a.i("axis", 1);
  k->block = a.i("block_size", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (init.input_types.size() < 2 || !init.input_types[0] || !init.input_types[1])
    return init.error("needs inputs x and x_scale");
  return std::unique_ptr<Kernel>(std::move(k));
}

Expected<std::unique_ptr<Kernel>> make_dynamic_quantize_linear(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&dynamic_quantize_run, "default"));
}

namespace {
const Tensor* constant_input(const KernelInit& init, size_t i) {
  return i < init.constant_inputs.size() ? init.constant_inputs[i] : nullptr;
}

// `fast`: products through qgemm, with B packed here when it is a constant matrix whose zero
// point (absent, or one per tensor or per column) is constant too.
Expected<std::unique_ptr<Kernel>> make_matmul(const KernelInit& init, bool qlinear, bool fast, bool to_float = false) {
  if (qlinear && init.input_types.size() < 7) return init.error("needs 8 inputs");
  if (to_float && init.input_types.size() < 5) return init.error("needs a scale (input 4)");
  auto k = std::make_unique<MatMulKernel>();
  k->qlinear = qlinear;
  k->to_float = to_float;
  k->use_qgemm = fast;
  const size_t ib = qlinear ? 3 : 1, izb = qlinear ? 5 : 3;
  const Tensor* b = constant_input(init, ib);
  const bool zb_given = izb < init.input_types.size() && init.input_types[izb];
  const Tensor* zb = constant_input(init, izb);
  if (fast && b && b->rank() == 2 && is_quant8(b->dtype()) && (!zb_given || zb)) {
    const int64_t K = b->dim(0), N = b->dim(1);
    const bool zb_ok = !zb || (zb->dtype() == b->dtype() && (zb->size() == 1 || zb->size() == N));
    if (zb_ok) k->packed = QuantPackedB::pack(K, N, quant_operand(*b, N, zb));
  }
  return std::unique_ptr<Kernel>(std::move(k));
}
}  // namespace

Expected<std::unique_ptr<Kernel>> make_matmul_integer(const KernelInit& init) { return make_matmul(init, false, false); }
Expected<std::unique_ptr<Kernel>> make_qlinear_matmul(const KernelInit& init) { return make_matmul(init, true, false); }
Expected<std::unique_ptr<Kernel>> make_matmul_integer_qgemm(const KernelInit& init) {
  return make_matmul(init, false, true);
}
Expected<std::unique_ptr<Kernel>> make_qlinear_matmul_qgemm(const KernelInit& init) {
  return make_matmul(init, true, true);
}
Expected<std::unique_ptr<Kernel>> make_matmul_integer_to_float(const KernelInit& init) {
  return make_matmul(init, false, false, true);
}
Expected<std::unique_ptr<Kernel>> make_matmul_integer_to_float_qgemm(const KernelInit& init) {
  return make_matmul(init, false, true, true);
}

namespace {
Expected<std::unique_ptr<Kernel>> make_conv(const KernelInit& init, bool qlinear, bool fast) {
  const size_t iw = qlinear ? 3 : 1;
  if (init.input_types.size() <= iw || !init.input_types[0] || !init.input_types[iw])
    return init.error("needs inputs X and W");
  const ir::ValueType& wt = *init.input_types[iw];
  const ir::ValueType& xt = *init.input_types[0];
  int64_t rank = xt.has_shape ? xt.rank() : (wt.has_shape ? wt.rank() : -1);
  if (rank < 3) return init.error("X must have a known rank >= 3");
  std::vector<int64_t> kw(static_cast<size_t>(rank - 2), -1);
  if (wt.has_shape)
    for (int64_t d = 2; d < rank; ++d)
      if (wt.shape[static_cast<size_t>(d)].is_known()) kw[static_cast<size_t>(d - 2)] = wt.shape[static_cast<size_t>(d)].value();
  auto k = std::make_unique<ConvKernel>();
  k->qlinear = qlinear;
  k->use_qgemm = fast;
  ir::AttrReader a(init.node);
  k->group = a.i("group", 1);
  Status st = ir::read_window_attrs(a, static_cast<size_t>(rank - 2), kw, false, &k->win);
  if (!st) return init.error(st.message());
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (k->group <= 0) return init.error("group must be positive");
  for (int64_t kd : k->win.kernel)
    if (kd <= 0) return init.error("kernel shape must be known (from W or kernel_shape)");
  return std::unique_ptr<Kernel>(std::move(k));
}
}  // namespace

Expected<std::unique_ptr<Kernel>> make_conv_integer(const KernelInit& init) { return make_conv(init, false, false); }
Expected<std::unique_ptr<Kernel>> make_qlinear_conv(const KernelInit& init) { return make_conv(init, true, false); }
Expected<std::unique_ptr<Kernel>> make_conv_integer_qgemm(const KernelInit& init) {
  return make_conv(init, false, true);
}
Expected<std::unique_ptr<Kernel>> make_qlinear_conv_qgemm(const KernelInit& init) { return make_conv(init, true, true); }

}  // namespace onnxrt::kernels::quant
