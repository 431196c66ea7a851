// The reference quantization kernel table: the same exact kernels as the CPU table
// (cpu/quant_ops.h); the kernel tests pin their values against onnx.reference.
#include "kernels/cpu/quant_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using namespace quant;  // NOLINT: the factories
constexpr DType kAny = DType::kUndefined;

constexpr KernelEntry kTable[] = {
    {"", "QuantizeLinear", 10, kMaxOpset, kAny, &make_quantize_linear},
    {"", "DequantizeLinear", 10, kMaxOpset, kAny, &make_dequantize_linear},
    {"com.onnxrt", "QuantizeDequantize", 1, kMaxOpset, kAny, &make_quantize_dequantize_reference},
    {"", "DynamicQuantizeLinear", 11, kMaxOpset, kAny, &make_dynamic_quantize_linear},
    {"", "MatMulInteger", 10, kMaxOpset, kAny, &make_matmul_integer},
    {"", "QLinearMatMul", 10, kMaxOpset, kAny, &make_qlinear_matmul},
    {"com.onnxrt", "MatMulIntegerToFloat", 1, kMaxOpset, kAny, &make_matmul_integer_to_float},
    {"com.onnxrt", "MatMulInt8Weight", 1, kMaxOpset, kAny, &make_matmul_int8_weight_reference},
    {"", "ConvInteger", 10, kMaxOpset, kAny, &make_conv_integer},
    {"", "QLinearConv", 10, kMaxOpset, kAny, &make_qlinear_conv},
};

}  // namespace

std::span<const KernelEntry> reference_quant_kernels() { return kTable; }

}  // namespace onnxrt::kernels
