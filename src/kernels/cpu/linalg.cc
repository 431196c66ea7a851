// The CPU linear-algebra kernels: MatMul and Gemm. float32 runs on the SGEMM engine (gemm.h),
// float16/bfloat16 convert through it, and double/integer types use plain loops.
#include "kernels/cpu/linalg_common.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {
namespace {

constexpr KernelEntry kCpuLinalg[] = {
    {"", "MatMul", 1, kMaxOpset, DType::kFloat32, &make_matmul},
    {"", "MatMul", 1, kMaxOpset, DType::kFloat16, &make_matmul},
    {"", "MatMul", 1, kMaxOpset, DType::kFloat64, &make_matmul},
    {"", "MatMul", 9, kMaxOpset, DType::kInt32, &make_matmul},
    {"", "MatMul", 9, kMaxOpset, DType::kInt64, &make_matmul},
    {"", "MatMul", 9, kMaxOpset, DType::kUInt32, &make_matmul},
    {"", "MatMul", 9, kMaxOpset, DType::kUInt64, &make_matmul},
    {"", "MatMul", 13, kMaxOpset, DType::kBFloat16, &make_matmul},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat32, &make_gemm},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat16, &make_gemm},
    {"", "Gemm", 1, kMaxOpset, DType::kFloat64, &make_gemm},
    {"", "Gemm", 9, kMaxOpset, DType::kInt32, &make_gemm},
    {"", "Gemm", 9, kMaxOpset, DType::kInt64, &make_gemm},
    {"", "Gemm", 9, kMaxOpset, DType::kUInt32, &make_gemm},
    {"", "Gemm", 9, kMaxOpset, DType::kUInt64, &make_gemm},
    {"", "Gemm", 11, kMaxOpset, DType::kBFloat16, &make_gemm},
};

}  // namespace

std::span<const KernelEntry> cpu_linalg_kernels() { return kCpuLinalg; }

}  // namespace onnxrt::kernels
