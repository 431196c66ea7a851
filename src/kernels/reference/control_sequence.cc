// Sequence and optional ops. Sequences hold tensors by reference (Value handles); a tensor
// entering a sequence is owned first (set_output_value does it for the whole value), so
// elements never point into a run's arena.
#include <string>

#include "ir/attribute.h"
#include "kernels/reference/control_kernels.h"
#include "kernels/reference/control_util.h"

namespace onnxrt::kernels {

namespace {

Expected<const Value*> sequence_input(KernelContext& ctx, size_t i) {
  const Value* v = ctx.input_value(i);
  if (!v || !v->is_sequence()) {
    return ctx.error("input " + std::to_string(i) + " must be a sequence, got " + (v ? v->describe() : "nothing"));
  }
  return v;
}

// Position input `i` normalized into [0, n + extra): negative counts from the back.
Expected<int64_t> position(KernelContext& ctx, size_t i, int64_t n, int64_t extra, int64_t def) {
  const Tensor* p = ctx.input(i);
  if (!p) return def;
  ONNXRT_ASSIGN_OR_RETURN(int64_t pos, control::read_index(ctx, *p, "position"));
  const int64_t hi = n + extra - 1;
  if (pos < -n || pos > hi) {
    return ctx.error("position " + std::to_string(pos) + " is out of range [" + std::to_string(-n) + ", " +
                     std::to_string(hi) + "] for a sequence of " + std::to_string(n));
  }
  return pos < 0 ? pos + n : pos;
}

Status check_same_dtype(KernelContext& ctx, const std::vector<Value>& items, const Tensor& t) {
  for (const Value& e : items) {
    if (e.is_tensor() && e.tensor().dtype() != t.dtype()) {
      return ctx.error("cannot put a tensor of " + std::string(dtype_name(t.dtype())) + " into a sequence of " +
                       std::string(dtype_name(e.tensor().dtype())));
    }
    break;
  }
  return Status::ok();
}

Status run_sequence_construct(KernelContext& ctx) {
  std::vector<Value> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.input(i);
    if (!t) return ctx.error("input " + std::to_string(i) + " must be a tensor");
    ONNXRT_RETURN_IF_ERROR(check_same_dtype(ctx, items, *t));
    items.emplace_back(*t);
  }
  return ctx.set_output_value(0, Value::sequence(std::move(items)));
}

Status run_sequence_empty(KernelContext& ctx) { return ctx.set_output_value(0, Value::sequence({})); }

Status run_sequence_at(KernelContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Value* seq, sequence_input(ctx, 0));
  const auto n = static_cast<int64_t>(seq->sequence().size());
  if (!ctx.input(1)) return ctx.error("input 1 (position) is required");
  ONNXRT_ASSIGN_OR_RETURN(int64_t pos, position(ctx, 1, n, 0, 0));
  return ctx.set_output_value(0, seq->sequence()[static_cast<size_t>(pos)]);
}

Status run_sequence_insert(KernelContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Value* seq, sequence_input(ctx, 0));
  const Tensor* t = ctx.input(1);
  if (!t) return ctx.error("input 1 (tensor) must be a tensor");
  const auto n = static_cast<int64_t>(seq->sequence().size());
  ONNXRT_ASSIGN_OR_RETURN(int64_t pos, position(ctx, 2, n, 1, n));
  ONNXRT_RETURN_IF_ERROR(check_same_dtype(ctx, seq->sequence(), *t));
  std::vector<Value> items = seq->sequence();
  items.insert(items.begin() + pos, Value(*t));
  return ctx.set_output_value(0, Value::sequence(std::move(items)));
}

Status run_sequence_erase(KernelContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Value* seq, sequence_input(ctx, 0));
  const auto n = static_cast<int64_t>(seq->sequence().size());
  if (n == 0) return ctx.error("cannot erase from an empty sequence");
  ONNXRT_ASSIGN_OR_RETURN(int64_t pos, position(ctx, 1, n, 0, n - 1));
  std::vector<Value> items = seq->sequence();
  items.erase(items.begin() + pos);
  return ctx.set_output_value(0, Value::sequence(std::move(items)));
}

Status run_sequence_length(KernelContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Value* seq, sequence_input(ctx, 0));
  Tensor* out = control::tensor_output(ctx, 0, DType::kInt64, {});
  if (!out) return ctx.error("cannot allocate output 0");
  out->data<int64_t>()[0] = static_cast<int64_t>(seq->sequence().size());
  return Status::ok();
}

Status run_split_to_sequence(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (!x) return ctx.error("input 0 (input) must be a tensor");
  if (x->rank() == 0) return ctx.error("input 0 (input) must have rank >= 1 to be split");
  if (!control::is_byte_addressable(x->dtype())) return ctx.error("cannot split " + std::string(dtype_name(x->dtype())));
  ir::AttrReader a(ctx.node());
  int64_t axis = a.i("axis", 0);
  const int64_t keepdims = a.i("keepdims", 1);
  ONNXRT_RETURN_IF_ERROR(a.status());
  if (axis < -x->rank() || axis >= x->rank()) {
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(x->rank()));
  }
  if (axis < 0) axis += x->rank();
  const int64_t dim = x->dim(axis);
  std::vector<int64_t> sizes;
  bool squeeze = false;
  if (const Tensor* split = ctx.input(1)) {
    if (split->dtype() != DType::kInt64 && split->dtype() != DType::kInt32) return ctx.error("split must be int32 or int64");
    std::vector<int64_t> s;
    for (int64_t k = 0; k < split->size(); ++k)
      s.push_back(split->dtype() == DType::kInt64 ? split->data<int64_t>()[k] : split->data<int32_t>()[k]);
    if (split->rank() == 0) {
      // A scalar: equal chunks of that size, the last one smaller when the dim does not divide.
      if (s[0] <= 0) return ctx.error("split " + std::to_string(s[0]) + " must be positive");
      for (int64_t off = 0; off < dim; off += sizes.back()) sizes.push_back(std::min(s[0], dim - off));
    } else {
      int64_t sum = 0;
      for (int64_t v : s) {
        if (v < 0) return ctx.error("split sizes must be >= 0, got " + std::to_string(v));
        if (__builtin_add_overflow(sum, v, &sum)) return ctx.error("split sizes sum past int64");
      }
      if (sum != dim) {
        return ctx.error("split sizes sum to " + std::to_string(sum) + " but axis " + std::to_string(axis) +
                         " has size " + std::to_string(dim));
      }
      sizes = s;
    }
  } else {
    sizes.assign(static_cast<size_t>(dim), 1);
    squeeze = keepdims == 0;
  }
  const int64_t outer = shape_size(std::span<const int64_t>(x->shape()).first(static_cast<size_t>(axis)));
  const int64_t inner = shape_size(std::span<const int64_t>(x->shape()).subspan(static_cast<size_t>(axis) + 1));
  std::vector<Value> items;
  int64_t off = 0;
  for (int64_t sz : sizes) {
    Shape shape = x->shape();
    shape[static_cast<size_t>(axis)] = sz;
    Tensor piece = Tensor::allocate(x->dtype(), shape);
    for (int64_t o = 0; o < outer; ++o)
      control::copy_elements(x->dtype(), *x, (o * dim + off) * inner, piece, o * sz * inner, sz * inner);
    if (squeeze) {
      shape.erase(shape.begin() + axis);
      piece = piece.reshaped(shape);
    }
    items.emplace_back(std::move(piece));
    off += sz;
  }
  return ctx.set_output_value(0, Value::sequence(std::move(items)));
}

Status run_concat_from_sequence(KernelContext& ctx) {
  ONNXRT_ASSIGN_OR_RETURN(const Value* seq, sequence_input(ctx, 0));
  ir::AttrReader a(ctx.node());
  int64_t axis = a.i("axis", 0);
  const int64_t new_axis = a.i("new_axis", 0);
  ONNXRT_RETURN_IF_ERROR(a.status());
  const std::vector<Value>& items = seq->sequence();
  if (items.empty()) return ctx.error("cannot concatenate an empty sequence");
  std::vector<Tensor> ts;
  for (const Value& v : items) {
    if (!v.is_tensor()) return ctx.error("sequence element is " + v.describe() + ", not a tensor");
    ts.push_back(v.tensor());
  }
  const Tensor& first = ts[0];
  if (!control::is_byte_addressable(first.dtype())) return ctx.error("cannot concatenate " + std::string(dtype_name(first.dtype())));
  const int64_t rank = first.rank() + (new_axis ? 1 : 0);
  if (axis < -rank || axis >= rank) {
    return ctx.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  if (axis < 0) axis += rank;
  for (size_t k = 0; k < ts.size(); ++k) {
    const Tensor& t = ts[k];
    bool ok = t.dtype() == first.dtype() && t.rank() == first.rank();
    for (int64_t d = 0; ok && d < t.rank(); ++d)
      if ((new_axis || d != axis) && t.dim(d) != first.dim(d)) ok = false;
    if (!ok) {
      return ctx.error("element " + std::to_string(k) + " is " + Value(t).describe() + ", which does not concatenate with " +
                       Value(first).describe() + " along axis " + std::to_string(axis));
    }
  }
  if (new_axis) {
    std::vector<int64_t> pos(ts.size());
    for (size_t t = 0; t < pos.size(); ++t) pos[t] = static_cast<int64_t>(t);
    return ctx.set_output_value(0, control::stack_axis(first.dtype(), first.shape(), static_cast<int64_t>(ts.size()), axis, ts, pos));
  }
  Shape shape = first.shape();
  int64_t total = 0;
  for (const Tensor& t : ts) total += t.dim(axis);
  shape[static_cast<size_t>(axis)] = total;
  Tensor* out = control::tensor_output(ctx, 0, first.dtype(), shape);
  if (!out) return ctx.error("cannot allocate output 0");
  const int64_t outer = shape_size(std::span<const int64_t>(shape).first(static_cast<size_t>(axis)));
  const int64_t inner = shape_size(std::span<const int64_t>(shape).subspan(static_cast<size_t>(axis) + 1));
  int64_t off = 0;
  for (const Tensor& t : ts) {
    const int64_t n = t.dim(axis);
    for (int64_t o = 0; o < outer; ++o)
      control::copy_elements(first.dtype(), t, o * n * inner, *out, (o * total + off) * inner, n * inner);
    off += n;
  }
  return Status::ok();
}

Status run_optional(KernelContext& ctx) {
  const Value* v = ctx.input_value(0);
  return ctx.set_output_value(0, v ? *v : Value());
}

Status run_optional_has_element(KernelContext& ctx) {
  const Value* v = ctx.input_value(0);
  Tensor* out = control::tensor_output(ctx, 0, DType::kBool, {});
  if (!out) return ctx.error("cannot allocate output 0");
  out->data<uint8_t>()[0] = v && !v->is_none() ? 1 : 0;
  return Status::ok();
}

Status run_optional_get_element(KernelContext& ctx) {
  const Value* v = ctx.input_value(0);
  if (!v || v->is_none()) return ctx.error("input 0 is an empty optional");
  return ctx.set_output_value(0, *v);
}

Status run_value_identity(KernelContext& ctx) {
  const Value* v = ctx.input_value(0);
  return ctx.set_output_value(0, v ? *v : Value());
}

template <KernelFn Fn>
Expected<std::unique_ptr<Kernel>> factory(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(Fn, "reference"));
}

}  // namespace

Expected<std::unique_ptr<Kernel>> make_sequence_construct(const KernelInit& i) { return factory<&run_sequence_construct>(i); }
Expected<std::unique_ptr<Kernel>> make_sequence_empty(const KernelInit& i) { return factory<&run_sequence_empty>(i); }
Expected<std::unique_ptr<Kernel>> make_sequence_at(const KernelInit& i) { return factory<&run_sequence_at>(i); }
Expected<std::unique_ptr<Kernel>> make_sequence_insert(const KernelInit& i) { return factory<&run_sequence_insert>(i); }
Expected<std::unique_ptr<Kernel>> make_sequence_erase(const KernelInit& i) { return factory<&run_sequence_erase>(i); }
Expected<std::unique_ptr<Kernel>> make_sequence_length(const KernelInit& i) { return factory<&run_sequence_length>(i); }
Expected<std::unique_ptr<Kernel>> make_split_to_sequence(const KernelInit& i) { return factory<&run_split_to_sequence>(i); }
Expected<std::unique_ptr<Kernel>> make_concat_from_sequence(const KernelInit& i) { return factory<&run_concat_from_sequence>(i); }
Expected<std::unique_ptr<Kernel>> make_optional(const KernelInit& i) { return factory<&run_optional>(i); }
Expected<std::unique_ptr<Kernel>> make_optional_has_element(const KernelInit& i) { return factory<&run_optional_has_element>(i); }
Expected<std::unique_ptr<Kernel>> make_optional_get_element(const KernelInit& i) { return factory<&run_optional_get_element>(i); }
Expected<std::unique_ptr<Kernel>> make_value_identity(const KernelInit& i) { return factory<&run_value_identity>(i); }

}  // namespace onnxrt::kernels
