// The float32 bridge (see nn_types.h).
#include "kernels/cpu/nn_types.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/half.h"
#include "kernels/registry.h"

namespace onnxrt::kernels::nn {

bool bridgeable(DType t) {
  return t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat64 ||
         t == DType::kUInt8 || t == DType::kInt8;
}

namespace {

Tensor to_f32(const Tensor& t) {
  Tensor out = Tensor::allocate(DType::kFloat32, t.shape());
  float* o = out.data<float>();
  const int64_t n = t.size();
  switch (t.dtype()) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) o[i] = half_to_float(t.data<uint16_t>()[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) o[i] = bfloat16_to_float(t.data<uint16_t>()[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(t.data<double>()[i]);
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) o[i] = t.data<uint8_t>()[i];
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) o[i] = t.data<int8_t>()[i];
      break;
    default:
      break;
  }
  return out;
}

template <typename I>
I round_sat(float v) {
  if (std::isnan(v)) return 0;
  const float r = std::nearbyint(v);
  if (r <= static_cast<float>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (r >= static_cast<float>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(r);
}

void from_f32(const Tensor& src, Tensor& dst) {
  const float* s = src.data<float>();
  const int64_t n = std::min(src.size(), dst.size());
  switch (dst.dtype()) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) dst.data<uint16_t>()[i] = float_to_half(s[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) dst.data<uint16_t>()[i] = float_to_bfloat16(s[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) dst.data<double>()[i] = s[i];
      break;
    case DType::kUInt8:
      for (int64_t i = 0; i < n; ++i) dst.data<uint8_t>()[i] = round_sat<uint8_t>(s[i]);
      break;
    case DType::kInt8:
      for (int64_t i = 0; i < n; ++i) dst.data<int8_t>()[i] = round_sat<int8_t>(s[i]);
      break;
    default:
      break;
  }
}

// Presents float32 copies of the converted values to the inner kernel.
class BridgeContext final : public KernelContext {
 public:
  BridgeContext(KernelContext& outer, DType t) : outer_(outer), t_(t) {
    ins_.resize(outer.num_inputs());
    in_conv_.assign(outer.num_inputs(), false);
    for (size_t i = 0; i < ins_.size(); ++i) {
      const Tensor* x = outer.input(i);
      if (x && x->dtype() == t) {
        ins_[i] = to_f32(*x);
        in_conv_[i] = true;
      }
    }
    outs_.resize(outer.num_outputs());
    out_conv_.assign(outer.num_outputs(), false);
    for (size_t i = 0; i < outs_.size(); ++i) {
      Tensor* y = outer.output(i);
      if (y && y->dtype() == t) {
        outs_[i] = Tensor::allocate(DType::kFloat32, y->shape());
        out_conv_[i] = true;
      }
    }
  }

  size_t num_inputs() const override { return ins_.size(); }
  const Tensor* input(size_t i) const override {
    if (i < ins_.size() && in_conv_[i]) return &ins_[i];
    return outer_.input(i);
  }
  size_t num_outputs() const override { return outs_.size(); }
  Tensor* output(size_t i) override {
    if (i < outs_.size() && out_conv_[i]) return &outs_[i];
    return outer_.output(i);
  }
  Tensor* allocate_output(size_t i, DType dtype, Shape shape) override {
    if (i < outs_.size() && dtype == DType::kFloat32) {
      outs_[i] = Tensor::allocate(DType::kFloat32, shape);
      out_conv_[i] = true;
      allocated_.resize(outs_.size(), false);
      allocated_[i] = true;
      return &outs_[i];
    }
    return outer_.allocate_output(i, dtype, std::move(shape));
  }
  void* scratch(size_t bytes) override { return outer_.scratch(bytes); }
  ThreadPool& threads() override { return outer_.threads(); }
  const ir::Node& node() const override { return outer_.node(); }
  const Value* input_value(size_t i) const override { return outer_.input_value(i); }

  Status write_back() {
    for (size_t i = 0; i < outs_.size(); ++i) {
      if (!out_conv_[i]) continue;
      Tensor* y = nullptr;
      if (i < allocated_.size() && allocated_[i]) {
        y = outer_.allocate_output(i, t_, outs_[i].shape());
      } else {
        y = outer_.output(i);
      }
      if (!y) continue;
      if (y->size() != outs_[i].size())
        return error("output " + std::to_string(i) + " has " + std::to_string(y->size()) +
                     " elements, the float32 kernel produced " + std::to_string(outs_[i].size()));
      from_f32(outs_[i], *y);
    }
    return Status::ok();
  }

 private:
  KernelContext& outer_;
  DType t_;
  std::vector<Tensor> ins_, outs_;
  std::vector<bool> in_conv_, out_conv_, allocated_;
};

class F32Bridge final : public Kernel {
 public:
  F32Bridge(DType t, std::unique_ptr<Kernel> inner) : t_(t), inner_(std::move(inner)) {}
  Status run(KernelContext& ctx) const override {
    BridgeContext bc(ctx, t_);
    if (Status s = inner_->run(bc); !s.is_ok()) return s;
    return bc.write_back();
  }
  const char* variant() const override { return "f32_bridge"; }

 private:
  DType t_;
  std::unique_ptr<Kernel> inner_;
};

}  // namespace

Expected<std::unique_ptr<Kernel>> make_f32_bridge(const KernelInit& init, KernelFactory inner,
                                                  bool allow_int8) {
  const DType t = key_dtype(init.input_types, init.output_types);
  if (t == DType::kFloat32) return inner(init);
  const bool is_int8 = t == DType::kUInt8 || t == DType::kInt8;
  if (!bridgeable(t) || (is_int8 && !allow_int8))
    return not_implemented(init.node.describe() + ": element type " + std::string(dtype_name(t)) +
                           " is not supported");
  // Types seen by the inner factory: T replaced by float32. Constant inputs of type T are hidden
  // (the inner kernel then reads them at run time from the converted copies).
  std::vector<ir::ValueType> in_store(init.input_types.size()), out_store(init.output_types.size());
  std::vector<const ir::ValueType*> in_types(init.input_types.size(), nullptr);
  std::vector<const ir::ValueType*> out_types(init.output_types.size(), nullptr);
  std::vector<const Tensor*> consts(init.constant_inputs.begin(), init.constant_inputs.end());
  for (size_t i = 0; i < in_types.size(); ++i) {
    if (!init.input_types[i]) continue;
    in_store[i] = *init.input_types[i];
    if (in_store[i].dtype == t) {
      in_store[i].dtype = DType::kFloat32;
      if (i < consts.size()) consts[i] = nullptr;
    }
    in_types[i] = &in_store[i];
  }
  for (size_t i = 0; i < out_types.size(); ++i) {
    if (!init.output_types[i]) continue;
    out_store[i] = *init.output_types[i];
    if (out_store[i].dtype == t) out_store[i].dtype = DType::kFloat32;
    out_types[i] = &out_store[i];
  }
  KernelInit f32_init{init.node, in_types, consts, out_types};
  auto k = inner(f32_init);
  if (!k) return k.status();
  return std::unique_ptr<Kernel>(new F32Bridge(t, std::move(*k)));
}

}  // namespace onnxrt::kernels::nn
