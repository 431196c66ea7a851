// Softmax, LogSoftmax, Hardmax and Dropout (inference) on the CPU.
// Softmax subtracts the row maximum before exp so that large logits cannot overflow; LogSoftmax
// is x - max - log(sum exp(x - max)), never log(softmax) (which underflows to -inf).
// Before opset 13 the input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)]; from 13
// the op runs along one axis, which for a non-last axis is done on blocks of up to 64 inner
// columns at once so that every pass reads contiguous memory.
// float16 and bfloat16 run natively: each row (or block of columns) is widened into a float32
// buffer of the task, computed there by the float32 code, and narrowed once on the way out, so
// there is one rounding per output and no whole-tensor copies.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "base/half.h"
#include "base/thread_pool.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_types.h"
#include "kernels/ukernels/elementwise/ukernels.h"

namespace onnxrt::kernels {

namespace {

enum class SoftKind { kSoftmax, kLogSoftmax, kHardmax };

void row_contiguous(SoftKind kind, const float* x, float* y, int64_t n) {
  if (n == 0) return;
  if (kind == SoftKind::kHardmax) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
      if (x[i] > x[best]) best = i;
    std::fill(y, y + n, 0.0f);
    y[best] = 1.0f;
    return;
  }
  // One vectorized microkernel call per row (with scalar std::exp and running max/sum loops,
  // Softmax 12x128x128 took 0.8 ms on one thread; as five microkernel calls per row, 0.14 ms).
  if (kind == SoftKind::kSoftmax) {
    static const ew::SoftmaxRowF32Fn softmax_row = ew::softmax_row_f32_ukernel();
    softmax_row(x, nullptr, 0, y, n);
    return;
  }
  // LogSoftmax likewise (with scalar std::exp, [1, 128, 768] took 0.60 ms against
  // onnxruntime's 0.08).
  static const ew::LogSoftmaxRowF32Fn log_softmax_row = ew::log_softmax_row_f32_ukernel();
  log_softmax_row(x, y, n);
}

constexpr int64_t kBlock = 64;

// Columns [j0, j1) of one outer slice laid out [n][inner].
void block_strided(SoftKind kind, const float* x, float* y, int64_t n, int64_t inner, int64_t j0,
                   int64_t j1) {
  const int64_t w = j1 - j0;
  float m[kBlock];
  int64_t arg[kBlock];
  double sum[kBlock];
  if (n == 0) return;
  for (int64_t j = 0; j < w; ++j) {
    m[j] = x[j0 + j];
    arg[j] = 0;
  }
  for (int64_t k = 1; k < n; ++k) {
    const float* r = x + k * inner + j0;
    for (int64_t j = 0; j < w; ++j)
      if (r[j] > m[j]) {
        m[j] = r[j];
        arg[j] = k;
      }
  }
  if (kind == SoftKind::kHardmax) {
    for (int64_t k = 0; k < n; ++k) {
      float* o = y + k * inner + j0;
      for (int64_t j = 0; j < w; ++j) o[j] = arg[j] == k ? 1.0f : 0.0f;
    }
    return;
  }
  std::fill(sum, sum + w, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    const float* r = x + k * inner + j0;
    float* o = y + k * inner + j0;
    for (int64_t j = 0; j < w; ++j) {
      const float e = std::exp(r[j] - m[j]);
      if (kind == SoftKind::kSoftmax) o[j] = e;
      sum[j] += e;
    }
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* r = x + k * inner + j0;
    float* o = y + k * inner + j0;
    if (kind == SoftKind::kSoftmax) {
      for (int64_t j = 0; j < w; ++j) o[j] = static_cast<float>(o[j] / sum[j]);
    } else {
      for (int64_t j = 0; j < w; ++j) o[j] = r[j] - m[j] - static_cast<float>(std::log(sum[j]));
    }
  }
}

// float16 / bfloat16 <-> float32, one element.
struct Half {
  static float load(uint16_t v) { return half_to_float(v); }
  static uint16_t store(float v) { return float_to_half(v); }
};
struct BFloat16 {
  static float load(uint16_t v) { return bfloat16_to_float(v); }
  static uint16_t store(float v) { return float_to_bfloat16(v); }
};

// The 16-bit float path: rows, or blocks of columns, widened into a float32 tile (the float32
// functions above work in place), then narrowed.
template <typename Cvt>
void run_16bit(ThreadPool& pool, SoftKind kind, const nn::AxisSplit& s, const uint16_t* xd, uint16_t* yd) {
  const double cost = 8.0 * static_cast<double>(s.n);
  if (s.inner == 1) {
    pool.parallel_for(s.outer, cost, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(s.n));
      for (int64_t r = r0; r < r1; ++r) {
        const uint16_t* xr = xd + r * s.n;
        for (int64_t i = 0; i < s.n; ++i) row[static_cast<size_t>(i)] = Cvt::load(xr[i]);
        row_contiguous(kind, row.data(), row.data(), s.n);
        uint16_t* yr = yd + r * s.n;
        for (int64_t i = 0; i < s.n; ++i) yr[i] = Cvt::store(row[static_cast<size_t>(i)]);
      }
    });
    return;
  }
  // Narrower blocks for long axes keep the tile (n x width floats) near 256 KiB.
  const int64_t width = std::clamp<int64_t>((int64_t{1} << 16) / std::max<int64_t>(s.n, 1), 1, kBlock);
  const int64_t blocks = (s.inner + width - 1) / width;
  pool.parallel_for(s.outer * blocks, cost * static_cast<double>(width), [&](int64_t b0, int64_t b1) {
    std::vector<float> tile(static_cast<size_t>(s.n * width));
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t o = b / blocks, j0 = (b % blocks) * width;
      const int64_t w = std::min(s.inner, j0 + width) - j0;
      const int64_t off = o * s.n * s.inner + j0;
      for (int64_t k = 0; k < s.n; ++k)
        for (int64_t j = 0; j < w; ++j) tile[static_cast<size_t>(k * w + j)] = Cvt::load(xd[off + k * s.inner + j]);
      block_strided(kind, tile.data(), tile.data(), s.n, w, 0, w);
      for (int64_t k = 0; k < s.n; ++k)
        for (int64_t j = 0; j < w; ++j) yd[off + k * s.inner + j] = Cvt::store(tile[static_cast<size_t>(k * w + j)]);
    }
  });
}

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(SoftKind kind, int64_t axis, bool coerce) : kind_(kind), axis_(axis), coerce_(coerce) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    const DType dt = x ? x->dtype() : DType::kUndefined;
    if (!x || !y || (dt != DType::kFloat32 && dt != DType::kFloat16 && dt != DType::kBFloat16) ||
        y->dtype() != dt || y->shape() != x->shape())
      return ctx.error("needs float32, float16 or bfloat16 X and an output of X's type and shape");
    auto sp = nn::split_at_axis(ctx, x->shape(), axis_, coerce_);
    if (!sp) return sp.status();
    const nn::AxisSplit s = *sp;
    if (dt == DType::kFloat16) {
      run_16bit<Half>(ctx.threads(), kind_, s, x->data<uint16_t>(), y->data<uint16_t>());
      return Status::ok();
    }
    if (dt == DType::kBFloat16) {
      run_16bit<BFloat16>(ctx.threads(), kind_, s, x->data<uint16_t>(), y->data<uint16_t>());
      return Status::ok();
    }
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    const double cost = 8.0 * static_cast<double>(s.n);
    if (s.inner == 1) {
      ctx.threads().parallel_for(s.outer, cost, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) row_contiguous(kind_, xd + r * s.n, yd + r * s.n, s.n);
      });
      return Status::ok();
    }
    const int64_t blocks = (s.inner + kBlock - 1) / kBlock;
    ctx.threads().parallel_for(s.outer * blocks, cost * kBlock, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t o = b / blocks, j0 = (b % blocks) * kBlock;
        const int64_t off = o * s.n * s.inner;
        block_strided(kind_, xd + off, yd + off, s.n, s.inner, j0, std::min(s.inner, j0 + kBlock));
      }
    });
    return Status::ok();
  }

 private:
  SoftKind kind_;
  int64_t axis_;
  bool coerce_;
};

class DropoutKernel final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    Tensor* y = ctx.output(0);
    if (!x || !y || y->nbytes() != x->nbytes()) return ctx.error("needs X and an output of X's shape");
    // training_mode (opset 12+) arrives at run time; opset < 12 has no training mode here (its
    // is_test attribute only concerns training graphs, which we do not run).
    if (ctx.num_inputs() > 2 && ctx.input(2)) {
      const Tensor* t = ctx.input(2);
      const bool training = t->dtype() == DType::kBool && t->size() == 1 && t->data<bool>()[0];
      const double ratio = nn::dropout_ratio(ctx.input(1), 0.5);
      if (training && ratio != 0.0)
        return nn::dropout_train(ctx, *x, *y, ctx.num_outputs() > 1 ? ctx.output(1) : nullptr, ratio);
    }
    if (y->raw() != x->raw() && x->nbytes() > 0) std::memcpy(y->raw(), x->raw(), x->nbytes());
    Tensor* mask = ctx.num_outputs() > 1 ? ctx.output(1) : nullptr;
    if (mask) {
      if (mask->dtype() == DType::kBool) {
        std::fill(mask->data<bool>(), mask->data<bool>() + mask->size(), true);
      } else if (mask->dtype() == DType::kFloat32) {
        std::fill(mask->data<float>(), mask->data<float>() + mask->size(), 1.0f);
      } else {
        return ctx.error("mask output must be bool or float32");
      }
    }
    return Status::ok();
  }
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_softmax(const KernelInit& init) {
  const std::string& op = init.node.op_type;
  const SoftKind kind = op == "Softmax"      ? SoftKind::kSoftmax
                        : op == "LogSoftmax" ? SoftKind::kLogSoftmax
                                             : SoftKind::kHardmax;
  ir::AttrReader a(init.node);
  const bool coerce = init.node.opset < 13;
  const int64_t axis = a.i("axis", coerce ? 1 : -1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  return std::unique_ptr<Kernel>(new SoftmaxKernel(kind, axis, coerce));
}

Expected<std::unique_ptr<Kernel>> make_cpu_dropout(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new DropoutKernel());
}

}  // namespace onnxrt::kernels
