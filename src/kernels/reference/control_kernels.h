// Factories of the control family (If, Loop, Scan, sequence and optional ops). The CPU and
// reference tables share these kernels: they move values and run subgraphs, so an optimized
// variant would add nothing.
#pragma once

#include "kernels/kernel.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_if(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_loop(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_scan(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_map(const KernelInit& init);

Expected<std::unique_ptr<Kernel>> make_sequence_construct(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_empty(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_at(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_insert(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_erase(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_sequence_length(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_split_to_sequence(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_concat_from_sequence(const KernelInit& init);

Expected<std::unique_ptr<Kernel>> make_optional(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_optional_has_element(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_optional_get_element(const KernelInit& init);
// Identity on any value (the plan binds it for sequence/optional inputs).
Expected<std::unique_ptr<Kernel>> make_value_identity(const KernelInit& init);

// Helpers shared by the control kernel files.
namespace control {
// Output i as a tensor of `shape`: the pre-allocated one when it fits, else a new allocation.
Tensor* tensor_output(KernelContext& ctx, size_t i, DType dtype, const Shape& shape);
// Reads a scalar (or 1-element) int32/int64 tensor.
Expected<int64_t> read_index(KernelContext& ctx, const Tensor& t, const char* what);
}  // namespace control

}  // namespace onnxrt::kernels
