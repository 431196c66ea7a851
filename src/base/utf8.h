// UTF-8 checks for names read from model files. ONNX names are protobuf strings, which must be
// UTF-8; a name that is not would break every consumer that decodes it (Python's str among them),
// so the importer refuses it, and error messages show such bytes escaped.
#pragma once

#include <string>
#include <string_view>

namespace onnxrt {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view s);
// `s` with every byte that is not part of a well-formed UTF-8 sequence written as \xNN.
std::string escape_invalid_utf8(std::string_view s);

}  // namespace onnxrt
