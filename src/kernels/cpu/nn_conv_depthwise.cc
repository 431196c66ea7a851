// Depthwise 2-D convolution: see nn_conv_depthwise.h.
#include "kernels/cpu/nn_conv_depthwise.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "base/cpu_features.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/ukernels/nn/ukernels.h"

namespace onnxrt::kernels::depthwise {

namespace {

using ukernels::DwConv2dArgs;

constexpr int64_t kBlock = 16;  // channels per vector
// Floats of the transposed input strip per task: ~128 KB, so that a task's strip, weights and
// results stay in L2 while its taps are read KH*KW times.
constexpr int64_t kStripFloats = 32 * 1024;

// Z and the activations the microkernels do not clamp, on `len` outputs of one channel at `y`
// (`z` at the same offset in Z).
void post(const ir::FusedActivation& act, const float* z, float* y, int64_t len) {
  fused::Epilogue e;
  e.act = act;
  e.z = z;
  e.ldz = len;
  fused::apply_epilogue(e, y, len, 1, len);
}

float* thread_scratch(size_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < floats) buf.resize(floats);
  return buf.data();
}

// One output-channel plane per task with a per-plane microkernel: the 3x3 one where it applies
// (AVX2 or AVX-512), otherwise the general one.
void conv_planes(const nn::ConvGeom& g, const DwConv2dArgs& a, const float* x, const float* w, const float* bias,
                 const float* z, const ir::FusedActivation& act, float* y, ThreadPool& pool) {
  const ukernels::DwConv2dF32Fn dw3 = ukernels::dwconv2d_3x3_f32_ukernel();
  const ukernels::DwConv2dF32Fn dw = dw3 && ukernels::dwconv2d_3x3_applies(a) ? dw3 : ukernels::dwconv2d_f32_ukernel();
  const bool need_post = !a.clamp && (z || act.kind != ir::FusedAct::kNone);
  const int64_t ks = g.kernel_size;
  pool.parallel_for(g.N * g.M, static_cast<double>(g.out_size * ks), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / g.M, oc = i % g.M, ic = oc / g.Mg;
      float* yp = y + i * g.out_size;
      dw(a, x + (n * g.C + ic) * g.in_size, w + oc * ks, bias ? bias[oc] : 0.0f, yp);
      if (need_post) post(act, z ? z + i * g.out_size : nullptr, yp, g.out_size);
    }
  });
}

// A 1x1 window at stride 1 without padding (a BatchNormalization that no conv absorbed, turned
// into a depthwise conv): each output plane is its input plane times one weight plus the bias,
// a loop the compiler vectorizes. The general microkernel's window machinery made [1, 64, 56, 56]
// 0.086 ms against onnxruntime's 0.04 for the BatchNormalization.
void scale_planes(const nn::ConvGeom& g, const DwConv2dArgs& a, const float* x, const float* w, const float* bias,
                  const float* z, const ir::FusedActivation& act, float* y, ThreadPool& pool) {
  const bool need_post = !a.clamp && (z || act.kind != ir::FusedAct::kNone);
  const int64_t P = g.out_size;
  pool.parallel_for(g.N * g.M, static_cast<double>(P), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / g.M, oc = i % g.M, ic = oc / g.Mg;
      const float* xp = x + (n * g.C + ic) * g.in_size;
      float* yp = y + i * P;
      const float s = w[oc], b = bias ? bias[oc] : 0.0f;
      if (a.clamp) {
        // As the microkernels' max-then-min (a NaN sum becomes lo).
        for (int64_t k = 0; k < P; ++k) {
          const float v = xp[k] * s + b;
          const float m = v > a.lo ? v : a.lo;
          yp[k] = m < a.hi ? m : a.hi;
        }
      } else {
        for (int64_t k = 0; k < P; ++k) yp[k] = xp[k] * s + b;
        if (need_post) post(act, z ? z + i * P : nullptr, yp, P);
      }
    }
  });
}

}  // namespace

// The microkernels clamp in registers; other activations, and any Z, run as a second pass over
// the rows just written (still in cache).
DwConv2dArgs microkernel_args(const nn::ConvGeom& g, const ir::FusedActivation& act, bool has_z) {
  DwConv2dArgs a{};
  a.H = g.in[0], a.W = g.in[1], a.OH = g.out[0], a.OW = g.out[1];
  a.KH = g.kernel[0], a.KW = g.kernel[1];
  a.sh = g.stride[0], a.sw = g.stride[1], a.dh = g.dil[0], a.dw = g.dil[1];
  a.ph = g.pad_begin[0], a.pw = g.pad_begin[1];
  a.clamp = false;
  if (!has_z && act.kind == ir::FusedAct::kRelu) {
    a.clamp = true, a.lo = 0.f, a.hi = std::numeric_limits<float>::infinity();
  } else if (!has_z && act.kind == ir::FusedAct::kClip) {
    a.clamp = true, a.lo = act.p0, a.hi = act.p1;
  }
  return a;
}

bool applies(const nn::ConvGeom& g) { return g.in.size() == 2 && g.Cg == 1 && g.G > 1; }

void conv(const nn::ConvGeom& g, const float* x, const float* w, const float* bias, const float* z,
          const ir::FusedActivation& act, float* y, ThreadPool& pool) {
  const DwConv2dArgs a = microkernel_args(g, act, z != nullptr);
  if (a.KH == 1 && a.KW == 1 && a.sh == 1 && a.sw == 1 && a.ph == 0 && a.pw == 0 && a.OH == a.H && a.OW == a.W)
    return scale_planes(g, a, x, w, bias, z, act, y, pool);
  // Per-plane kernels vectorize along an output row, so they waste lanes on narrow planes, where
  // the channel-blocked path fills all 16; on wider planes its two transposes cost more than the
  // lanes it saves. The 3x3 per-plane kernel (weights in registers, no padded copy) now wins at
  // every width measured, 7x7 included (bench_model, 1 thread, per-plane vs blocked, us: 960 @7
  // 30 vs 61, 576 @14 stride 2 29 vs 40; 144 @56 104, 96 @112 stride 2 149, where blocked was
  // slower even before). The general per-plane kernel (other windows) copies each plane into a
  // padded one first and only wins on wide stride-1 planes (32 @112 0.214 ms vs 0.253, 144 @56
  // 0.288 vs 0.289).
  const bool per_plane_3x3 = ukernels::dwconv2d_3x3_applies(a);
  const bool wide = a.sw == 1 && a.OW >= 48;
  if (g.Mg != 1 || wide || per_plane_3x3 || !cpu_features().has_avx512())
    return conv_planes(g, a, x, w, bias, z, act, y, pool);

  const bool need_post = !a.clamp && (z || act.kind != ir::FusedAct::kNone);
  const int64_t cblocks = (g.C + kBlock - 1) / kBlock;
  // Output rows per task: as many as keep the strip within kStripFloats.
  const int64_t cols = (a.OW - 1) * a.sw + (a.KW - 1) * a.dw + 1;
  const int64_t strip_rows = std::max<int64_t>(1, kStripFloats / (cols * kBlock));
  const int64_t band = std::clamp<int64_t>((strip_rows - (a.KH - 1) * a.dh - 1) / a.sh + 1, 1, a.OH);
  const int64_t bands = (a.OH + band - 1) / band;
  const size_t scratch = static_cast<size_t>(ukernels::dwconv2d_c16_scratch_floats(a, band));
  const int64_t tasks = g.N * cblocks * bands;
  auto task = [&](int64_t t) {
    const int64_t n = t / (cblocks * bands), cb = t / bands % cblocks, bi = t % bands;
    const int64_t c0 = cb * kBlock;
    ukernels::DwConvC16Args k;
    k.geom = a;
    k.channels = std::min(kBlock, g.C - c0);
    k.x = x + (n * g.C + c0) * g.in_size;
    k.x_cstride = g.in_size;
    k.w = w + c0 * g.kernel_size;
    k.bias = bias ? bias + c0 : nullptr;
    k.y = y + (n * g.M + c0) * g.out_size;
    k.y_cstride = g.out_size;
    k.oh0 = bi * band;
    k.oh1 = std::min(a.OH, k.oh0 + band);
    k.scratch = thread_scratch(scratch);
    ukernels::dwconv2d_c16_f32_avx512(k);
    if (need_post) {
      const int64_t off = k.oh0 * a.OW, len = (k.oh1 - k.oh0) * a.OW;
      for (int64_t c = 0; c < k.channels; ++c) {
        const int64_t plane = (n * g.M + c0 + c) * g.out_size + off;
        post(act, z ? z + plane : nullptr, y + plane, len);
      }
    }
  };
  // ~64K multiply-adds is where waking a worker starts to pay (the pool's own threshold).
  const double macs = static_cast<double>(g.N) * g.M * g.out_size * g.kernel_size;
  if (pool.num_threads() > 1 && tasks > 1 && macs >= 65536.0) {
    pool.run_tasks(tasks, task);
  } else {
    for (int64_t t = 0; t < tasks; ++t) task(t);
  }
}

}  // namespace onnxrt::kernels::depthwise
