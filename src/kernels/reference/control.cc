// The control family's kernel table and shared helpers. The CPU table (cpu/control.cc) points at
// the same kernels: they move values and run subgraphs, so there is nothing to optimize.
#include <cstring>
#include <string>

#include "kernels/kernel_families.h"
#include "kernels/reference/control_kernels.h"
#include "kernels/reference/control_util.h"

namespace onnxrt::kernels {

namespace control {

Tensor* tensor_output(KernelContext& ctx, size_t i, DType dtype, const Shape& shape) {
  Tensor* out = ctx.output(i);
  if (out && out->dtype() == dtype && out->shape() == shape) return out;
  return ctx.allocate_output(i, dtype, shape);
}

Expected<int64_t> read_index(KernelContext& ctx, const Tensor& t, const char* what) {
  if (t.size() != 1) {
    return ctx.error(std::string(what) + " must hold one element, got shape " + shape_to_string(t.shape()));
  }
  if (t.dtype() == DType::kInt64) return t.data<int64_t>()[0];
  if (t.dtype() == DType::kInt32) return static_cast<int64_t>(t.data<int32_t>()[0]);
  return ctx.error(std::string(what) + " must be int32 or int64, got " + std::string(dtype_name(t.dtype())));
}

Expected<bool> read_bool(KernelContext& ctx, const Value& v, const char* what) {
  if (!v.is_tensor() || v.tensor().size() != 1 || v.tensor().dtype() != DType::kBool) {
    return ctx.error(std::string(what) + " must be a bool tensor of one element, got " + v.describe());
  }
  return v.tensor().data<uint8_t>()[0] != 0;
}

bool is_byte_addressable(DType t) {
  return t == DType::kString || dtype_storage_bytes(t, 2) == 2 * dtype_storage_bytes(t, 1);
}

void copy_elements(DType dtype, const Tensor& src, int64_t src_off, Tensor& dst, int64_t dst_off, int64_t count) {
  if (count <= 0) return;
  if (dtype == DType::kString) {
    const std::string* s = src.data<std::string>() + src_off;
    std::string* d = dst.data<std::string>() + dst_off;
    for (int64_t k = 0; k < count; ++k) d[k] = s[k];
    return;
  }
  const auto es = static_cast<int64_t>(dtype_storage_bytes(dtype, 1));
  std::memcpy(static_cast<char*>(dst.raw()) + dst_off * es, static_cast<const char*>(src.raw()) + src_off * es,
              static_cast<size_t>(count * es));
}

Tensor slice_axis(const Tensor& x, int64_t axis, int64_t index) {
  Shape shape = x.shape();
  const int64_t n = shape[static_cast<size_t>(axis)];
  shape.erase(shape.begin() + axis);
  Tensor out = Tensor::allocate(x.dtype(), shape);
  const int64_t outer = shape_size(std::span<const int64_t>(x.shape()).first(static_cast<size_t>(axis)));
  const int64_t inner = shape_size(std::span<const int64_t>(x.shape()).subspan(static_cast<size_t>(axis) + 1));
  for (int64_t o = 0; o < outer; ++o) copy_elements(x.dtype(), x, (o * n + index) * inner, out, o * inner, inner);
  return out;
}

Tensor stack_axis(DType dtype, const Shape& item_shape, int64_t total, int64_t axis, std::span<const Tensor> items,
                  std::span<const int64_t> positions) {
  Shape shape = item_shape;
  shape.insert(shape.begin() + axis, total);
  Tensor out = Tensor::allocate(dtype, shape);
  const int64_t outer = shape_size(std::span<const int64_t>(item_shape).first(static_cast<size_t>(axis)));
  const int64_t inner = shape_size(std::span<const int64_t>(item_shape).subspan(static_cast<size_t>(axis)));
  for (size_t t = 0; t < items.size(); ++t)
    for (int64_t o = 0; o < outer; ++o)
      copy_elements(dtype, items[t], o * inner, out, (o * total + positions[t]) * inner, inner);
  return out;
}

}  // namespace control

namespace {
constexpr DType kAny = DType::kUndefined;

constexpr KernelEntry kControlKernels[] = {
    {"", "If", 1, kMaxOpset, kAny, &make_if},
    {"", "Loop", 1, kMaxOpset, kAny, &make_loop},
    {"", "Scan", 8, kMaxOpset, kAny, &make_scan},
    {"", "SequenceMap", 17, kMaxOpset, kAny, &make_sequence_map},
    {"", "SequenceConstruct", 11, kMaxOpset, kAny, &make_sequence_construct},
    {"", "SequenceEmpty", 11, kMaxOpset, kAny, &make_sequence_empty},
    {"", "SequenceAt", 11, kMaxOpset, kAny, &make_sequence_at},
    {"", "SequenceInsert", 11, kMaxOpset, kAny, &make_sequence_insert},
    {"", "SequenceErase", 11, kMaxOpset, kAny, &make_sequence_erase},
    {"", "SequenceLength", 11, kMaxOpset, kAny, &make_sequence_length},
    {"", "SplitToSequence", 11, kMaxOpset, kAny, &make_split_to_sequence},
    {"", "ConcatFromSequence", 11, kMaxOpset, kAny, &make_concat_from_sequence},
    {"", "Optional", 15, kMaxOpset, kAny, &make_optional},
    {"", "OptionalHasElement", 15, kMaxOpset, kAny, &make_optional_has_element},
    {"", "OptionalGetElement", 15, kMaxOpset, kAny, &make_optional_get_element},
};

}  // namespace

std::span<const KernelEntry> reference_control_kernels() { return kControlKernels; }

}  // namespace onnxrt::kernels
