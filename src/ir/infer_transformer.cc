// Placeholder until the transformer family lands.
#include "ir/op_families.h"

namespace onnxrt::ir {

std::span<const OpInfo> transformer_op_infos() { return {}; }

}  // namespace onnxrt::ir
