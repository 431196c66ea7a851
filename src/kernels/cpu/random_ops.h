// The random-family kernels (RandomUniform/Normal[Like], Bernoulli, Multinomial). One simple
// generator pass each, shared by the CPU and reference tables.
#pragma once

#include "kernels/kernel.h"

namespace onnxrt::kernels {

Expected<std::unique_ptr<Kernel>> make_random(const KernelInit& init);

}  // namespace onnxrt::kernels
