// The reference kernel table of the random family. The generators (kernels/cpu/random_ops.cc) are
// single passes shared by both tables; each dispatches on its output type itself.
#include "kernels/cpu/random_ops.h"
#include "kernels/kernel_families.h"

namespace onnxrt::kernels {

namespace {

const KernelEntry kRandom[] = {
    {"", "RandomUniform", 1, kMaxOpset, DType::kUndefined, &make_random},
    {"", "RandomNormal", 1, kMaxOpset, DType::kUndefined, &make_random},
    {"", "RandomUniformLike", 1, kMaxOpset, DType::kUndefined, &make_random},
    {"", "RandomNormalLike", 1, kMaxOpset, DType::kUndefined, &make_random},
    {"", "Bernoulli", 15, kMaxOpset, DType::kUndefined, &make_random},
    {"", "Multinomial", 7, kMaxOpset, DType::kUndefined, &make_random},
};

}  // namespace

std::span<const KernelEntry> reference_random_kernels() { return kRandom; }

}  // namespace onnxrt::kernels
