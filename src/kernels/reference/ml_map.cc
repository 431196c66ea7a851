// The ai.onnx.ml ops on maps and sequences: ZipMap (scores to one map per row), CastMap and
// DictVectorizer (a map to a dense row). Maps are Values holding a keys and a values tensor.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unordered_map>

#include "ir/attribute.h"
#include "kernels/reference/ml_common.h"
#include "tensor/value.h"

namespace onnxrt::kernels::ml {

namespace {

using KernelPtr = Expected<std::unique_ptr<Kernel>>;

class ZipMap final : public Kernel {
 public:
  explicit ZipMap(Tensor keys) : keys_(std::move(keys)) {}
  Status run(KernelContext& ctx) const override {
    const Tensor* x = ctx.input(0);
    if (!x || x->dtype() != DType::kFloat32) return ctx.error("input 0 (X) must be a float tensor");
    if (x->rank() != 1 && x->rank() != 2) return ctx.error("X must have rank 1 or 2, got rank " + std::to_string(x->rank()));
    const int64_t rows = x->rank() == 1 ? 1 : x->dim(0);
    const int64_t cols = x->rank() == 1 ? x->dim(0) : x->dim(1);
    if (cols != keys_.size())
      return ctx.error("X has " + std::to_string(cols) + " columns for " + std::to_string(keys_.size()) + " class labels");
    std::vector<Value> maps;
    maps.reserve(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      Tensor v = Tensor::allocate(DType::kFloat32, {cols});
      std::copy(x->data<float>() + r * cols, x->data<float>() + (r + 1) * cols, v.data<float>());
      maps.push_back(Value::map(keys_, std::move(v)));
    }
    return ctx.set_output_value(0, Value::sequence(std::move(maps)));
  }

 private:
  Tensor keys_;
};

// onnxruntime writes floats as std::to_string does ("%f").
std::string float_to_string(float v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", static_cast<double>(v));
  return buf;
}

class CastMap final : public Kernel {
 public:
  CastMap(DType to, bool sparse, int64_t max_map) : to_(to), sparse_(sparse), max_map_(max_map) {}
  Status run(KernelContext& ctx) const override {
    const Value* in = ctx.input_value(0);
    if (!in || !in->is_map()) return ctx.error("input 0 (X) must be a map");
    const MapValue& m = in->map();
    if (m.keys.dtype() != DType::kInt64) return ctx.error("map keys must be int64, got " + std::string(dtype_name(m.keys.dtype())));
    const DType vd = m.values.dtype();
    if (vd != DType::kString && vd != DType::kFloat32)
      return ctx.error("map values must be string or float, got " + std::string(dtype_name(vd)));
    const int64_t n = m.keys.size();
    if (m.values.size() != n) return ctx.error("map has " + std::to_string(n) + " keys and " + std::to_string(m.values.size()) + " values");
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const int64_t* keys = m.keys.data<int64_t>();
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
    const int64_t width = sparse_ ? max_map_ : n;
    Tensor* y = sparse_ && ctx.output(0) ? ctx.output(0) : ctx.allocate_output(0, to_, {1, width});
    if (!y) return runtime_error(ctx.node().describe() + ": cannot allocate output 0");
    // SPARSE: keys are positions; absent positions hold 0 ("0" for strings).
    for (int64_t i = 0; i < width; ++i) {
      if (to_ == DType::kString) y->data<std::string>()[i] = "0";
      else if (to_ == DType::kInt64) y->data<int64_t>()[i] = 0;
      else y->data<float>()[i] = 0.0f;
    }
    for (int64_t j = 0; j < n; ++j) {
      const int64_t src = order[static_cast<size_t>(j)];
      int64_t pos = j;
      if (sparse_) {
        pos = keys[src];
        if (pos < 0 || pos >= max_map_)
          return ctx.error("map key " + std::to_string(pos) + " is outside [0, max_map=" + std::to_string(max_map_) + ")");
      }
      if (vd == DType::kString) {
        const std::string& s = m.values.data<std::string>()[src];
        if (to_ == DType::kString) y->data<std::string>()[pos] = s;
        else if (to_ == DType::kFloat32) y->data<float>()[pos] = static_cast<float>(std::strtod(s.c_str(), nullptr));
        else y->data<int64_t>()[pos] = std::strtoll(s.c_str(), nullptr, 10);
      } else {
        const float v = m.values.data<float>()[src];
        if (to_ == DType::kString) y->data<std::string>()[pos] = float_to_string(v);
        else if (to_ == DType::kFloat32) y->data<float>()[pos] = v;
        else y->data<int64_t>()[pos] = static_cast<int64_t>(v);
      }
    }
    return Status::ok();
  }

 private:
  DType to_;
  bool sparse_;
  int64_t max_map_;
};

class DictVectorizer final : public Kernel {
 public:
  Status run(KernelContext& ctx) const override {
    const Value* in = ctx.input_value(0);
    if (!in || !in->is_map()) return ctx.error("input 0 (X) must be a map");
    const MapValue& m = in->map();
    const bool string_keys = !svocab_.empty();
    if ((m.keys.dtype() == DType::kString) != string_keys)
      return ctx.error("map keys are " + std::string(dtype_name(m.keys.dtype())) + ", the vocabulary is " +
                       (string_keys ? "string" : "int64"));
    const DType vd = m.values.dtype();
    if (vd != DType::kInt64 && vd != DType::kFloat32 && vd != DType::kFloat64 && vd != DType::kString)
      return ctx.error("map values of type " + std::string(dtype_name(vd)) + " are not supported");
    if (m.values.size() != m.keys.size()) return ctx.error("map keys and values differ in length");
    const int64_t width = static_cast<int64_t>(string_keys ? svocab_.size() : ivocab_.size());
    Tensor* y = ctx.output(0);
    if (!y || y->dtype() != vd) y = ctx.allocate_output(0, vd, {1, width});
    if (!y) return runtime_error(ctx.node().describe() + ": cannot allocate output 0");
    const size_t es = vd == DType::kString ? 0 : static_cast<size_t>(dtype_bits(vd) / 8);
    if (es) std::fill(static_cast<char*>(y->raw()), static_cast<char*>(y->raw()) + es * static_cast<size_t>(width), 0);
    else for (int64_t i = 0; i < width; ++i) y->data<std::string>()[i].clear();
    for (int64_t j = 0; j < m.keys.size(); ++j) {
      int64_t pos = -1;
      if (string_keys) {
        auto it = svocab_.find(m.keys.data<std::string>()[j]);
        if (it != svocab_.end()) pos = it->second;
      } else {
        auto it = ivocab_.find(m.keys.data<int64_t>()[j]);
        if (it != ivocab_.end()) pos = it->second;
      }
      if (pos < 0) continue;
      if (es) std::memcpy(static_cast<char*>(y->raw()) + es * static_cast<size_t>(pos), static_cast<const char*>(m.values.raw()) + es * static_cast<size_t>(j), es);
      else y->data<std::string>()[pos] = m.values.data<std::string>()[j];
    }
    return Status::ok();
  }
  std::unordered_map<std::string, int64_t> svocab_;
  std::unordered_map<int64_t, int64_t> ivocab_;
};

}  // namespace

KernelPtr make_zipmap(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const auto ints = a.ints("classlabels_int64s");
  const auto strs = a.strings("classlabels_strings");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ints.empty() == strs.empty()) return init.error("exactly one of classlabels_strings and classlabels_int64s is required");
  Tensor keys;
  if (!strs.empty()) {
    keys = Tensor::allocate(DType::kString, {static_cast<int64_t>(strs.size())});
    for (size_t i = 0; i < strs.size(); ++i) keys.data<std::string>()[i] = strs[i];
  } else {
    keys = Tensor::allocate(DType::kInt64, {static_cast<int64_t>(ints.size())});
    std::copy(ints.begin(), ints.end(), keys.data<int64_t>());
  }
  return std::unique_ptr<Kernel>(new ZipMap(std::move(keys)));
}

KernelPtr make_cast_map(const KernelInit& init) {
  ir::AttrReader a(init.node);
  const std::string cast_to = a.s("cast_to", "TO_FLOAT");
  const std::string form = a.s("map_form", "DENSE");
  const int64_t max_map = a.i("max_map", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  DType to;
  if (cast_to == "TO_FLOAT") to = DType::kFloat32;
  else if (cast_to == "TO_STRING") to = DType::kString;
  else if (cast_to == "TO_INT64") to = DType::kInt64;
  else return init.error("cast_to must be TO_FLOAT, TO_STRING or TO_INT64, got '" + cast_to + "'");
  if (form != "DENSE" && form != "SPARSE") return init.error("map_form must be DENSE or SPARSE, got '" + form + "'");
  if (max_map < 0) return init.error("max_map must be >= 0");
  return std::unique_ptr<Kernel>(new CastMap(to, form == "SPARSE", max_map));
}

KernelPtr make_dict_vectorizer(const KernelInit& init) {
  auto k = std::make_unique<DictVectorizer>();
  ir::AttrReader a(init.node);
  const auto ints = a.ints("int64_vocabulary");
  const auto strs = a.strings("string_vocabulary");
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (ints.empty() == strs.empty()) return init.error("exactly one of int64_vocabulary and string_vocabulary is required");
  for (size_t i = 0; i < strs.size(); ++i) k->svocab_.emplace(strs[i], static_cast<int64_t>(i));
  for (size_t i = 0; i < ints.size(); ++i) k->ivocab_.emplace(ints[i], static_cast<int64_t>(i));
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace onnxrt::kernels::ml
