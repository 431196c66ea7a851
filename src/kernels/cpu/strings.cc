// The CPU table of the strings family. The work is string allocation and hashing, which an
// optimized kernel would not speed up, so the CPU table uses the reference kernels
// (reference/strings_*.cc); the pinned-value tests in tests/kernels/test_strings.cc carry them.
#include "kernels/kernel_families.h"
#include "kernels/reference/strings_ops.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kCpuStrings[] = {
    {"", "RegexFullMatch", 20, kMaxOpset, DType::kString, &strings::make_regex_full_match},
    {"", "StringConcat", 20, kMaxOpset, DType::kString, &strings::make_string_concat},
    {"", "StringNormalizer", 10, kMaxOpset, DType::kString, &strings::make_string_normalizer},
    {"", "StringSplit", 20, kMaxOpset, DType::kString, &strings::make_string_split},
    {"", "TfIdfVectorizer", 9, kMaxOpset, kAny, &strings::make_tfidf_vectorizer},
};

}  // namespace

std::span<const KernelEntry> cpu_strings_kernels() { return kCpuStrings; }

}  // namespace onnxrt::kernels
