// Placeholder until the quant family lands.
#include "ir/op_families.h"

namespace onnxrt::ir {

std::span<const OpInfo> quant_op_infos() { return {}; }

}  // namespace onnxrt::ir
