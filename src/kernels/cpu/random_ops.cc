// Random generators. With a `seed` attribute the stream is MT19937 seeded with it, turned into
// 53-bit uniform doubles the way numpy's legacy RandomState does, so runs are reproducible; the
// values are not promised to match any other runtime (the spec leaves the generator open).
// Without a seed every run draws a fresh seed.
#include "kernels/cpu/random_ops.h"

#include <cmath>
#include <mutex>
#include <random>
#include <string>

#include "base/half.h"
#include "ir/attribute.h"

namespace onnxrt::kernels {

namespace {

enum class Kind { kUniform, kNormal, kBernoulli, kMultinomial };

class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  double uniform() {  // [0, 1)
    const uint32_t a = gen_() >> 5, b = gen_() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }
  double normal() {  // Box-Muller; 1 - u keeps the log argument in (0, 1]
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937 gen_;
};

uint32_t fresh_seed() {
  static std::mutex mu;
  static std::random_device rd;
  std::lock_guard<std::mutex> lock(mu);
  return rd();
}

bool store(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32: t.data<float>()[i] = static_cast<float>(v); return true;
    case DType::kFloat64: t.data<double>()[i] = v; return true;
    case DType::kFloat16: t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v)); return true;
    case DType::kBFloat16: t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v)); return true;
    case DType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(v); return true;
    case DType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(v); return true;
    case DType::kInt16: t.data<int16_t>()[i] = static_cast<int16_t>(v); return true;
    case DType::kUInt16: t.data<uint16_t>()[i] = static_cast<uint16_t>(v); return true;
    case DType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(v); return true;
    case DType::kUInt32: t.data<uint32_t>()[i] = static_cast<uint32_t>(v); return true;
    case DType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(v); return true;
    case DType::kUInt64: t.data<uint64_t>()[i] = static_cast<uint64_t>(v); return true;
    case DType::kBool: t.data<bool>()[i] = v != 0; return true;
    default: return false;
  }
}

bool load(const Tensor& t, int64_t i, double* v) {
  switch (t.dtype()) {
    case DType::kFloat32: *v = t.data<float>()[i]; return true;
    case DType::kFloat64: *v = t.data<double>()[i]; return true;
    case DType::kFloat16: *v = half_to_float(t.data<uint16_t>()[i]); return true;
    case DType::kBFloat16: *v = bfloat16_to_float(t.data<uint16_t>()[i]); return true;
    default: return false;
  }
}

class RandomKernel final : public Kernel {
 public:
  RandomKernel(Kind kind, bool seeded, uint32_t seed, double a, double b, int64_t samples)
      : kind_(kind), seeded_(seeded), seed_(seed), a_(a), b_(b), samples_(samples) {}

  Status run(KernelContext& ctx) const override {
    Tensor* y = ctx.output(0);
    if (!y) return ctx.error("needs output 0");
    Rng rng(seeded_ ? seed_ : fresh_seed());
    const Tensor* x = ctx.num_inputs() > 0 ? ctx.input(0) : nullptr;
    switch (kind_) {
      case Kind::kUniform:
      case Kind::kNormal:
        for (int64_t i = 0; i < y->size(); ++i) {
          const double v = kind_ == Kind::kUniform ? a_ + (b_ - a_) * rng.uniform() : a_ + b_ * rng.normal();
          if (!store(*y, i, v)) return ctx.error("unsupported output type " + std::string(dtype_name(y->dtype())));
        }
        return Status::ok();
      case Kind::kBernoulli: {
        if (!x || x->size() != y->size()) return ctx.error("needs input 0 of the output's shape");
        for (int64_t i = 0; i < y->size(); ++i) {
          double p = 0;
          if (!load(*x, i, &p)) return ctx.error("input must be a float tensor");
          if (!store(*y, i, rng.uniform() < p ? 1.0 : 0.0))
            return ctx.error("unsupported output type " + std::string(dtype_name(y->dtype())));
        }
        return Status::ok();
      }
      case Kind::kMultinomial: {
        if (!x || x->rank() != 2) return ctx.error("input must have shape [batch_size, class_size]");
        const int64_t B = x->dim(0), C = x->dim(1);
        if (y->rank() != 2 || y->dim(0) != B || y->dim(1) != samples_)
          return ctx.error("output must have shape [" + std::to_string(B) + ", " + std::to_string(samples_) + "]");
        if (y->dtype() != DType::kInt32 && y->dtype() != DType::kInt64)
          return ctx.error("output must be int32 or int64");
        std::vector<double> cdf(static_cast<size_t>(C));
        for (int64_t b = 0; b < B; ++b) {
          // Input rows are unnormalized log-probabilities: softmax them into a CDF.
          double mx = -INFINITY;
          for (int64_t c = 0; c < C; ++c) {
            double v = 0;
            if (!load(*x, b * C + c, &v)) return ctx.error("input must be a float tensor");
            cdf[c] = v;
            mx = std::max(mx, v);
          }
          double s = 0;
          for (int64_t c = 0; c < C; ++c) s += cdf[c] = std::isinf(mx) && mx < 0 ? 1.0 : std::exp(cdf[c] - mx);
          double acc = 0;
          for (int64_t c = 0; c < C; ++c) cdf[c] = (acc += cdf[c] / s);
          for (int64_t k = 0; k < samples_; ++k) {
            const double u = rng.uniform();
            int64_t c = 0;
            while (c + 1 < C && u >= cdf[c]) ++c;
            store(*y, b * samples_ + k, static_cast<double>(c));
          }
        }
        return Status::ok();
      }
    }
    return Status::ok();
  }

 private:
  Kind kind_;
  bool seeded_;
  uint32_t seed_;
  double a_, b_;
  int64_t samples_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_random(const KernelInit& init) {
  const std::string& op = init.node.op_type;
  ir::AttrReader a(init.node);
  const bool seeded = a.has("seed");
  const double seed_f = a.f("seed", 0.0f);
  Kind kind = Kind::kUniform;
  double p = 0, q = 1;
  int64_t samples = 0;
  if (op == "RandomUniform" || op == "RandomUniformLike") {
    p = a.f("low", 0.0f);
    q = a.f("high", 1.0f);
  } else if (op == "RandomNormal" || op == "RandomNormalLike") {
    kind = Kind::kNormal;
    p = a.f("mean", 0.0f);
    q = a.f("scale", 1.0f);
  } else if (op == "Bernoulli") {
    kind = Kind::kBernoulli;
  } else if (op == "Multinomial") {
    kind = Kind::kMultinomial;
    samples = a.i("sample_size", 1);
  } else {
    return init.error("not a random op");
  }
  ONNXRT_RETURN_IF_ERROR(a.status());
  // The seed is a float attribute; its integer part modulo 2^32 seeds the generator. Computed in
  // floating point: any float is a valid attribute, and converting one beyond int64 (or NaN) to an
  // integer is undefined (found by fuzz_session). NaN and infinities seed with 0.
  double whole = std::isfinite(seed_f) ? std::fmod(std::trunc(static_cast<double>(seed_f)), 4294967296.0) : 0.0;
  if (whole < 0) whole += 4294967296.0;
  const uint32_t seed = static_cast<uint32_t>(whole);
  return std::unique_ptr<Kernel>(new RandomKernel(kind, seeded, seed, p, q, samples));
}

}  // namespace onnxrt::kernels
