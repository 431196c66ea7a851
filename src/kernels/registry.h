// The kernel tables. One entry per (domain, op, opset range, dtype) maps to a factory. Entries
// live in per-family tables (kernels/cpu/<family>.cc, kernels/reference/<family>.cc) that
// registry.cc concatenates, so `grep '"Conv"' src/kernels` finds every Conv kernel. No static
// self-registration: the tables are plain constant arrays.
//
// Matching: an entry matches a node when domain and op_type are equal, the node's opset lies in
// [since_version, until_version], and `dtype` equals the node's key type (the dtype of input 0, or
// of output 0 for ops without inputs) or is kUndefined ("any": the kernel dispatches itself).
#pragma once

#include <span>
#include <string_view>

#include "kernels/kernel.h"
#include "onnxrt/dtype.h"

namespace onnxrt::kernels {

constexpr int kMaxOpset = 1 << 30;

struct KernelEntry {
  std::string_view domain;
  std::string_view op_type;
  int since_version;
  int until_version;
  DType dtype;
  KernelFactory factory;
};

enum class Backend { kCpu, kReference };

std::span<const KernelEntry> kernel_table(Backend backend);
// The dtype used to match entries for a node (see the file comment).
DType key_dtype(std::span<const ir::ValueType* const> input_types,
                std::span<const ir::ValueType* const> output_types);
// The matching entry, or null. `reason` (optional) says why none matched: unknown op, opset
// outside every range, or dtype without a kernel.
const KernelEntry* find_kernel(Backend backend, std::string_view domain, std::string_view op_type,
                               int opset, DType dtype, std::string* reason = nullptr);

// Factory helper for FunctionKernel entries: make_fn_kernel<&my_fn, "variant">.
template <KernelFn Fn>
Expected<std::unique_ptr<Kernel>> fn_factory(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(Fn, "default"));
}
// The same for a function whose output 0 is input 0's bytes (Kernel::output_is_view); it must
// skip its copy when both are at one address.
template <KernelFn Fn>
Expected<std::unique_ptr<Kernel>> view_factory(const KernelInit&) {
  return std::unique_ptr<Kernel>(new FunctionKernel(Fn, "view", true));
}

}  // namespace onnxrt::kernels
