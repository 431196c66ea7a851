// The Einsum equation, parsed once and shared by inference and the Einsum kernels so that both
// agree on labels, ellipsis expansion and the implicit output.
//
// Labels are ints: letters keep their character code; the dims an ellipsis stands for get labels
// kEllipsisBase + k, where k counts from the left of the widest ellipsis (operands with a
// narrower ellipsis use its rightmost labels, which is numpy's right-aligned broadcasting).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnxrt/status.h"

namespace onnxrt::ir::einsum {

constexpr int kEllipsisBase = 1000;

struct Equation {
  std::vector<std::vector<int>> inputs;  // labels per operand, one per dim (may repeat)
  std::vector<int> output;               // labels of the result, each once
};

// `ranks` are the operands' ranks. Errors (InvalidArgument, message without node context) name
// the problem: wrong operand count, a rank that does not match the term, bad characters, an
// output label that no input has, a repeated output label.
Expected<Equation> parse(const std::string& equation, const std::vector<int64_t>& ranks);

}  // namespace onnxrt::ir::einsum
