// Internal to the CPU element-wise kernels: factories named in the table (cpu/elementwise.cc)
// and the broadcast-aware loop driver shared by the binary, variadic and Where kernels.
#pragma once

#include <memory>

#include "base/thread_pool.h"
#include "kernels/broadcast.h"
#include "kernels/kernel.h"
#include "kernels/reference/elementwise_cast.h"

namespace onnxrt::kernels::ew {

Expected<std::unique_ptr<Kernel>> make_binary(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_unary(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_variadic(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_where(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_cast(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_clip(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_bitcast(const KernelInit& init);
// Cast's `saturate` and `round_mode` attributes (defaults when absent).
Expected<cast::Options> read_cast_options(const KernelInit& init);

// Below this many elements per task a split is not worth a thread wake-up (see thread_pool.h);
// `cost` is the rough per-element work in simple operations.
inline void parallel_elements(ThreadPool& pool, int64_t n, double cost,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  pool.parallel_for(n, cost, fn);
}

// y = f(a, b) elementwise with broadcasting; f(TA, TB) -> TY.
template <typename TA, typename TB, typename TY, typename F>
Status broadcast_binary(KernelContext& ctx, const TA* a, const Shape& ashape, const TB* b,
                        const Shape& bshape, TY* y, const Shape& yshape, double cost, F f) {
  auto bc = Broadcaster::make({ashape, bshape}, yshape);
  if (!bc.has_value()) return ctx.error(bc.status().message());
  const Broadcaster& B = *bc;
  const int64_t sa = B.inner_stride(0), sb = B.inner_stride(1);
  parallel_elements(ctx.threads(), B.size(), cost, [&](int64_t begin, int64_t end) {
    B.for_each_run(begin, end, [&](const int64_t* off, int64_t o, int64_t n) {
      const TA* pa = a + off[0];
      const TB* pb = b + off[1];
      TY* py = y + o;
      // Three loops so the compiler sees unit strides (and vectorizes) in the common cases.
      if (sa && sb) {
        for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], pb[i]);
      } else if (sa) {
        const TB vb = *pb;
        for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], vb);
      } else if (sb) {
        const TA va = *pa;
        for (int64_t i = 0; i < n; ++i) py[i] = f(va, pb[i]);
      } else {
        const TY v = f(*pa, *pb);
        for (int64_t i = 0; i < n; ++i) py[i] = v;
      }
    });
  });
  return Status::ok();
}

}  // namespace onnxrt::kernels::ew
