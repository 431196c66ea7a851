// The CPU quantization kernel table. The kernels (cpu/quant_ops.cc) are exact integer loops,
// shared with the reference table, except MatMulInteger, QLinearMatMul, ConvInteger and
// QLinearConv, whose sums come from the packed integer GEMM (see quant_ops.h).
#include "kernels/cpu/quant_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using namespace quant;  // NOLINT: the factories
constexpr DType kAny = DType::kUndefined;

constexpr KernelEntry kTable[] = {
    {"", "QuantizeLinear", 10, kMaxOpset, kAny, &make_quantize_linear},
    {"", "DequantizeLinear", 10, kMaxOpset, kAny, &make_dequantize_linear},
    {"com.onnxrt", "QuantizeDequantize", 1, kMaxOpset, kAny, &make_quantize_dequantize},
    {"", "DynamicQuantizeLinear", 11, kMaxOpset, kAny, &make_dynamic_quantize_linear},
    {"", "MatMulInteger", 10, kMaxOpset, kAny, &make_matmul_integer_qgemm},
    {"", "QLinearMatMul", 10, kMaxOpset, kAny, &make_qlinear_matmul_qgemm},
    {"com.onnxrt", "MatMulIntegerToFloat", 1, kMaxOpset, kAny, &make_matmul_integer_to_float_qgemm},
    {"com.onnxrt", "MatMulInt8Weight", 1, kMaxOpset, kAny, &make_matmul_int8_weight},
    {"", "ConvInteger", 10, kMaxOpset, kAny, &make_conv_integer_qgemm},
    {"", "QLinearConv", 10, kMaxOpset, kAny, &make_qlinear_conv_qgemm},
};

}  // namespace

std::span<const KernelEntry> cpu_quant_kernels() { return kTable; }

}  // namespace onnxrt::kernels
