// Factories of the strings family's kernels. These ops are dominated by string allocation and
// hashing, so one simple kernel per op serves both the CPU and the reference tables.
#pragma once

#include <memory>

#include "kernels/kernel.h"

namespace onnxrt::kernels::strings {

Expected<std::unique_ptr<Kernel>> make_string_normalizer(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_string_concat(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_string_split(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_regex_full_match(const KernelInit& init);
Expected<std::unique_ptr<Kernel>> make_tfidf_vectorizer(const KernelInit& init);

}  // namespace onnxrt::kernels::strings
