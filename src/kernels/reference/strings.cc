// The reference table of the strings family (kernels in reference/strings_*.cc).
#include "kernels/kernel_families.h"
#include "kernels/reference/strings_ops.h"

namespace onnxrt::kernels {

namespace {

constexpr DType kAny = DType::kUndefined;

const KernelEntry kReferenceStrings[] = {
    {"", "RegexFullMatch", 20, kMaxOpset, DType::kString, &strings::make_regex_full_match},
    {"", "StringConcat", 20, kMaxOpset, DType::kString, &strings::make_string_concat},
    {"", "StringNormalizer", 10, kMaxOpset, DType::kString, &strings::make_string_normalizer},
    {"", "StringSplit", 20, kMaxOpset, DType::kString, &strings::make_string_split},
    {"", "TfIdfVectorizer", 9, kMaxOpset, kAny, &strings::make_tfidf_vectorizer},
};

}  // namespace

std::span<const KernelEntry> reference_strings_kernels() { return kReferenceStrings; }

}  // namespace onnxrt::kernels
