// Cast, CastLike and BitCast on the CPU. Pairs of standard numeric types run a typed loop per
// (source, target) instantiation; pairs involving strings or the low-precision types (float8,
// float4, float6, int4, int2, ...) go element by element through kernels/reference's
// cast::load/store, which are exact and share the spec's rounding rules.
#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>

#include "base/float8.h"
#include "ir/attribute.h"
#include "kernels/cpu/elementwise_impl.h"
#include "kernels/ukernels/elementwise/convert_16bit.h"
#include "kernels/reference/elementwise_cast.h"
#include "kernels/reference/elementwise_types.h"

namespace onnxrt::kernels::ew {

namespace {

std::string type_name(DType t) { return std::string(dtype_name(t)); }

using CastFn = void (*)(const void* x, void* y, int64_t begin, int64_t end);

template <typename S, typename D>
void cast_range(const void* x, void* y, int64_t begin, int64_t end) {
  const S* px = static_cast<const S*>(x);
  D* py = static_cast<D*>(y);
  for (int64_t i = begin; i < end; ++i) py[i] = cast_value<D>(px[i]);
}

template <Widen16Fn (Convert16Fns::*kFn)>
void widen_range(const void* x, void* y, int64_t begin, int64_t end) {
  (convert_16bit_ukernels().*kFn)(static_cast<const uint16_t*>(x) + begin, static_cast<float*>(y) + begin, end - begin);
}

template <Narrow16Fn (Convert16Fns::*kFn)>
void narrow_range(const void* x, void* y, int64_t begin, int64_t end) {
  (convert_16bit_ukernels().*kFn)(static_cast<const float*>(x) + begin, static_cast<uint16_t*>(y) + begin, end - begin);
}

CastFn find_typed_cast(DType from, DType to) {
  // float16 / bfloat16 <-> float32, the casts at the edges of 16-bit models: vectorized.
  if (from == DType::kFloat16 && to == DType::kFloat32) return &widen_range<&Convert16Fns::widen_f16>;
  if (from == DType::kBFloat16 && to == DType::kFloat32) return &widen_range<&Convert16Fns::widen_bf16>;
  if (from == DType::kFloat32 && to == DType::kFloat16) return &narrow_range<&Convert16Fns::narrow_f16>;
  if (from == DType::kFloat32 && to == DType::kBFloat16) return &narrow_range<&Convert16Fns::narrow_bf16>;
  CastFn fn = nullptr;
  visit_numeric(from, [&](auto ts) {
    using S = typename decltype(ts)::type;
    visit_numeric(to, [&](auto td) {
      using D = typename decltype(td)::type;
      fn = &cast_range<S, D>;
    });
  });
  return fn;
}

// Blocks of this many elements: a multiple of 4, so that sub-byte outputs (4-, 2- and 6-bit
// elements) never share a byte between two blocks, and threads can write blocks independently.
constexpr int64_t kBlock = 256;

class CastKernel final : public Kernel {
 public:
  CastFn typed = nullptr;
  DType from = DType::kUndefined, to = DType::kUndefined;
  cast::Options opt;

  Status run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.input(0);
    Tensor& y = *ctx.output(0);
    if (x.size() != y.size()) return ctx.error("input and output element counts differ");
    if (x.dtype() != from || y.dtype() != to)
      return ctx.error("expected " + type_name(from) + " -> " + type_name(to) + ", got " +
                       type_name(x.dtype()) + " -> " + type_name(y.dtype()));
    if (typed) {
      parallel_elements(ctx.threads(), x.size(), 2.0,
                        [&](int64_t b, int64_t e) { typed(x.raw(), y.raw(), b, e); });
      return Status::ok();
    }
    const int64_t n = x.size();
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    const double cost = (from == DType::kString || to == DType::kString ? 200.0 : 20.0) * kBlock;
    const void* px = x.raw();
    void* py = y.raw();
    parallel_elements(ctx.threads(), blocks, cost, [&](int64_t b, int64_t e) {
      const int64_t end = std::min(n, e * kBlock);
      for (int64_t i = b * kBlock; i < end; ++i) cast::store(to, py, i, cast::load(from, px, i), opt);
    });
    return Status::ok();
  }
};

Status bitcast_run(KernelContext& ctx) {
  const Tensor& x = *ctx.input(0);
  Tensor& y = *ctx.output(0);
  if (x.nbytes() != y.nbytes())
    return ctx.error("input (" + type_name(x.dtype()) + ", " + std::to_string(x.nbytes()) +
                     " bytes) and output (" + type_name(y.dtype()) + ", " +
                     std::to_string(y.nbytes()) + " bytes) differ in size");
  if (x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
  return Status::ok();
}

}  // namespace

Expected<cast::Options> read_cast_options(const KernelInit& init) {
  ir::AttrReader at(init.node);
  cast::Options opt;
  opt.saturate = at.i("saturate", 1) != 0;
  const std::string mode = at.s("round_mode", "up");
  ONNXRT_RETURN_IF_ERROR(at.status());
  if (mode == "up") opt.round_mode = E8M0Round::kUp;
  else if (mode == "down") opt.round_mode = E8M0Round::kDown;
  else if (mode == "nearest") opt.round_mode = E8M0Round::kNearest;
  else return init.error("attribute 'round_mode' must be up, down or nearest, got '" + mode + "'");
  return opt;
}

Expected<std::unique_ptr<Kernel>> make_cast(const KernelInit& init) {
  if (init.input_types.empty() || !init.input_types[0] || init.output_types.empty() ||
      !init.output_types[0])
    return init.error("missing input or output type");
  auto k = std::make_unique<CastKernel>();
  ONNXRT_ASSIGN_OR_RETURN(k->opt, read_cast_options(init));
  k->from = init.input_types[0]->dtype;
  k->to = init.output_types[0]->dtype;
  if (!cast::castable(k->from) || !cast::castable(k->to))
    return not_implemented(init.node.describe() + ": cast from " + type_name(k->from) + " to " +
                           type_name(k->to) + " is not implemented");
  k->typed = find_typed_cast(k->from, k->to);
  return std::unique_ptr<Kernel>(std::move(k));
}

Expected<std::unique_ptr<Kernel>> make_bitcast(const KernelInit& init) {
  if (init.input_types.empty() || !init.input_types[0]) return init.error("missing input 0");
  if (init.input_types[0]->dtype == DType::kString)
    return init.error("input 0 must not be a string tensor");
  return std::unique_ptr<Kernel>(new FunctionKernel(&bitcast_run, "default"));
}

}  // namespace onnxrt::kernels::ew
