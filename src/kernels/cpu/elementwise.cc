// The CPU element-wise kernel table. Factories dispatch on the element type themselves (dtype
// kUndefined) and answer NotImplemented for types they do not cover, naming the type.
#include "kernels/cpu/elementwise_impl.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

using namespace ew;  // NOLINT: the factories
constexpr DType kAny = DType::kUndefined;

constexpr KernelEntry kTable[] = {
    {"", "Add", 1, kMaxOpset, kAny, &make_binary},
    {"", "Sub", 1, kMaxOpset, kAny, &make_binary},
    {"", "Mul", 1, kMaxOpset, kAny, &make_binary},
    {"", "Div", 1, kMaxOpset, kAny, &make_binary},
    {"", "Pow", 1, kMaxOpset, kAny, &make_binary},
    {"", "Mod", 10, kMaxOpset, kAny, &make_binary},
    {"", "PRelu", 1, kMaxOpset, kAny, &make_binary},
    {"", "BitShift", 11, kMaxOpset, kAny, &make_binary},
    {"", "BitwiseAnd", 18, kMaxOpset, kAny, &make_binary},
    {"", "BitwiseOr", 18, kMaxOpset, kAny, &make_binary},
    {"", "BitwiseXor", 18, kMaxOpset, kAny, &make_binary},
    {"", "And", 1, kMaxOpset, kAny, &make_binary},
    {"", "Or", 1, kMaxOpset, kAny, &make_binary},
    {"", "Xor", 1, kMaxOpset, kAny, &make_binary},
    {"", "Equal", 1, kMaxOpset, kAny, &make_binary},
    {"", "Less", 1, kMaxOpset, kAny, &make_binary},
    {"", "Greater", 1, kMaxOpset, kAny, &make_binary},
    {"", "LessOrEqual", 12, kMaxOpset, kAny, &make_binary},
    {"", "GreaterOrEqual", 12, kMaxOpset, kAny, &make_binary},
    {"", "Min", 1, kMaxOpset, kAny, &make_variadic},
    {"", "Max", 1, kMaxOpset, kAny, &make_variadic},
    {"", "Sum", 1, kMaxOpset, kAny, &make_variadic},
    {"", "Mean", 1, kMaxOpset, kAny, &make_variadic},
    {"", "Where", 9, kMaxOpset, kAny, &make_where},
    {"", "Cast", 1, kMaxOpset, kAny, &make_cast},
    {"", "CastLike", 15, kMaxOpset, kAny, &make_cast},
    {"", "BitCast", 26, kMaxOpset, kAny, &make_bitcast},
    {"", "Clip", 1, kMaxOpset, kAny, &make_clip},
    {"", "Not", 1, kMaxOpset, kAny, &make_unary},
    {"", "BitwiseNot", 18, kMaxOpset, kAny, &make_unary},
    {"", "IsNaN", 9, kMaxOpset, kAny, &make_unary},
    {"", "IsInf", 10, kMaxOpset, kAny, &make_unary},
    {"", "Relu", 1, kMaxOpset, kAny, &make_unary},
    {"", "Sigmoid", 1, kMaxOpset, kAny, &make_unary},
    {"", "Tanh", 1, kMaxOpset, kAny, &make_unary},
    {"", "Erf", 9, kMaxOpset, kAny, &make_unary},
    {"", "Exp", 1, kMaxOpset, kAny, &make_unary},
    {"", "Log", 1, kMaxOpset, kAny, &make_unary},
    {"", "Sqrt", 1, kMaxOpset, kAny, &make_unary},
    {"", "Neg", 1, kMaxOpset, kAny, &make_unary},
    {"", "Abs", 1, kMaxOpset, kAny, &make_unary},
    {"", "Gelu", 20, kMaxOpset, kAny, &make_unary},
    {"", "LeakyRelu", 1, kMaxOpset, kAny, &make_unary},
    {"", "Elu", 1, kMaxOpset, kAny, &make_unary},
    {"", "Selu", 1, kMaxOpset, kAny, &make_unary},
    {"", "Celu", 12, kMaxOpset, kAny, &make_unary},
    {"", "HardSigmoid", 1, kMaxOpset, kAny, &make_unary},
    {"", "HardSwish", 14, kMaxOpset, kAny, &make_unary},
    {"", "Softplus", 1, kMaxOpset, kAny, &make_unary},
    {"", "Softsign", 1, kMaxOpset, kAny, &make_unary},
    {"", "Mish", 18, kMaxOpset, kAny, &make_unary},
    {"", "ThresholdedRelu", 10, kMaxOpset, kAny, &make_unary},
    {"", "Floor", 1, kMaxOpset, kAny, &make_unary},
    {"", "Ceil", 1, kMaxOpset, kAny, &make_unary},
    {"", "Round", 11, kMaxOpset, kAny, &make_unary},
    {"", "Reciprocal", 1, kMaxOpset, kAny, &make_unary},
    {"", "Sign", 9, kMaxOpset, kAny, &make_unary},
    {"", "Sin", 7, kMaxOpset, kAny, &make_unary},
    {"", "Cos", 7, kMaxOpset, kAny, &make_unary},
    {"", "Tan", 7, kMaxOpset, kAny, &make_unary},
    {"", "Asin", 7, kMaxOpset, kAny, &make_unary},
    {"", "Acos", 7, kMaxOpset, kAny, &make_unary},
    {"", "Atan", 7, kMaxOpset, kAny, &make_unary},
    {"", "Sinh", 9, kMaxOpset, kAny, &make_unary},
    {"", "Cosh", 9, kMaxOpset, kAny, &make_unary},
    {"", "Asinh", 9, kMaxOpset, kAny, &make_unary},
    {"", "Acosh", 9, kMaxOpset, kAny, &make_unary},
    {"", "Atanh", 9, kMaxOpset, kAny, &make_unary},
    {"", "Shrink", 9, kMaxOpset, kAny, &make_unary},
    {"", "Swish", 24, kMaxOpset, kAny, &make_unary},
    {"com.onnxrt", "Swish", 1, kMaxOpset, kAny, &make_unary},  // passes/collapse_activations.cc
    {"com.onnxrt", "Gelu", 1, kMaxOpset, kAny, &make_unary},   // passes/collapse_activations.cc
    {"com.onnxrt", "Mish", 1, kMaxOpset, kAny, &make_unary},   // passes/collapse_activations.cc
};

}  // namespace

std::span<const KernelEntry> cpu_elementwise_kernels() { return kTable; }

}  // namespace onnxrt::kernels
