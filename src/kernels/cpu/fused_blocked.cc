// The channel-blocked ops on the CPU: com.onnxrt ToBlocked, FromBlocked and BlockedConv (contract
// in ir/infer_fused.h, layout chosen by passes/block_channels.cc, microkernels in
// ukernels/nn/blocked.h). BlockedConv runs pointwise convs (a GEMM over pixels with 8-channel
// weight vectors), depthwise convs (one FMA per tap for 8 channels), 3x3 stride-1 convs (Winograd,
// nn_conv_winograd.h, whose transforms read and write whole 8-channel runs) and other one-group
// convs with a width stride of 1 or 2 (per-tap pointwise tiles); it rejects other geometries (a
// grouped conv that is not depthwise, a wider width stride) at creation.
#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "ir/attribute.h"
#include "ir/infer_fused.h"
#include "ir/infer_nn_window.h"
#include "kernels/cpu/fused_epilogue.h"
#include "kernels/cpu/nn_common.h"
#include "kernels/cpu/nn_conv_winograd.h"
#include "kernels/ukernels/nn/blocked.h"
#include "tensor/sym_shape.h"

namespace onnxrt::kernels {

namespace {

constexpr int64_t kB = ir::kChannelBlock;
static_assert(kB == ukernels::kBlock);

Status check_blocked(const KernelContext& ctx, const Tensor* t, const char* what) {
  if (!t || t->dtype() != DType::kFloat32 || t->rank() != 5 || t->dim(4) != kB)
    return ctx.error(std::string(what) + " must be a channel-blocked float32 tensor [N, C/8, H, W, 8], got " +
                     nn::dtype_and_shape(t));
  return Status::ok();
}

Status check_output(const KernelContext& ctx, const Tensor* y, const Shape& expected) {
  if (!y || y->dtype() != DType::kFloat32 || y->shape() != expected)
    return ctx.error("output Y is " + nn::dtype_and_shape(y) + ", expected float32" + shape_to_string(expected));
  return Status::ok();
}

// Tasks for `work` multiply-adds (or moved floats) on the pool: as in the other conv paths, a
// task must hold ~0.25 M of them before waking a worker pays; a few tasks per thread.
int64_t wanted_tasks(double work, const ThreadPool& pool) {
  const int64_t nt = pool.num_threads();
  return nt > 1 ? std::clamp<int64_t>(static_cast<int64_t>(work / 2.5e5), 1, 4 * nt) : 1;
}

void run_split(ThreadPool& pool, int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks > 1) {
    pool.run_tasks(tasks, fn);
  } else {
    for (int64_t t = 0; t < tasks; ++t) fn(t);
  }
}

// K slices of the pointwise and dense kernels, in input blocks: a group's weights for one slice
// (<= 24 KiB) stay in L1 while a chunk's tiles run over them.
constexpr int64_t kSliceBlocks = 32;

// Pixels per task chunk of the layout changes: 2 x 64 KiB of floats.
constexpr int64_t kReorderChunk = 2048;

// ToBlocked (to_blocked = true) and FromBlocked.
template <bool to_blocked>
Status reorder(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (to_blocked) {
    if (!x || x->dtype() != DType::kFloat32 || x->rank() != 4 || x->dim(1) % kB != 0)
      return ctx.error("input X must be float32 [N, C, H, W] with C a multiple of 8, got " + nn::dtype_and_shape(x));
  } else {
    ONNXRT_RETURN_IF_ERROR(check_blocked(ctx, x, "input X"));
  }
  const int64_t N = x->dim(0), CB = to_blocked ? x->dim(1) / kB : x->dim(1), H = x->dim(2), W = x->dim(3);
  Tensor* y = ctx.output(0);
  ONNXRT_RETURN_IF_ERROR(check_output(ctx, y, to_blocked ? Shape{N, CB, H, W, kB} : Shape{N, CB * kB, H, W}));
  const int64_t plane = H * W, chunks = (plane + kReorderChunk - 1) / kReorderChunk;
  if (N * CB * plane == 0) return Status::ok();
  const auto& uk = ukernels::blocked_ukernels();
  const float* xd = x->data<float>();
  float* yd = y->data<float>();
  // Both layouts hold block (n, cb) as 8 * plane floats at the same offset.
  auto run_task = [&](int64_t t) {
    const int64_t blk = t / chunks, p0 = t % chunks * kReorderChunk, p1 = std::min(plane, p0 + kReorderChunk);
    const int64_t off = blk * kB * plane;
    if (to_blocked)
      uk.to_blocked(xd + off, plane, p0, p1, yd + off);
    else
      uk.from_blocked(xd + off, p0, p1, yd + off, plane);
  };
  const int64_t items = N * CB * chunks;
  const double floats = static_cast<double>(N * CB * plane * kB);
  if (wanted_tasks(floats, ctx.threads()) > 1) {
    ctx.threads().run_tasks(items, run_task);
  } else {
    for (int64_t t = 0; t < items; ++t) run_task(t);
  }
  return Status::ok();
}

// X's planes (`planes` of H x W pixels, `px` floats per pixel: 1 for NCHW, 8 blocked) into xp
// as zero-padded planes of Hp x Wp pixels, X's pixel (h, w) at (h + ph, w + pw), rows over `tasks`.
void pad_planes(ThreadPool& pool, int64_t tasks, const float* x, int64_t planes, int64_t H, int64_t W, int64_t Hp,
                int64_t Wp, int64_t ph, int64_t pw, int64_t px, float* xp) {
  const int64_t rows = planes * Hp;
  tasks = std::min(tasks, std::max<int64_t>(rows, 1));
  run_split(pool, tasks, [&](int64_t t) {
    for (int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; ++r) {
      const int64_t plane = r / Hp, ih = r % Hp - ph;
      float* dst = xp + r * Wp * px;
      if (ih < 0 || ih >= H) {
        std::fill(dst, dst + Wp * px, 0.f);
        continue;
      }
      std::fill(dst, dst + pw * px, 0.f);
      std::copy(x + (plane * H + ih) * W * px, x + (plane * H + ih + 1) * W * px, dst + pw * px);
      std::fill(dst + (pw + W) * px, dst + Wp * px, 0.f);
    }
  });
}

// Tasks of the dense paths over `items` output rows (n, oh) x `ngroups` groups of output blocks.
// By default the rows split into about 2 * want ranges, and the groups too when rows alone are
// too few. With groups_first the groups split into up to want parts and the rows only as far as
// needed: each task reads its groups' weights once per chunk of rows, so when the weights
// outweigh the input (a 3x3 conv over 512 channels at 14x14), splitting the rows multiplies the
// weight traffic instead (ResNet-50's 512 -> 512 stride 2 ran 1.47x faster at 2 threads than at
// 1, every task streaming 4.7 MB of weights for one output row).
struct RowGroupSplit {
  int64_t items, ngroups, parts, row_tasks, tasks;
  RowGroupSplit(int64_t want, int64_t items_, int64_t ngroups_, bool groups_first = false)
      : items(items_), ngroups(ngroups_) {
    if (groups_first) {
      parts = std::clamp<int64_t>(want, 1, ngroups);
      row_tasks = std::clamp<int64_t>((want + parts - 1) / parts, 1, items);
    } else {
      parts = std::clamp<int64_t>((want + items - 1) / items, 1, ngroups);
      row_tasks = want > 1 ? std::clamp<int64_t>(2 * want / parts, 1, items) : 1;
    }
    tasks = want > 1 ? row_tasks * parts : 1;
  }
  // Task t: rows [r0, r1) and groups [g0, g1).
  void task(int64_t t, int64_t* r0, int64_t* r1, int64_t* g0, int64_t* g1) const {
    const int64_t rt = tasks == 1 ? 0 : t / parts, part = tasks == 1 ? 0 : t % parts;
    const int64_t nparts = tasks == 1 ? 1 : parts;
    *r0 = items * rt / row_tasks;
    *r1 = items * (rt + 1) / row_tasks;
    *g0 = ngroups * part / nparts;
    *g1 = ngroups * (part + 1) / nparts;
  }
};

// Output blocks of the pointwise kernel, in groups of 2 (12 accumulators over 6 pixels) with one
// group of 3 (over 4 pixels) when their number is odd, or a single block alone.
struct BlockGroup {
  int64_t first;    // first output block
  int ob;           // blocks in the group
  int64_t packed;   // offset of its weights [tap][K][ob*8] in the packed buffer
  int64_t x_block;  // first input block of the conv group it reads (0 for one group)
};

class BlockedConvKernel final : public Kernel {
 public:
  static Expected<std::unique_ptr<Kernel>> create(const KernelInit& init) {
    auto act = ir::read_fused_activation(init.node);
    if (!act) return act.status();
    const Tensor* w = init.constant_inputs.size() > 1 ? init.constant_inputs[1] : nullptr;
    if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4)
      return init.error("W must be a constant float32 tensor [M, C/group, KH, KW], got " + nn::dtype_and_shape(w));
    auto attrs = nn::read_conv_attrs(init.node, 2, {w->dim(2), w->dim(3)});
    if (!attrs) return attrs.status();
    ir::AttrReader ar(init.node);
    const std::string x_layout = ar.s("x_layout", "blocked");
    ONNXRT_RETURN_IF_ERROR(ar.status());
    if (x_layout != "blocked" && x_layout != "NCHW")
      return init.error("x_layout '" + x_layout + "' must be 'blocked' or 'NCHW'");
    auto k = std::unique_ptr<BlockedConvKernel>(new BlockedConvKernel());
    k->act_ = *act;
    k->attrs_ = *attrs;
    k->M_ = w->dim(0);
    k->K_ = w->dim(1);
    k->KH_ = w->dim(2);
    k->KW_ = w->dim(3);
    const ir::WindowAttrs& wa = attrs->w;
    const int64_t G = attrs->group;
    const bool unit_strides = wa.strides.empty() || std::all_of(wa.strides.begin(), wa.strides.end(), [](int64_t s) { return s == 1; });
    const bool no_pads = wa.auto_pad != ir::AutoPad::kNotSet ||
                         std::all_of(wa.pads.begin(), wa.pads.end(), [](int64_t p) { return p == 0; });
    const bool unit_dilations =
        wa.dilations.empty() || std::all_of(wa.dilations.begin(), wa.dilations.end(), [](int64_t d) { return d == 1; });
    const int64_t sw = wa.strides.size() == 2 ? wa.strides[1] : 1;
    if (x_layout == "NCHW") {
      if (G != 1 || (sw != 1 && sw != 2))
        return init.error("BlockedConv with x_layout 'NCHW' runs convs of one group with a width stride of 1 or 2; got "
                          "group " + std::to_string(G) + " and width stride " + std::to_string(sw));
      k->kind_ = Kind::kStem;
    } else if (G == 1 && k->KH_ == 1 && k->KW_ == 1 && unit_strides && no_pads) {
      k->kind_ = Kind::kPointwise;
    } else if (G == k->M_ && k->K_ == 1) {
      k->kind_ = Kind::kDepthwise;
    } else if (G == 1 && k->KH_ == 3 && k->KW_ == 3 && unit_strides && unit_dilations && k->winograd_pays(init)) {
      k->kind_ = Kind::kWinograd;
    } else if (G == 1 && (sw == 1 || sw == 2)) {
      k->kind_ = Kind::kDense;
    } else if (const int64_t r = ir::blocked_merged_groups(k->K_ * G, k->M_, G); r > 0 && (sw == 1 || sw == 2)) {
      k->kind_ = Kind::kDense;
      k->G_ = G / r;
      k->K_ *= r;
    } else {
      return init.error("BlockedConv runs depthwise convs (group = channels, W [C, 1, KH, KW]) and convs with a "
                        "width stride of 1 or 2 of one group or of groups that fill whole blocks of 8 channels "
                        "(ir::blocked_merged_groups); got group " + std::to_string(G) + ", W " +
                        nn::dtype_and_shape(w) + " and width stride " + std::to_string(sw));
    }
    if (k->M_ % kB != 0 || (k->kind_ != Kind::kDepthwise && k->kind_ != Kind::kStem && k->K_ % kB != 0))
      return init.error("BlockedConv needs input and output channels that are multiples of 8, got W " + nn::dtype_and_shape(w));
    if (k->kind_ == Kind::kWinograd) {
      k->wino_ = winograd::Weights::make(w->data<float>(), k->M_, k->K_, k->winograd_tile(init));
      return std::unique_ptr<Kernel>(std::move(k));
    }
    k->pack(w->data<float>(), G);
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (kind_ == Kind::kStem) {
      if (!x || x->dtype() != DType::kFloat32 || x->rank() != 4)
        return ctx.error("input X must be float32 [N, C, H, W] (x_layout 'NCHW'), got " + nn::dtype_and_shape(x));
    } else {
      ONNXRT_RETURN_IF_ERROR(check_blocked(ctx, x, "input X"));
    }
    const int64_t x_channels = kind_ == Kind::kStem ? x->dim(1) : x->dim(1) * kB;
    const int64_t N = x->dim(0), CB = x->dim(1), H = x->dim(2), W = x->dim(3);
    const int64_t C = kind_ == Kind::kDepthwise ? M_ : K_ * G_;
    if (x_channels != C)
      return ctx.error("input X " + nn::dtype_and_shape(x) + " has " + std::to_string(x_channels) + " channels, W expects " +
                       std::to_string(C));
    auto dims = ir::window_dims(attrs_.w, {H, W});
    if (!dims) return ctx.error(dims.status().message());
    const ir::WindowDim dh = (*dims)[0], dw = (*dims)[1];
    const Shape out{N, M_ / kB, dh.out, dw.out, kB};
    Tensor* y = ctx.output(0);
    ONNXRT_RETURN_IF_ERROR(check_output(ctx, y, out));
    const Tensor* b = ctx.num_inputs() > 2 ? ctx.input(2) : nullptr;
    if (b && (b->dtype() != DType::kFloat32 || b->size() != M_))
      return ctx.error("input B must be float32 with " + std::to_string(M_) + " elements, got " + nn::dtype_and_shape(b));
    const Tensor* z = ctx.num_inputs() > 3 ? ctx.input(3) : nullptr;
    if (z && kind_ == Kind::kStem) return ctx.error("takes no Z with x_layout 'NCHW'");
    if (z && (z->dtype() != DType::kFloat32 || z->shape() != out))
      return ctx.error("input Z must be float32" + shape_to_string(out) + " (the output's shape), got " + nn::dtype_and_shape(z));
    if (y->size() == 0) return Status::ok();
    const float* bias = b ? b->data<float>() : nullptr;
    const float* zd = z ? z->data<float>() : nullptr;
    if (kind_ == Kind::kWinograd) return run_winograd(ctx, x->data<float>(), N, H, W, dh, dw, bias, zd, y->data<float>());
    const auto& st = attrs_.w.strides;
    const int64_t sh = st.size() == 2 ? st[0] : 1, sw = st.size() == 2 ? st[1] : 1;
    if (kind_ == Kind::kStem) return run_stem(ctx, x->data<float>(), N, H, W, dh, dw, sh, sw, bias, y->data<float>());
    if (kind_ == Kind::kDense && KH_ == 1 && KW_ == 1 && dh.pad_begin == 0 && dw.pad_begin == 0 &&
        (dh.out - 1) * sh < H && (dw.out - 1) * sw < W) {
      // A strided 1x1 conv (ResNet's downsampling shortcut) whose every output reads a pixel of X
      // (no padding): the pixels it reads, copied into a compact blocked tensor (a quarter of X at
      // stride 2), then the pointwise kernel. Read in place by per-tap tiles, the half-used cache
      // lines and unsliced K made 256 -> 512 @56 -> 28 20% slower than the NCHW GEMM.
      const int64_t OH = dh.out, OW = dw.out;
      if (OH == H && OW == W) {  // a grouped 1x1 conv of stride 1 (group 1 is kPointwise)
        run_pointwise(ctx, x->data<float>(), N, CB, H * W, bias, zd, y->data<float>());
        return Status::ok();
      }
      auto* sub = static_cast<float*>(ctx.scratch(static_cast<size_t>(N * CB * OH * OW * kB) * sizeof(float)));
      if (!sub) return ctx.error("out of memory for the strided input");
      const float* xd = x->data<float>();
      for (int64_t p = 0; p < N * CB; ++p)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            const float* src = xd + ((p * H + oh * sh) * W + ow * sw) * kB;
            std::copy(src, src + kB, sub + ((p * OH + oh) * OW + ow) * kB);
          }
      run_pointwise(ctx, sub, N, CB, OH * OW, bias, zd, y->data<float>());
      return Status::ok();
    }
    if (kind_ == Kind::kDense) {
      // All taps in registers while a group's weights for them stay near L1; past that each tile
      // streams them from L2, and per-tap tiles over row chunks reuse them better. Per node:
      // YOLO-style 3x3 stride-2 convs over 16-64 channels 1075 / 850 / 753 -> 722 / 691 / 656 us;
      // ResNet-50's over 128 channels 2992 -> 2783 but no gain over the whole model (A/B runs),
      // over 512 channels 3255 -> 4713.
      if (KH_ * KW_ * K_ <= ir::kBlockedDenseTapsMaxK)
        return run_dense_taps(ctx, x->data<float>(), N, CB, H, W, dh, dw, sh, sw, bias, zd, y->data<float>());
      run_dense(ctx, x->data<float>(), N, CB, H, W, dh, dw, sh, sw, bias, zd, y->data<float>());
      return Status::ok();
    }
    if (kind_ == Kind::kDepthwise) {
      ukernels::DwConv2dArgs g{H, W, dh.out, dw.out, KH_, KW_, sh, sw, 1, 1, dh.pad_begin, dw.pad_begin, clamp(), lo(), hi()};
      const auto& dl = attrs_.w.dilations;
      if (dl.size() == 2) g.dh = dl[0], g.dw = dl[1];
      run_depthwise(ctx, x->data<float>(), N, CB, g, bias, zd, y->data<float>());
    } else {
      if (dh.out != H || dw.out != W || dh.pad_begin != 0 || dw.pad_begin != 0)
        return ctx.error("a pointwise BlockedConv must keep the input's height and width");
      run_pointwise(ctx, x->data<float>(), N, CB, H * W, bias, zd, y->data<float>());
    }
    return Status::ok();
  }

  const char* variant() const override {
    return kind_ == Kind::kStem        ? "blocked_stem"
           : kind_ == Kind::kDepthwise ? "blocked_depthwise"
           : kind_ == Kind::kWinograd ? (wino_.tile() == 4 ? "blocked_winograd_f4" : "blocked_winograd_f2")
           : kind_ == Kind::kDense    ? "blocked_direct"
                                      : "blocked_pointwise";
  }
  bool prepacked_input(size_t i) const override { return i == 1; }

 private:
  bool clamp() const { return act_.kind == ir::FusedAct::kRelu || act_.kind == ir::FusedAct::kClip; }
  float lo() const { return act_.kind == ir::FusedAct::kClip ? act_.p0 : 0.f; }
  float hi() const { return act_.kind == ir::FusedAct::kClip ? act_.p1 : std::numeric_limits<float>::infinity(); }
  // Activations other than Relu/Clip: a second pass over the output while it is in L1, every
  // kPostPixels pixels of a block group or one output row (a call per tile cost ~7 ns, as much as
  // the QuantizeDequantize activation on its 48 values).
  static constexpr int64_t kPostPixels = 64;
  void post(float* y, int64_t n) const {
    if (act_.kind == ir::FusedAct::kNone || clamp()) return;
    fused::Epilogue e;
    e.act = act_;
    fused::apply_epilogue(e, y, n, 1, n);
  }

  // ConvGeom of a 2-D dense conv for the Winograd driver (NCHW semantics: C, M, in, out, pads).
  nn::ConvGeom geometry(int64_t N, int64_t H, int64_t W, const ir::WindowDim& dh, const ir::WindowDim& dw) const {
    nn::ConvGeom g;
    g.N = N, g.C = K_, g.M = M_, g.G = 1, g.Cg = K_, g.Mg = M_;
    g.in = {H, W};
    g.out = {dh.out, dw.out};
    g.kernel = {3, 3};
    g.stride = {1, 1};
    g.dil = {1, 1};
    g.pad_begin = {dh.pad_begin, dw.pad_begin};
    g.in_size = H * W, g.out_size = dh.out * dw.out, g.kernel_size = 9;
    return g;
  }

  // Whether a 3x3 stride-1 conv runs faster through Winograd than as the dense kernel's sum of
  // pointwise convs over the taps. Winograd's fixed costs (the transforms of every channel of
  // every tile, 36 small GEMMs that each stream all of U, 4x the weights' bytes) are paid back by
  // its 4x fewer multiplies only when there are enough of both. bench_model, two chained convs
  // (1 thread, AVX2 EPYC, 6 alternated rounds; dense time / Winograd time): 16 -> 16 0.42 at 4x4,
  // 0.55 at 8x8, 0.74 at 16x16; 24 -> 24 at 16x16 0.62; 32 -> 16 at 16x16 0.66; a single F(4x4)
  // tile 0.70 (64 -> 64 at 4x4) and 0.82 (128 -> 128); but 64 -> 64 at 8x8 1.70, 128 -> 128 at
  // 8x8 2.11, 16 -> 64 at 16x16 1.58, 32 -> 32 at 16x16 1.11. Unknown spatial sizes: channels only.
  bool winograd_pays(const KernelInit& init) const {
    if (K_ * M_ < kWinogradMinChannelProduct) return false;
    const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
    if (!xt || !xt->is_static() || xt->rank() != 5) return true;
    auto dims = ir::window_dims(attrs_.w, {xt->shape[2].value(), xt->shape[3].value()});
    if (!dims) return true;
    const int64_t tiles = xt->shape[0].value() * (((*dims)[0].out + 3) / 4) * (((*dims)[1].out + 3) / 4);
    return tiles >= 2;
  }
  static constexpr int64_t kWinogradMinChannelProduct = 1024;  // C * M, see winograd_pays

  // The Winograd tile for the declared input shape (winograd::pick_tile), F(4x4) when it is not
  // static or pick_tile prefers im2col (the pass only blocks 3x3 convs with 16+ channels each way,
  // where it never does on the CPUs the pass runs on).
  int winograd_tile(const KernelInit& init) const {
    const ir::ValueType* xt = init.input_types.empty() ? nullptr : init.input_types[0];
    if (!xt || !xt->is_static() || xt->rank() != 5) return 4;
    const int64_t N = xt->shape[0].value(), H = xt->shape[2].value(), W = xt->shape[3].value();
    auto dims = ir::window_dims(attrs_.w, {H, W});
    if (!dims) return 4;
    const int t = winograd::pick_tile(geometry(N, H, W, (*dims)[0], (*dims)[1]));
    return t == 0 ? 4 : t;
  }

  Status run_winograd(KernelContext& ctx, const float* x, int64_t N, int64_t H, int64_t W, const ir::WindowDim& dh,
                      const ir::WindowDim& dw, const float* bias, const float* z, float* y) const {
    const nn::ConvGeom g = geometry(N, H, W, dh, dw);
    ThreadPool& pool = ctx.threads();
    const int64_t n = winograd::scratch_floats(g, wino_.tile(), pool.num_threads());
    auto* s = static_cast<float*>(ctx.scratch(static_cast<size_t>(n) * sizeof(float)));
    if (!s) return ctx.error("out of memory for the Winograd buffers");
    winograd::conv(wino_, g, x, bias, z, act_, y, s, pool, /*blocked=*/true);
    return Status::ok();
  }

  void pack(const float* w, int64_t group) {
    if (kind_ == Kind::kDepthwise) {
      // [C/8][KH*KW][8]
      const int64_t taps = KH_ * KW_;
      packed_.resize(static_cast<size_t>(M_ * taps));
      for (int64_t c = 0; c < M_; ++c)
        for (int64_t t = 0; t < taps; ++t) packed_[static_cast<size_t>(((c / kB) * taps + t) * kB + c % kB)] = w[c * taps + t];
      return;
    }
    // Per group of output blocks: [tap][K][ob*8] (one tap for pointwise convs). With block groups
    // (G_ > 1, ir::blocked_merged_groups) each group of output blocks lies in one block group and
    // reads its K_ inputs; W [M, Cg, KH, KW] has Cg = K_ / r inputs per conv group, and merged
    // groups see zeros for each other's inputs.
    const int64_t taps = KH_ * KW_, bg_blocks = M_ / kB / G_;
    const int64_t Cg = K_ * G_ / group, r = K_ / Cg, Mg = M_ / group;
    // Weight of output channel m, block-group input channel k, tap t.
    auto weight = [&](int64_t m, int64_t k, int64_t t) -> float {
      if (G_ == 1) return w[(m * K_ + k) * taps + t];
      const int64_t bg = m / (M_ / G_), g = bg * r + k / Cg;
      return g == m / Mg ? w[(m * Cg + k % Cg) * taps + t] : 0.f;
    };
    for (int64_t bg = 0; bg < G_; ++bg) {
      const int64_t end = (bg + 1) * bg_blocks;
      for (int64_t first = bg * bg_blocks; first < end;) {
        const int ob = end - first == 1 ? 1 : (end - first) % 2 == 1 ? 3 : 2;
        groups_.push_back({first, ob, static_cast<int64_t>(packed_.size()), bg * (K_ / kB)});
        packed_.resize(packed_.size() + static_cast<size_t>(taps * K_ * ob * kB));
        float* p = packed_.data() + groups_.back().packed;
        for (int64_t t = 0; t < taps; ++t)
          for (int64_t k = 0; k < K_; ++k)
            for (int64_t j = 0; j < ob * kB; ++j) p[(t * K_ + k) * ob * kB + j] = weight(first * kB + j, k, t);
        first += ob;
      }
    }
  }

  void run_pointwise(KernelContext& ctx, const float* x, int64_t N, int64_t CB, int64_t P, const float* bias,
                     const float* z, float* y) const {
    const auto& uk = ukernels::blocked_ukernels();
    // K in slices of at most kSliceBlocks input blocks: a group's weights for one slice (<= 24 KiB)
    // stay in L1 while the chunk's tiles run over them. Unsliced, 960 -> 320 @7x7 streamed 120 KiB
    // of weights per tile from L2 and ran 18% slower than the NCHW packed GEMM.
    // KB: the input blocks each group of output blocks reads (CB, or a block group's share).
    const int64_t KB = K_ / kB, slices = (KB + kSliceBlocks - 1) / kSliceBlocks;
    // Pixel chunks: the chunk's input slice (<= 32 KiB) stays in cache while every group of output
    // blocks runs over it. Chunks and the tiles within one are split evenly: 49 pixels as 24 + 24 +
    // 1 left a one-pixel tile doing a whole K pass for 2 FMAs per 3 loads.
    const int64_t slice_k = std::min(KB, kSliceBlocks) * kB;
    const int64_t target = std::clamp<int64_t>(8192 / slice_k, 24, 240);
    const int64_t chunks = (P + target - 1) / target;
    const int64_t ngroups = static_cast<int64_t>(groups_.size());
    const int64_t want = wanted_tasks(static_cast<double>(N) * P * K_ * M_, ctx.threads());
    const int64_t items = N * chunks;
    // Too few pixel chunks (small planes) for the threads: split the groups of output blocks too.
    const int64_t parts = std::clamp<int64_t>((want + items - 1) / items, 1, ngroups);
    const int64_t tasks = want > 1 ? items * parts : 1;
    const int64_t xs = P * kB;
    auto run_task = [&](int64_t t) {
      const int64_t i0 = tasks == 1 ? 0 : t / parts, i1 = tasks == 1 ? items : i0 + 1;
      const int64_t part = tasks == 1 ? 0 : t % parts, nparts = tasks == 1 ? 1 : parts;
      const int64_t g0 = ngroups * part / nparts, g1 = ngroups * (part + 1) / nparts;
      ukernels::BlockedPointwiseArgs a{};
      a.x_block_stride = xs;
      a.y_block_stride = xs;
      a.clamp = clamp();
      a.lo = lo();
      a.hi = hi();
      for (int64_t item = i0; item < i1; ++item) {
        const int64_t n = item / chunks, c = item % chunks;
        const int64_t c0 = P * c / chunks, c1 = P * (c + 1) / chunks;
        for (int64_t s = 0; s < slices; ++s) {
          const int64_t b0 = s * kSliceBlocks, b1 = std::min(KB, b0 + kSliceBlocks);
          a.in_blocks = b1 - b0;
          a.accumulate = s > 0;
          a.finish = s == slices - 1;
          for (int64_t gi = g0; gi < g1; ++gi) {
            const BlockGroup& g = groups_[static_cast<size_t>(gi)];
            const int px = ukernels::blocked_pointwise_tile_pixels(g.ob);
            const int64_t yoff = (n * (M_ / kB) + g.first) * xs;
            a.w = packed_.data() + g.packed + b0 * kB * g.ob * kB;
            a.bias = bias ? bias + g.first * kB : nullptr;
            const int64_t tiles = (c1 - c0 + px - 1) / px;
            int64_t unposted = c0;  // first pixel that post() has not seen yet
            for (int64_t i = 0; i < tiles; ++i) {
              const int64_t p = c0 + (c1 - c0) * i / tiles;
              a.pixels = c0 + (c1 - c0) * (i + 1) / tiles - p;
              a.x = x + (n * CB + g.x_block + b0) * xs + p * kB;
              a.y = y + yoff + p * kB;
              a.z = z ? z + yoff + p * kB : nullptr;
              uk.pointwise(a, g.ob);
              const int64_t end = p + a.pixels;
              if (a.finish && (end - unposted >= kPostPixels || i == tiles - 1)) {
                for (int b = 0; b < g.ob; ++b) post(y + yoff + b * xs + unposted * kB, (end - unposted) * kB);
                unposted = end;
              }
            }
          }
        }
      }
    };
    run_split(ctx.threads(), tasks, run_task);
  }

  // A dense conv as a sum of pointwise convs, one per tap: per output row, each tap's tiles
  // accumulate into the row over the columns whose input pixel lies inside X (the input pixels of a
  // tile are `stride` apart: 1 or 2), starting from a zeroed row; then bias, Z and the activation in
  // one pass while the row is in L1. ResNet's stride-2 3x3 and 1x1 convs between stages keep their
  // stage's tensors blocked this way.
  void run_dense(KernelContext& ctx, const float* x, int64_t N, int64_t CB, int64_t H, int64_t W,
                 const ir::WindowDim& dh, const ir::WindowDim& dw, int64_t sh, int64_t sw, const float* bias,
                 const float* z, float* y) const {
    const auto& uk = ukernels::blocked_ukernels();
    const auto& dl = attrs_.w.dilations;
    const int64_t dlh = dl.empty() ? 1 : dl[0], dlw = dl.empty() ? 1 : dl[1];
    const int64_t OH = dh.out, OW = dw.out, MB = M_ / kB, taps = KH_ * KW_;
    const int64_t ngroups = static_cast<int64_t>(groups_.size());
    const int64_t want = wanted_tasks(static_cast<double>(N) * OH * OW * K_ * M_ * taps, ctx.threads());
    // Weights (taps * K_ * M floats) against the input (N * H * W * K_ * G_): see RowGroupSplit.
    const RowGroupSplit split(want, N * OH, ngroups, taps * M_ > N * H * W * G_);
    const int64_t xs = H * W * kB, ys = OH * OW * kB;
    auto run_task = [&](int64_t t) {
      int64_t r0, r1, g0, g1;
      split.task(t, &r0, &r1, &g0, &g1);
      ukernels::BlockedPointwiseArgs a{};
      a.x_block_stride = xs;
      a.y_block_stride = ys;
      a.x_pixel_step = sw;
      a.accumulate = true;
      a.finish = false;
      // Rows in chunks whose input rows (<= 256 KiB) stay in L2 while every tap runs over them;
      // the taps loop outside the rows, so a tap's weights (<= 48 KiB) are read once per chunk.
      // Rows outside, taps inside read all of a group's weights per row: 256 -> 512 3x3 at 7x7
      // streamed 4.7 MB per row and ran at 30 GFLOP/s.
      // K runs in slices of kSliceBlocks input blocks, as in run_pointwise.
      const int64_t KB = K_ / kB, slices = (KB + kSliceBlocks - 1) / kSliceBlocks;
      const int64_t row_bytes = W * std::min(KB, kSliceBlocks) * kB * 4;
      const int64_t chunk = std::max<int64_t>(1, ((256 << 10) / std::max<int64_t>(row_bytes, 1) - KH_) / sh);
      for (int64_t c0 = r0; c0 < r1; c0 += chunk) {
        const int64_t c1 = std::min(r1, c0 + chunk);
        for (int64_t gi = g0; gi < g1; ++gi) {
          const BlockGroup& g = groups_[static_cast<size_t>(gi)];
          const int px = ukernels::blocked_pointwise_tile_pixels(g.ob);
          auto row_of = [&](int64_t r) { return y + (((r / OH) * MB + g.first) * OH + r % OH) * OW * kB; };
          for (int64_t r = c0; r < c1; ++r)
            for (int b = 0; b < g.ob; ++b) std::fill(row_of(r) + b * ys, row_of(r) + b * ys + OW * kB, 0.f);
          for (int64_t sl = 0; sl < slices; ++sl)
          for (int64_t kh = 0; kh < KH_; ++kh)
            for (int64_t kw = 0; kw < KW_; ++kw) {
              // Columns ow with 0 <= ow*sw - pw + kw*dlw < W.
              const int64_t shift = kw * dlw - dw.pad_begin;
              const int64_t lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
              const int64_t hi = W - 1 - shift < 0 ? 0 : std::min(OW, (W - 1 - shift) / sw + 1);
              if (lo >= hi) continue;
              const int64_t b0 = sl * kSliceBlocks;
              a.in_blocks = std::min(KB, b0 + kSliceBlocks) - b0;
              a.w = packed_.data() + g.packed + ((kh * KW_ + kw) * K_ + b0 * kB) * g.ob * kB;
              const int64_t tiles = (hi - lo + px - 1) / px;
              for (int64_t r = c0; r < c1; ++r) {
                const int64_t n = r / OH, oh = r % OH;
                const int64_t ih = oh * sh - dh.pad_begin + kh * dlh;
                if (ih < 0 || ih >= H) continue;
                const float* xrow = x + ((n * CB + g.x_block + b0) * H + ih) * W * kB;
                float* yrow = row_of(r);
                for (int64_t i = 0; i < tiles; ++i) {
                  const int64_t p = lo + (hi - lo) * i / tiles;
                  a.pixels = lo + (hi - lo) * (i + 1) / tiles - p;
                  a.x = xrow + (p * sw + shift) * kB;
                  a.y = yrow + p * kB;
                  uk.pointwise(a, g.ob);
                }
              }
            }
          for (int64_t r = c0; r < c1; ++r) {
            const int64_t n = r / OH, oh = r % OH;
            for (int b = 0; b < g.ob; ++b) {
              float* yb = row_of(r) + b * ys;
              const float* zb = z ? z + ((n * MB + g.first + b) * OH + oh) * OW * kB : nullptr;
              const float* bb = bias ? bias + (g.first + b) * kB : nullptr;
              for (int64_t ow = 0; ow < OW; ++ow)
                for (int64_t j = 0; j < kB; ++j) {
                  float v = yb[ow * kB + j] + (bb ? bb[j] : 0.f) + (zb ? zb[ow * kB + j] : 0.f);
                  if (clamp()) {  // as the microkernels' max/min pair, NaN included
                    v = v > lo() ? v : lo();
                    v = v < hi() ? v : hi();
                  }
                  yb[ow * kB + j] = v;
                }
              post(yb, OW * kB);
            }
          }
        }
      }
    };
    run_split(ctx.threads(), split.tasks, run_task);
  }

  // A dense conv with each tile's sums over all window taps in registers: X zero-padded once into
  // scratch (no tap then needs a bounds check), then per output row the pointwise tiles with a table
  // of tap offsets, in K slices as run_pointwise. run_dense instead accumulates one tap at a time
  // through Y, a load and a store of the tile per tap and slice.
  Status run_dense_taps(KernelContext& ctx, const float* x, int64_t N, int64_t CB, int64_t H, int64_t W,
                        const ir::WindowDim& dh, const ir::WindowDim& dw, int64_t sh, int64_t sw, const float* bias,
                        const float* z, float* y) const {
    const auto& uk = ukernels::blocked_ukernels();
    const auto& dl = attrs_.w.dilations;
    const int64_t dlh = dl.empty() ? 1 : dl[0], dlw = dl.empty() ? 1 : dl[1];
    const int64_t OH = dh.out, OW = dw.out, MB = M_ / kB, taps = KH_ * KW_, ph = dh.pad_begin, pw = dw.pad_begin;
    // The padded planes hold rows -ph .. and columns -pw .. of X, as far as any tap reaches.
    const int64_t Hp = std::max(H + ph, (OH - 1) * sh + (KH_ - 1) * dlh + 1);
    const int64_t Wp = std::max(W + pw, (OW - 1) * sw + (KW_ - 1) * dlw + 1);
    const int64_t plane = Hp * Wp * kB;
    auto* xp = static_cast<float*>(ctx.scratch(static_cast<size_t>(N * CB * plane) * sizeof(float)));
    if (!xp) return ctx.error("out of memory for the padded input");
    std::vector<int64_t> tap_off(static_cast<size_t>(taps));
    for (int64_t kh = 0; kh < KH_; ++kh)
      for (int64_t kw = 0; kw < KW_; ++kw) tap_off[static_cast<size_t>(kh * KW_ + kw)] = (kh * dlh * Wp + kw * dlw) * kB;
    const int64_t want = wanted_tasks(static_cast<double>(N) * OH * OW * K_ * M_ * taps, ctx.threads());
    pad_planes(ctx.threads(), want > 1 ? want : 1, x, N * CB, H, W, Hp, Wp, ph, pw, kB, xp);
    const RowGroupSplit split(want, N * OH, static_cast<int64_t>(groups_.size()));
    const int64_t ys = OH * OW * kB, KB = K_ / kB, slices = (KB + kSliceBlocks - 1) / kSliceBlocks;
    run_split(ctx.threads(), split.tasks, [&](int64_t t) {
      int64_t r0, r1, g0, g1;
      split.task(t, &r0, &r1, &g0, &g1);
      ukernels::BlockedPointwiseArgs a{};
      a.x_block_stride = plane;
      a.y_block_stride = ys;
      a.x_pixel_step = sw;
      a.taps = taps;
      a.tap_off = tap_off.data();
      a.clamp = clamp();
      a.lo = lo();
      a.hi = hi();
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / OH, oh = r % OH;
        const float* xrow = xp + n * CB * plane + oh * sh * Wp * kB;
        for (int64_t gi = g0; gi < g1; ++gi) {
          const BlockGroup& g = groups_[static_cast<size_t>(gi)];
          const int px = ukernels::blocked_pointwise_tile_pixels(g.ob);
          const int64_t yoff = ((n * MB + g.first) * OH + oh) * OW * kB;
          a.bias = bias ? bias + g.first * kB : nullptr;
          a.w_tap_stride = K_ * g.ob * kB;
          const int64_t tiles = (OW + px - 1) / px;
          for (int64_t i = 0; i < tiles; ++i) {
            const int64_t p = OW * i / tiles;
            a.pixels = OW * (i + 1) / tiles - p;
            a.y = y + yoff + p * kB;
            a.z = z ? z + yoff + p * kB : nullptr;
            for (int64_t sl = 0; sl < slices; ++sl) {
              const int64_t b0 = sl * kSliceBlocks;
              a.in_blocks = std::min(KB, b0 + kSliceBlocks) - b0;
              a.w = packed_.data() + g.packed + b0 * kB * g.ob * kB;
              a.x = xrow + (g.x_block + b0) * plane + p * sw * kB;
              a.accumulate = sl > 0;
              a.finish = sl == slices - 1;
              uk.pointwise(a, g.ob);
            }
          }
          for (int b = 0; b < g.ob; ++b) post(y + yoff + b * ys, OW * kB);
        }
      }
    });
    return Status::ok();
  }

  // A conv on an NCHW input with any channel count (a network's stem on an image) writing blocked
  // output, so that the chain after it needs no ToBlocked: the input zero-padded once (no tap then
  // needs a bounds check), then per output row the stem tiles of every group of output blocks,
  // reading one scalar per tap and pixel through a table of tap offsets in the order of the packed
  // weights (taps [kh, kw] outer, channels inner). MobileNetV2's 3 -> 32 stem: 417 us NCHW plus
  // 61 us for the ToBlocked after it.
  Status run_stem(KernelContext& ctx, const float* x, int64_t N, int64_t H, int64_t W, const ir::WindowDim& dh,
                  const ir::WindowDim& dw, int64_t sh, int64_t sw, const float* bias, float* y) const {
    const auto& uk = ukernels::blocked_ukernels();
    const auto& dl = attrs_.w.dilations;
    const int64_t dlh = dl.empty() ? 1 : dl[0], dlw = dl.empty() ? 1 : dl[1];
    const int64_t OH = dh.out, OW = dw.out, MB = M_ / kB, C = K_, ph = dh.pad_begin, pw = dw.pad_begin;
    // The padded plane holds rows -ph .. and columns -pw .. of X, as far as any tap reaches.
    const int64_t Hp = std::max(H + ph, (OH - 1) * sh + (KH_ - 1) * dlh + 1);
    const int64_t Wp = std::max(W + pw, (OW - 1) * sw + (KW_ - 1) * dlw + 1);
    const int64_t plane = Hp * Wp;
    auto* xp = static_cast<float*>(ctx.scratch(static_cast<size_t>(N * C * plane) * sizeof(float)));
    if (!xp) return ctx.error("out of memory for the padded input");
    std::vector<int64_t> tap_off(static_cast<size_t>(KH_ * KW_ * C));
    for (int64_t kh = 0; kh < KH_; ++kh)
      for (int64_t kw = 0; kw < KW_; ++kw)
        for (int64_t c = 0; c < C; ++c)
          tap_off[static_cast<size_t>((kh * KW_ + kw) * C + c)] = c * plane + kh * dlh * Wp + kw * dlw;
    const int64_t want = wanted_tasks(static_cast<double>(N) * OH * OW * C * KH_ * KW_ * M_, ctx.threads());
    pad_planes(ctx.threads(), want > 1 ? want : 1, x, N * C, H, W, Hp, Wp, ph, pw, 1, xp);
    const int64_t rows = N * OH, tasks = want > 1 ? std::min(want, rows) : 1, ys = OH * OW * kB;
    run_split(ctx.threads(), tasks, [&](int64_t t) {
      ukernels::BlockedStemArgs a{};
      a.taps = static_cast<int64_t>(tap_off.size());
      a.tap_off = tap_off.data();
      a.x_pixel_step = sw;
      a.y_block_stride = ys;
      a.clamp = clamp();
      a.lo = lo();
      a.hi = hi();
      for (int64_t r = rows * t / tasks; r < rows * (t + 1) / tasks; ++r) {
        const int64_t n = r / OH, oh = r % OH;
        const float* xrow = xp + n * C * plane + oh * sh * Wp;
        for (const BlockGroup& g : groups_) {
          const int px = ukernels::blocked_pointwise_tile_pixels(g.ob);
          const int64_t tiles = (OW + px - 1) / px;
          float* yrow = y + ((n * MB + g.first) * OH + oh) * OW * kB;
          a.w = packed_.data() + g.packed;
          a.bias = bias ? bias + g.first * kB : nullptr;
          for (int64_t i = 0; i < tiles; ++i) {
            const int64_t p = OW * i / tiles;
            a.pixels = OW * (i + 1) / tiles - p;
            a.x = xrow + p * sw;
            a.y = yrow + p * kB;
            uk.stem(a, g.ob);
          }
          for (int b = 0; b < g.ob; ++b) post(yrow + b * ys, OW * kB);
        }
      }
    });
    return Status::ok();
  }

  void run_depthwise(KernelContext& ctx, const float* x, int64_t N, int64_t CB, const ukernels::DwConv2dArgs& g,
                     const float* bias, const float* z, float* y) const {
    const auto& uk = ukernels::blocked_ukernels();
    const int64_t planes = N * CB, taps = KH_ * KW_;
    // A depthwise multiply-add costs ~4 of the pointwise kernel's (12 against 45 GMAC/s on one
    // core): counted as such, MobileNetV2's 7x7 and 14x14 ones split over 2 threads (1.5% of it).
    constexpr double kDepthwiseMacCost = 4.0;
    const int64_t want =
        wanted_tasks(kDepthwiseMacCost * static_cast<double>(planes) * g.OH * g.OW * taps * kB, ctx.threads());
    // Row bands per plane when the planes alone are too few tasks.
    const int64_t bands = std::clamp<int64_t>((want + planes - 1) / planes, 1, g.OH);
    const int64_t tasks = want > 1 ? planes * bands : 1;
    auto run_task = [&](int64_t t) {
      const int64_t p0 = tasks == 1 ? 0 : t / bands, p1 = tasks == 1 ? planes : p0 + 1;
      const int64_t band = tasks == 1 ? 0 : t % bands, nbands = tasks == 1 ? 1 : bands;
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t cb = p % CB;
        ukernels::BlockedDepthwiseArgs a;
        a.geom = g;
        a.x = x + p * g.H * g.W * kB;
        a.w = packed_.data() + cb * taps * kB;
        a.bias = bias ? bias + cb * kB : nullptr;
        a.y = y + p * g.OH * g.OW * kB;
        a.z = z ? z + p * g.OH * g.OW * kB : nullptr;
        a.oh0 = g.OH * band / nbands;
        a.oh1 = g.OH * (band + 1) / nbands;
        uk.depthwise(a);
        post(a.y + a.oh0 * g.OW * kB, (a.oh1 - a.oh0) * g.OW * kB);
      }
    };
    run_split(ctx.threads(), tasks, run_task);
  }

  enum class Kind { kPointwise, kDepthwise, kWinograd, kDense, kStem };
  ir::FusedActivation act_;
  nn::ConvAttrs attrs_;
  Kind kind_ = Kind::kPointwise;
  winograd::Weights wino_;
  int64_t M_ = 0, K_ = 0, KH_ = 0, KW_ = 0;
  int64_t G_ = 1;  // block groups of a grouped conv (ir::blocked_merged_groups), each reading K_ inputs
  std::vector<BlockGroup> groups_;
  std::vector<float> packed_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_cpu_blocked_conv(const KernelInit& init) {
  return BlockedConvKernel::create(init);
}

Expected<std::unique_ptr<Kernel>> make_cpu_to_blocked(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&reorder<true>, "to_blocked"));
}

Expected<std::unique_ptr<Kernel>> make_cpu_from_blocked(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(&reorder<false>, "from_blocked"));
}

}  // namespace onnxrt::kernels
