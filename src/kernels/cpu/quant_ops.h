// Kernels of the quantization family: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv. They are simple, exact loops (the
// integer products accumulate in int64), so the CPU and reference tables share them; the kernel
// tests pin their values against onnx.reference. The CPU table's MatMulInteger and QLinearMatMul
// (the *_qgemm factories) take their products from the packed integer GEMM (cpu/qgemm.h) and are
// tested against the loops.
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace onnxrt::kernels::quant {

Expected<std::unique_ptr<Kernel>> make_quantize_linear(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_dequantize_linear(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_dynamic_quantize_linear(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_matmul_integer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_qlinear_matmul(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_matmul_integer_qgemm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_qlinear_matmul_qgemm(const KernelInit& init);
// com.onnxrt MatMulIntegerToFloat (passes/fuse_quant_matmul.cc): MatMulInteger's inputs, then a
// float scale (1 or N elements) and an optional float bias (N): float(products) * scale + bias.
Expected<std::unique_ptr<Kernel>> make_matmul_integer_to_float(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_matmul_integer_to_float_qgemm(const KernelInit& init);
// com.onnxrt MatMulInt8Weight (passes/fuse_dequantize_matmul.cc; cpu/quant_matmul_weight.cc):
// MatMul(A, DequantizeLinear(W)) with W kept int8.
Expected<std::unique_ptr<Kernel>> make_matmul_int8_weight(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_matmul_int8_weight_reference(const KernelInit& init);
// com.onnxrt QuantizeDequantize (passes/fuse_quantize_dequantize.cc; cpu/quant_qdq.cc):
// DequantizeLinear(QuantizeLinear(X)) per tensor in one pass.
Expected<std::unique_ptr<Kernel>> make_quantize_dequantize(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_quantize_dequantize_reference(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_conv_integer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_qlinear_conv(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_conv_integer_qgemm(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_qlinear_conv_qgemm(const KernelInit& init);

}  // namespace onnxrt::kernels::quant
