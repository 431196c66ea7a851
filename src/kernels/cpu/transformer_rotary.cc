// RotaryEmbedding (opset 23): one simple kernel for both tables (an element-wise rotation; the
// reference would be the same loop). Each (batch, position, head) vector rotates its first
// rotary_embedding_dim elements in pairs, either (k, k + dim/2) or interleaved (2k, 2k + 1),
// by the angle whose cos/sin the caches hold for that position.
#include <algorithm>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/cpu/transformer_common.h"

namespace onnxrt::kernels {

namespace {

class RotaryKernel final : public Kernel {
 public:
  RotaryKernel(bool interleaved, int64_t rot, int64_t heads) : interleaved_(interleaved), rot_(rot), heads_(heads) {}

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    const Tensor* cosc = ctx.num_inputs() > 1 ? ctx.input(1) : nullptr;
    const Tensor* sinc = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    const Tensor* pos = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    Tensor* y = ctx.output(0);
    if (!x || !cosc || !sinc || !y || !tf::is_float(x->dtype()) || !tf::is_float(cosc->dtype()) ||
        !tf::is_float(sinc->dtype()) || y->shape() != x->shape() || y->dtype() != x->dtype())
      return ctx.error("needs float X, cos_cache, sin_cache and an output of X's shape and type");
    int64_t B, S, H, D;
    if (x->rank() == 4) {
      B = x->dim(0), H = x->dim(1), S = x->dim(2), D = x->dim(3);
    } else if (x->rank() == 3) {
      if (heads_ <= 0 || x->dim(2) % heads_ != 0)
        return ctx.error("3-D X " + shape_to_string(x->shape()) + " needs num_heads dividing its hidden size");
      B = x->dim(0), S = x->dim(1), H = heads_, D = x->dim(2) / heads_;
    } else {
      return ctx.error("X must be 3-D or 4-D, got " + shape_to_string(x->shape()));
    }
    const int64_t rot = rot_ == 0 ? D : rot_;
    if (rot > D || rot % 2 != 0)
      return ctx.error("rotary_embedding_dim " + std::to_string(rot) + " must be even and at most the head size " +
                       std::to_string(D));
    const int64_t half = rot / 2;
    if (cosc->shape() != sinc->shape()) return ctx.error("cos_cache and sin_cache shapes differ");
    std::vector<int64_t> rows(static_cast<size_t>(B * S));  // cache row of each (b, s)
    if (pos) {
      if (pos->shape() != Shape{B, S} || (pos->dtype() != DType::kInt64 && pos->dtype() != DType::kInt32))
        return ctx.error("position_ids must be int64 [" + std::to_string(B) + ", " + std::to_string(S) + "], got " +
                         shape_to_string(pos->shape()));
      if (cosc->rank() != 2 || cosc->dim(1) != half)
        return ctx.error("with position_ids the caches must be [max_position, " + std::to_string(half) + "], got " +
                         shape_to_string(cosc->shape()));
      for (int64_t i = 0; i < B * S; ++i) {
        const int64_t p = static_cast<int64_t>(tf::load(*pos, i));
        if (p < 0 || p >= cosc->dim(0))
          return ctx.error("position id " + std::to_string(p) + " outside the cache's " + std::to_string(cosc->dim(0)) +
                           " rows");
        rows[static_cast<size_t>(i)] = p;
      }
    } else {
      if (cosc->shape() != Shape{B, S, half})
        return ctx.error("without position_ids the caches must be [" + std::to_string(B) + ", " + std::to_string(S) +
                         ", " + std::to_string(half) + "], got " + shape_to_string(cosc->shape()));
      for (int64_t i = 0; i < B * S; ++i) rows[static_cast<size_t>(i)] = i;
    }
    std::vector<float> xb(static_cast<size_t>(x->size())), yb(static_cast<size_t>(x->size()));
    std::vector<float> cb(static_cast<size_t>(cosc->size())), sb(static_cast<size_t>(sinc->size()));
    tf::to_float(*x, xb.data());
    tf::to_float(*cosc, cb.data());
    tf::to_float(*sinc, sb.data());
    const bool x4 = x->rank() == 4;
    ctx.threads().parallel_for(B * S * H, 4.0 * static_cast<double>(D), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / (S * H), s = (t / H) % S, h = t % H;
        const int64_t off = x4 ? ((b * H + h) * S + s) * D : ((b * S + s) * H + h) * D;
        const float* xi = xb.data() + off;
        float* yo = yb.data() + off;
        const float* c = cb.data() + rows[static_cast<size_t>(b * S + s)] * half;
        const float* sn = sb.data() + rows[static_cast<size_t>(b * S + s)] * half;
        for (int64_t k = 0; k < half; ++k) {
          const int64_t i1 = interleaved_ ? 2 * k : k, i2 = interleaved_ ? 2 * k + 1 : k + half;
          const float x1 = xi[i1], x2 = xi[i2];
          yo[i1] = c[k] * x1 - sn[k] * x2;
          yo[i2] = sn[k] * x1 + c[k] * x2;
        }
        std::copy(xi + rot, xi + D, yo + rot);
      }
    });
    tf::from_float(yb.data(), *y);
    return Status::ok();
  }

 private:
  bool interleaved_;
  int64_t rot_;
  int64_t heads_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_rotary_embedding(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const bool interleaved = a.i("interleaved", 0) != 0;
  const int64_t rot = a.i("rotary_embedding_dim", 0);
  const int64_t heads = a.i("num_heads", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (rot < 0) return init.error("rotary_embedding_dim must be >= 0");
  return std::unique_ptr<Kernel>(new RotaryKernel(interleaved, rot, heads));
}

}  // namespace onnxrt::kernels
